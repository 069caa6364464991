/**
 * A small, bounded bencode decoder for tracker replies (BEP 3 "bencoding"). Pure: no node:*.
 *
 * Trackers are untrusted: every limit here is checked before any allocation it would cause,
 * so a hostile reply costs at most `maxInputBytes` of reading and `maxItems` values.
 * Byte strings stay bytes (Uint8Array); dictionary keys become "binary" strings (one char
 * per byte, code 0..255), which round-trip exactly through `binaryKeyToBytes`.
 */

export type BValue = number | Uint8Array | BValue[] | BDict;
export type BDict = Map<string, BValue>;

export interface BencodeLimits {
  /** Refuse inputs longer than this. */
  maxInputBytes: number;
  /** Deepest nesting of lists/dicts. */
  maxDepth: number;
  /** Total values (scalars, lists, dicts) in the document. */
  maxItems: number;
}

export const DEFAULT_BENCODE_LIMITS: BencodeLimits = {
  maxInputBytes: 2 * 1024 * 1024,
  maxDepth: 32,
  maxItems: 200_000,
};

/** Malformed or over-limit input; `offset` is the byte where decoding stopped. */
export class BencodeError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = 'BencodeError';
    this.offset = offset;
  }
}

const CH_0 = 0x30;
const CH_9 = 0x39;
const CH_COLON = 0x3a;
const CH_MINUS = 0x2d;
const CH_D = 0x64;
const CH_E = 0x65;
const CH_I = 0x69;
const CH_L = 0x6c;
/** 2^53 has 16 digits: longer integers cannot be exact JS numbers. */
const MAX_INT_DIGITS = 16;

/** Decodes exactly one bencoded value spanning the whole input, or throws BencodeError. */
export function decodeBencode(
  input: Uint8Array,
  limits: Partial<BencodeLimits> = {},
): BValue {
  const lim: BencodeLimits = { ...DEFAULT_BENCODE_LIMITS, ...limits };
  if (input.length > lim.maxInputBytes) {
    throw new BencodeError(`input of ${input.length} bytes exceeds the ${lim.maxInputBytes}-byte limit`, 0);
  }
  const state = { pos: 0, items: 0 };

  const countItem = (): void => {
    state.items += 1;
    if (state.items > lim.maxItems) {
      throw new BencodeError(`more than ${lim.maxItems} values`, state.pos);
    }
  };

  const peek = (): number => {
    const b = input[state.pos];
    if (b === undefined) throw new BencodeError('unexpected end of input', state.pos);
    return b;
  };

  /** Reads ASCII digits (with an optional leading '-') up to `terminator`. */
  const readDigits = (terminator: number, allowNegative: boolean): number => {
    const start = state.pos;
    let negative = false;
    if (allowNegative && peek() === CH_MINUS) {
      negative = true;
      state.pos += 1;
    }
    const digitsStart = state.pos;
    let value = 0;
    for (;;) {
      const b = peek();
      if (b === terminator) break;
      if (b < CH_0 || b > CH_9) throw new BencodeError(`unexpected byte 0x${b.toString(16)} in a number`, state.pos);
      if (state.pos - digitsStart >= MAX_INT_DIGITS) throw new BencodeError('number too long', start);
      value = value * 10 + (b - CH_0);
      state.pos += 1;
    }
    const digits = state.pos - digitsStart;
    if (digits === 0) throw new BencodeError('empty number', start);
    if (digits > 1 && input[digitsStart] === CH_0) throw new BencodeError('number with a leading zero', start);
    if (negative && value === 0) throw new BencodeError('negative zero', start);
    if (!Number.isSafeInteger(value)) throw new BencodeError('number too large', start);
    state.pos += 1; // terminator
    return negative ? -value : value;
  };

  const readBytes = (): Uint8Array => {
    const start = state.pos;
    const length = readDigits(CH_COLON, false);
    if (length > input.length - state.pos) {
      throw new BencodeError(`string of ${length} bytes runs past the end of input`, start);
    }
    const bytes = input.subarray(state.pos, state.pos + length);
    state.pos += length;
    return bytes;
  };

  const readValue = (depth: number): BValue => {
    countItem();
    const b = peek();
    if (b === CH_I) {
      state.pos += 1;
      return readDigits(CH_E, true);
    }
    if (b >= CH_0 && b <= CH_9) return readBytes();
    if (b === CH_L || b === CH_D) {
      if (depth >= lim.maxDepth) throw new BencodeError(`nesting deeper than ${lim.maxDepth}`, state.pos);
      state.pos += 1;
      if (b === CH_L) {
        const list: BValue[] = [];
        while (peek() !== CH_E) list.push(readValue(depth + 1));
        state.pos += 1;
        return list;
      }
      const dict: BDict = new Map();
      while (peek() !== CH_E) {
        const keyStart = state.pos;
        const kb = peek();
        if (kb < CH_0 || kb > CH_9) throw new BencodeError('dictionary key is not a byte string', keyStart);
        countItem();
        const key = bytesToBinaryKey(readBytes());
        dict.set(key, readValue(depth + 1));
      }
      state.pos += 1;
      return dict;
    }
    throw new BencodeError(`unexpected byte 0x${b.toString(16)}`, state.pos);
  };

  const value = readValue(0);
  if (state.pos !== input.length) {
    throw new BencodeError(`${input.length - state.pos} trailing bytes after the value`, state.pos);
  }
  return value;
}

/** One char per byte (code 0..255): an exact, reversible key for binary dictionary keys. */
export function bytesToBinaryKey(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += String.fromCharCode(b);
  return out;
}

export function binaryKeyToBytes(key: string): Uint8Array {
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) out[i] = key.charCodeAt(i) & 0xff;
  return out;
}

export function isBDict(value: BValue | undefined): value is BDict {
  return value instanceof Map;
}

export function isBBytes(value: BValue | undefined): value is Uint8Array {
  return value instanceof Uint8Array;
}

/** Decodes a byte string as UTF-8 (replacement characters for invalid sequences). */
export function bytesToText(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}
