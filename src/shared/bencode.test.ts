import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BencodeError,
  bencodeSafeInteger,
  binaryString,
  binaryStringToBytes,
  decodeBencode,
  encodeBencode,
  isBDict,
  type BDict,
  type BencodeInput,
  type BencodeLimits,
  type BValue,
} from './bencode.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: BValue | undefined): string => new TextDecoder().decode(value as Uint8Array);
const dict = (value: BValue | undefined): BDict => {
  if (!isBDict(value)) throw new Error('expected a dict');
  return value;
};
const refusal = (input: string | Uint8Array, limits: Partial<BencodeLimits> = {}): BencodeError => {
  try {
    decodeBencode(typeof input === 'string' ? bytes(input) : input, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(BencodeError);
    return error as BencodeError;
  }
  throw new Error('expected a rejection');
};

describe('decodeBencode', () => {
  it('decodes integers, strings, lists and dicts, with the byte range of every dict', () => {
    const value = dict(decodeBencode(bytes('d3:bar4:spam3:fooi-42e4:listli1ei2ee5:innerd1:xi0eee')));
    expect([value.start, value.end]).toEqual([0, 52]);
    expect(value.entries.get('foo')).toBe(-42n);
    expect(text(value.entries.get('bar'))).toBe('spam');
    expect(value.entries.get('list')).toEqual([1n, 2n]);
    const inner = dict(value.entries.get('inner'));
    expect([inner.start, inner.end]).toEqual([43, 51]);
    expect(decodeBencode(bytes('i0e'))).toBe(0n);
    expect(decodeBencode(bytes('0:'))).toEqual(new Uint8Array(0));
    expect(decodeBencode(bytes('le\n'))).toEqual([]); // trailing whitespace tolerated
  });

  it('keeps integers beyond 2^53 exact; bencodeSafeInteger refuses them as numbers', () => {
    const big = decodeBencode(bytes('i18446744073709551615e'));
    expect(big).toBe(18446744073709551615n);
    expect(bencodeSafeInteger(big)).toBeNull();
    expect(bencodeSafeInteger(decodeBencode(bytes('i-9007199254740991e')))).toBe(-Number.MAX_SAFE_INTEGER);
    expect(bencodeSafeInteger(bytes('3'))).toBeNull();
    expect(bencodeSafeInteger(undefined)).toBeNull();
  });

  it('decodes a scrape-shaped document whose keys are raw bytes', () => {
    const key = binaryString(Uint8Array.from([0xff, 0x00, ...Array<number>(18).fill(0x80)]));
    const doc = binaryStringToBytes(`d5:filesd20:${key}d8:completei3e10:incompletei1eeee`);
    const files = dict(dict(decodeBencode(doc)).entries.get('files'));
    expect([...files.entries.keys()]).toEqual([key]);
    expect(binaryStringToBytes(key)).toEqual(Uint8Array.from([0xff, 0x00, ...Array<number>(18).fill(0x80)]));
    const entry = dict(files.entries.get(key));
    expect(entry.entries.get('complete')).toBe(3n);
    expect(entry.entries.get('incomplete')).toBe(1n);
  });

  it.each([
    ['', /unexpected end of input/],
    ['i03e', /integer 03 has a leading zero/],
    ['i-0e', /-0 is not allowed/],
    ['ie', /integer expected a digit/],
    ['i12', /integer must end with 'e', got end of input/],
    ['i1x2e', /integer must end with 'e', got 'x'/],
    ['i123456789012345678901e', /more than 20 digits/],
    ['05:hello', /leading zero/],
    ['5:abc', /string declares 5 bytes but only 3 remain/],
    ['10:short', /string declares 10 bytes but only 5 remain/],
    ['999999999999:x', /declares 999999999999 bytes but only 1 remain/],
    ['9999999999999:x', /more than 12 digits/],
    ['99999999999999:', /more than 12 digits/],
    ['l', /list is not terminated/],
    ['li1e', /list is not terminated/],
    ['d1:ai1e', /dict is not terminated/],
    ['d3:foo', /unexpected end of input/],
    ['d1:ae', /unexpected 'e'/],
    ['di1e1:xe', /dict key must be a string/],
    ['d1:ai1e1:ai2ee', /dict key "a" appears twice/],
    ['i1ei2e', /3 unexpected bytes after the end/],
    ['x', /unexpected 'x'/],
    ['e', /unexpected 'e'/],
  ])('refuses %j, naming the reason and the byte', (input, expected) => {
    const error = refusal(input);
    expect(error.reason).toMatch(expected);
    expect(error.message).toBe(`invalid bencode at byte ${error.offset}: ${error.reason}`);
  });

  it('reports the offset where decoding stopped', () => {
    expect(refusal('li1ei0xe').offset).toBe(6);
    expect(refusal('10:short').offset).toBe(0);
  });

  it('refuses a bencode bomb nested past the depth limit, without overflowing the stack', () => {
    const bomb = 'l'.repeat(100_000) + 'e'.repeat(100_000);
    expect(refusal(bomb).reason).toMatch(/nested deeper than 32 levels/);
    expect(decodeBencode(bytes('l'.repeat(32) + 'e'.repeat(32)))).toBeDefined();
    expect(decodeBencode(bytes('llee'), { maxDepth: 2 })).toEqual([[]]);
    expect(refusal('llleee', { maxDepth: 2 }).reason).toMatch(/deeper than 2/);
    expect(refusal(`d4:info${'d1:a'.repeat(40)}i1e${'e'.repeat(41)}`).reason).toMatch(/deeper than 32/);
  });

  it('refuses oversize input before reading it and caps the number of values', () => {
    expect(refusal(new Uint8Array(11), { maxInputBytes: 10 }).reason).toMatch(/input of 11 bytes exceeds the 10-byte limit/);
    const many = `l${'i1e'.repeat(1000)}e`;
    expect(refusal(many, { maxValues: 500 }).reason).toMatch(/more than 500 values/);
    expect(decodeBencode(bytes(many), { maxValues: 1001 })).toHaveLength(1000);
    // dict keys count too: 1 dict + 2 keys + 2 values
    expect(refusal('d1:ai1e1:bi2ee', { maxValues: 4 }).reason).toMatch(/more than 4 values/);
    expect(decodeBencode(bytes('d1:ai1e1:bi2ee'), { maxValues: 5 })).toBeDefined();
  });

  it('never throws anything but BencodeError on random or mutated bytes, and stays fast', () => {
    const alphabet = fc.constantFrom(...bytes('dlie0123456789:-x'));
    const valid = encodeBencode({
      announce: 'http://127.0.0.1:6969/announce',
      info: {
        name: 'x',
        'piece length': 16384,
        pieces: new Uint8Array(40),
        files: [
          { length: 5, path: ['a', 'b'] },
          { length: 70000, path: ['c'] },
        ],
      },
    });
    const scrape = binaryStringToBytes('d5:filesd20:aaaaaaaaaaaaaaaaaaaad8:completei3e10:downloadedi9e10:incompletei1eeee');
    const mutated = (doc: Uint8Array) =>
      fc
        .tuple(fc.array(fc.tuple(fc.nat(doc.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(doc.length))
        .map(([edits, cut]) => {
          const copy = doc.slice(0, Math.max(1, cut));
          for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
          return copy;
        });
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(alphabet, { maxLength: 300 }).map((a) => Uint8Array.from(a)),
      mutated(valid),
      mutated(scrape),
    );
    fc.assert(
      fc.property(inputs, (input) => {
        const started = performance.now();
        try {
          decodeBencode(input);
        } catch (error) {
          if (!(error instanceof BencodeError)) throw error;
        }
        expect(performance.now() - started).toBeLessThan(50);
      }),
      { numRuns: 4000 },
    );
  });
});

describe('encodeBencode', () => {
  it('writes text as UTF-8 and sorts dict keys by their bytes', () => {
    const value: BencodeInput = { z: 1, a: [bytes('x'), -3, { b: 0n }], é: 'ü', Z: 2 };
    expect(new TextDecoder().decode(encodeBencode(value))).toBe('d1:Zi2e1:al1:xi-3ed1:bi0eee1:zi1e2:é2:üe');
    expect(new TextDecoder().decode(encodeBencode({ b: 1, a: 2 }, { unsorted: true }))).toBe('d1:bi1e1:ai2ee');
    expect(() => encodeBencode(1.5)).toThrow(/safe integers, got 1.5/);
  });

  it('round-trips generated values: decode(encode(v)) re-encodes to the same bytes', () => {
    const leaf = fc.oneof(
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }),
      fc.maxSafeInteger(),
      fc.uint8Array({ maxLength: 20 }),
      fc.string({ maxLength: 8 }),
    );
    const { tree } = fc.letrec<{ tree: BencodeInput }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('tree'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 6 }), tie('tree'), { maxKeys: 4 }),
      ),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        const encoded = encodeBencode(value);
        const decoded = decodeBencode(encoded, { maxDepth: 64 });
        expect(encodeBencode(decoded)).toEqual(encoded);
      }),
      { numRuns: 500 },
    );
  });

  it('writes a decoded dict back byte for byte, binary keys included', () => {
    const key = binaryString(Uint8Array.from([0xff, 0x80, 0x00]));
    const doc = binaryStringToBytes(`d1:a0:3:${key}i1ee`);
    const decoded = decodeBencode(doc);
    expect(encodeBencode(decoded)).toEqual(doc);
    expect(plain(decoded)).toEqual({ a: new Uint8Array(0), [key]: 1n });
  });
});

function plain(value: BValue): unknown {
  if (!isBDict(value)) return Array.isArray(value) ? value.map(plain) : value;
  return Object.fromEntries([...value.entries].map(([key, inner]) => [key, plain(inner)]));
}
