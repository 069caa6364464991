import { describe, expect, it } from 'vitest';
import { infoHashFromBytes, infoHashToBytes, parseInfoHash } from './infohash.js';

describe('parseInfoHash', () => {
  it('normalises hex to lowercase', () => {
    expect(parseInfoHash('  ABCDEF0123456789ABCDEF0123456789ABCDEF01 ')).toBe('abcdef0123456789abcdef0123456789abcdef01');
  });
  it('accepts urn:btih and base32', () => {
    // base32 of 20 zero bytes is 32 'A's
    expect(parseInfoHash(`urn:btih:${'A'.repeat(32)}`)).toBe('0'.repeat(40));
    expect(parseInfoHash(`urn:btih:${'f'.repeat(40)}`)).toBe('f'.repeat(40));
  });
  it('refuses anything else', () => {
    for (const bad of ['', 'xyz', 'g'.repeat(40), 'a'.repeat(39), 'a'.repeat(41)]) {
      expect(parseInfoHash(bad)).toBeNull();
    }
  });
  it('round-trips bytes', () => {
    const hash = parseInfoHash('00ff10203040506070809000aabbccddeeff0011');
    expect(hash).not.toBeNull();
    expect(infoHashFromBytes(infoHashToBytes(hash!))).toBe(hash);
  });
});
