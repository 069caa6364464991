import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BencodeError, binaryKeyToBytes, bytesToBinaryKey, decodeBencode, isBDict } from './bencode-lite.js';
import type { BValue } from './bencode-lite.js';

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const latin1 = (bytes: readonly number[]): Uint8Array => Uint8Array.from(bytes);

/** A reference encoder for round trips (tests only). */
function encode(value: BValue): string {
  if (typeof value === 'number') return `i${value}e`;
  if (value instanceof Uint8Array) return `${value.length}:${bytesToBinaryKey(value)}`;
  if (Array.isArray(value)) return `l${value.map(encode).join('')}e`;
  return `d${[...value].map(([k, v]) => `${k.length}:${k}${encode(v)}`).join('')}e`;
}
const binary = (text: string): Uint8Array => binaryKeyToBytes(text);

describe('decodeBencode', () => {
  it('decodes a scrape-shaped document with binary keys', () => {
    const key = bytesToBinaryKey(latin1([0xff, 0x00, ...Array<number>(18).fill(0x80)]));
    const doc = binary(`d5:filesd20:${key}d8:completei3e10:incompletei1eeee`);
    const root = decodeBencode(doc);
    expect(isBDict(root)).toBe(true);
    const files = (root as Map<string, BValue>).get('files') as Map<string, BValue>;
    expect([...files.keys()]).toEqual([key]);
    const entry = files.get(key) as Map<string, BValue>;
    expect(entry.get('complete')).toBe(3);
    expect(entry.get('incomplete')).toBe(1);
  });

  it('decodes integers, negative integers, empty strings and lists', () => {
    expect(decodeBencode(enc('i-42e'))).toBe(-42);
    expect(decodeBencode(enc('i0e'))).toBe(0);
    expect(decodeBencode(enc('0:'))).toEqual(new Uint8Array(0));
    expect(decodeBencode(enc('li1ei2ee'))).toEqual([1, 2]);
  });

  it.each([
    ['empty input', ''],
    ['leading zero', 'i03e'],
    ['negative zero', 'i-0e'],
    ['empty integer', 'ie'],
    ['unterminated integer', 'i12'],
    ['non-digit in integer', 'i1x2e'],
    ['integer beyond 2^53', 'i99999999999999999e'],
    ['string longer than input', '10:abc'],
    ['huge declared string length', '9999999999999:x'],
    ['string length with leading zero', '03:abc'],
    ['unterminated list', 'li1e'],
    ['unterminated dict', 'd1:ai1e'],
    ['dict key not a string', 'di1ei2ee'],
    ['dict missing value', 'd1:ae'],
    ['trailing bytes', 'i1ei2e'],
    ['unknown type byte', 'x'],
    ['a bare "e"', 'e'],
  ])('rejects %s', (_name, text) => {
    expect(() => decodeBencode(enc(text))).toThrow(BencodeError);
  });

  it('refuses nesting deeper than the limit without overflowing the stack', () => {
    const deep = `${'l'.repeat(100_000)}${'e'.repeat(100_000)}`;
    expect(() => decodeBencode(enc(deep))).toThrow(/nesting deeper than 32/);
    expect(decodeBencode(enc('llee'), { maxDepth: 2 })).toEqual([[]]);
    expect(() => decodeBencode(enc('llleee'), { maxDepth: 2 })).toThrow(/nesting/);
  });

  it('refuses oversize input before reading it and caps the number of values', () => {
    expect(() => decodeBencode(new Uint8Array(11), { maxInputBytes: 10 })).toThrow(/exceeds the 10-byte limit/);
    const many = `l${'i1e'.repeat(1000)}e`;
    expect(() => decodeBencode(enc(many), { maxItems: 500 })).toThrow(/more than 500 values/);
    expect((decodeBencode(enc(many)) as BValue[]).length).toBe(1000);
  });

  it('reports the offset where decoding stopped', () => {
    try {
      decodeBencode(enc('li1ei0xe'));
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(BencodeError);
      expect((error as BencodeError).offset).toBe(6);
    }
  });

  it('never throws anything but BencodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeBencode(bytes);
        } catch (error) {
          if (!(error instanceof BencodeError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but BencodeError on mutated valid documents', () => {
    const valid = binary('d5:filesd20:aaaaaaaaaaaaaaaaaaaad8:completei3e10:downloadedi9e10:incompletei1eeee');
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), (edits) => {
        const copy = Uint8Array.from(valid);
        for (const [at, byte] of edits) copy[at] = byte;
        try {
          decodeBencode(copy);
        } catch (error) {
          if (!(error instanceof BencodeError)) throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips generated values', () => {
    const { value } = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.maxSafeInteger(),
        fc.uint8Array({ maxLength: 30 }),
        fc.array(tie('value'), { maxLength: 4 }),
        fc
          .dictionary(fc.string({ maxLength: 8 }).map((s) => bytesToBinaryKey(enc(s))), tie('value'), { maxKeys: 4 })
          .map((o) => new Map(Object.entries(o))),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(decodeBencode(binary(encode(v as BValue)))).toEqual(v);
      }),
      { numRuns: 500 },
    );
  });
});
