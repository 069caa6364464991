import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { decodeBencode, isBDict } from './bencode.js';
import { parseTorrentFile } from './torrent.js';
import { aTorrentFile, encodeBencode } from './testing.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const reason = (input: string | Uint8Array, maxDepth?: number): string => {
  try {
    decodeBencode(typeof input === 'string' ? bytes(input) : input, maxDepth === undefined ? {} : { maxDepth });
  } catch (error) {
    expect(error).toBeInstanceOf(SmartnodeError);
    expect((error as SmartnodeError).code).toBe('TORRENT_INVALID');
    return (error as SmartnodeError).message;
  }
  throw new Error('expected a rejection');
};

describe('decodeBencode', () => {
  it('decodes integers, strings, lists and dicts with their byte ranges', () => {
    const value = decodeBencode(bytes('d3:bar4:spam3:fooi-42e4:listli1ei2eee'));
    expect(isBDict(value)).toBe(true);
    if (!isBDict(value)) return;
    expect(value.start).toBe(0);
    expect(value.end).toBe(37);
    expect(value.entries.get('foo')).toBe(-42n);
    expect(new TextDecoder().decode(value.entries.get('bar') as Uint8Array)).toBe('spam');
    expect(value.entries.get('list')).toEqual([1n, 2n]);
    expect(decodeBencode(bytes('i0e'))).toBe(0n);
    expect(decodeBencode(bytes('0:'))).toEqual(new Uint8Array(0));
    expect(decodeBencode(bytes('le\n'))).toEqual([]); // trailing newline tolerated
  });

  it('keeps integers beyond 2^53 exact', () => {
    expect(decodeBencode(bytes('i18446744073709551615e'))).toBe(18446744073709551615n);
  });

  it.each([
    ['i03e', /leading zero/],
    ['i-0e', /-0 is not allowed/],
    ['ie', /integer expected a digit/],
    ['i12', /integer must end with 'e', got end of input/],
    ['i123456789012345678901e', /more than 20 digits/],
    ['05:hello', /leading zero/],
    ['10:short', /string declares 10 bytes but only 5 remain/],
    ['999999999999:x', /declares 999999999999 bytes but only 1 remain/],
    ['9999999999999:x', /more than 12 digits/],
    ['l', /list is not terminated/],
    ['d3:foo', /unexpected end of input/],
    ['di1e1:xe', /dict key must be a string/],
    ['d1:ai1e1:ai2ee', /dict key "a" appears twice/],
    ['i1ei2e', /3 unexpected bytes after the end/],
    ['x', /unexpected 'x'/],
    ['', /unexpected end of input/],
  ])('refuses %j', (input, expected) => {
    expect(reason(input)).toMatch(expected);
  });

  it('refuses a bencode bomb nested past the depth limit, without overflowing the stack', () => {
    const bomb = 'l'.repeat(100_000) + 'e'.repeat(100_000);
    expect(reason(bomb)).toMatch(/nested deeper than 32 levels/);
    expect(reason('l'.repeat(5) + 'e'.repeat(5), 4)).toMatch(/deeper than 4/);
    expect(decodeBencode(bytes('l'.repeat(32) + 'e'.repeat(32)))).toBeDefined();
  });

  it('round-trips what the test encoder writes', () => {
    const leaf = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }), fc.uint8Array({ maxLength: 20 }));
    const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('tree'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 5, unit: 'binary-ascii' }), tie('tree'), { maxKeys: 4 })),
    }));
    fc.assert(fc.property(tree, (value) => {
      const encoded = encodeBencode(value as never);
      const decoded = decodeBencode(encoded, { maxDepth: 64 });
      expect(encodeBencode(toPlain(decoded) as never)).toEqual(encoded);
    }), { numRuns: 300 });
  });

  it('never throws anything but SmartnodeError on random bytes, and stays fast', () => {
    const alphabet = fc.constantFrom(...bytes('dlie0123456789:-x'));
    const torrent = aTorrentFile({ files: [{ path: ['a', 'b'], length: 5 }, { path: ['c'], length: 70000 }] });
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(alphabet, { maxLength: 300 }).map((a) => Uint8Array.from(a)),
      // a valid torrent with a few bytes changed or cut
      fc.tuple(fc.array(fc.tuple(fc.nat(torrent.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(torrent.length))
        .map(([edits, cut]) => {
          const copy = torrent.slice(0, Math.max(1, cut));
          for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
          return copy;
        }),
    );
    fc.assert(fc.property(inputs, (input) => {
      const started = performance.now();
      for (const run of [() => decodeBencode(input), () => parseTorrentFile(input)]) {
        try {
          run();
        } catch (error) {
          if (!(error instanceof SmartnodeError)) throw error;
        }
      }
      expect(performance.now() - started).toBeLessThan(50);
    }), { numRuns: 2000 });
  });
});

function toPlain(value: ReturnType<typeof decodeBencode>): unknown {
  if (typeof value === 'bigint' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(toPlain);
  return Object.fromEntries([...value.entries].map(([key, inner]) => [key, toPlain(inner)]));
}
