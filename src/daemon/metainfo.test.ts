import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeBencode, encodeBencode, type BencodeInput } from './bencode.js';
import { buildMetainfo, readMetainfoSummary } from './metainfo.js';

const text = (s: string) => new TextEncoder().encode(s);

describe('bencode', () => {
  it('round-trips values and sorts dictionary keys', () => {
    const value: BencodeInput = { z: 1, a: [text('x'), -3, { b: 0 }] };
    const bytes = encodeBencode(value);
    expect(new TextDecoder().decode(bytes)).toBe('d1:al1:xi-3ed1:bi0eee1:zi1ee');
    expect(decodeBencode(bytes).value).toEqual({ a: [text('x'), -3, { b: 0 }], z: 1 });
  });

  it('refuses malformed input with the byte offset, never hangs or overreads', () => {
    for (const bad of ['i01e', 'i-0e', '5:abc', 'l', 'd1:a', 'x', 'i1ei2e', '99999999999999:']) {
      expect(() => decodeBencode(text(bad)), bad).toThrow(/at byte \d+/);
    }
    expect(() => decodeBencode(text('l'.repeat(100) + 'e'.repeat(100)))).toThrow(/nesting/);
  });

  it('decodes whatever it encodes (generated values)', () => {
    const leaf = fc.oneof(fc.integer(), fc.uint8Array({ maxLength: 20 }));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('tree')), fc.dictionary(fc.string(), tie('tree'))),
    }));
    fc.assert(fc.property(tree, (v) => {
      const bytes = encodeBencode(v as BencodeInput);
      expect(encodeBencode(decodeBencode(bytes).value)).toEqual(bytes);
    }));
  });
});

describe('metainfo', () => {
  it('hashes the info value byte for byte, and reads name, size and trackers', () => {
    const data = randomBytes(40_000);
    const built = buildMetainfo({ name: 'set.bin', data, pieceLengthBytes: 16_384, announce: 'http://127.0.0.1:1/a' });
    const summary = readMetainfoSummary(built.metainfo);
    expect(summary).toEqual({ infoHash: built.infoHash, name: 'set.bin', sizeBytes: 40_000, announceUrls: ['http://127.0.0.1:1/a'] });
    const info = encodeBencode({ length: 40_000, name: 'set.bin', 'piece length': 16_384, pieces: decodePieces(built.metainfo) });
    expect(summary.infoHash).toBe(createHash('sha1').update(info).digest('hex'));
  });

  it('sums multi-file torrents and prefers announce-list', () => {
    const bytes = encodeBencode({
      announce: 'http://a/1',
      'announce-list': [['http://b/1', 'http://b/2'], ['http://c/1']],
      info: { name: 'dir', 'piece length': 16384, pieces: new Uint8Array(20), files: [{ length: 3, path: ['x'] }, { length: 4, path: ['y'] }] },
    });
    expect(readMetainfoSummary(bytes)).toMatchObject({ name: 'dir', sizeBytes: 7, announceUrls: ['http://b/1', 'http://b/2', 'http://c/1'] });
  });

  it('says what is missing', () => {
    expect(() => readMetainfoSummary(encodeBencode({ announce: 'x' }))).toThrow(/no info dictionary/);
    expect(() => readMetainfoSummary(encodeBencode({ info: { name: 'n' } }))).toThrow(/neither length nor files/);
  });
});

function decodePieces(metainfo: Uint8Array): Uint8Array {
  const top = decodeBencode(metainfo).value as { info: { pieces: Uint8Array } };
  return top.info.pieces;
}
