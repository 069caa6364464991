/**
 * A bounded bencode decoder (BEP 3) for untrusted .torrent files. Pure.
 *
 * Our own rather than the `bencode` package: we must (1) refuse hostile input with a reason
 * instead of recursing without limit or allocating what a length prefix claims, and (2) keep
 * the exact byte range of every dict, because the info-hash is the SHA-1 of the raw `info`
 * bytes as they appear in the file - re-encoding a decoded value can change them (unsorted
 * keys, and anything a lenient decoder normalised).
 *
 * Rules enforced: nesting depth <= maxDepth; integers are `i<digits>e` with no leading zeros,
 * no `-0`, at most 20 digits; string lengths have no leading zeros and never exceed the bytes
 * left; dict keys are strings and not repeated; nothing but whitespace after the top value.
 */
import { SmartnodeError } from '../shared/index.js';

export interface BDict {
  readonly type: 'dict';
  /** Keys are the raw key bytes as a binary (latin1) string: one char per byte. */
  readonly entries: ReadonlyMap<string, BValue>;
  /** Byte offsets of this dict in the input: `d` at start, just past its `e` at end. */
  readonly start: number;
  readonly end: number;
}

export type BValue = bigint | Uint8Array | BValue[] | BDict;

export interface DecodeOptions {
  /** Deepest allowed nesting of lists and dicts (a bencode bomb nests thousands deep). */
  maxDepth?: number;
}

export const DEFAULT_MAX_DEPTH = 32;
const MAX_INT_DIGITS = 20;
const MAX_LENGTH_DIGITS = 12;

const D = 0x64; // d
const L = 0x6c; // l
const I = 0x69; // i
const E = 0x65; // e
const COLON = 0x3a;
const MINUS = 0x2d;
const ZERO = 0x30;
const NINE = 0x39;

export function isBDict(value: BValue | undefined): value is BDict {
  return typeof value === 'object' && !(value instanceof Uint8Array) && !Array.isArray(value);
}

export function decodeBencode(bytes: Uint8Array, options: DecodeOptions = {}): BValue {
  const maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
  let pos = 0;

  const fail = (reason: string, at = pos): never => {
    throw new SmartnodeError('TORRENT_INVALID', `invalid bencode at byte ${at}: ${reason}`, {
      hint: 'the .torrent file is damaged or not a torrent; fetch it again or drop the item',
      details: { offset: at },
    });
  };

  const readDigits = (maxDigits: number, what: string): string => {
    const begin = pos;
    while (pos < bytes.length && (bytes[pos] as number) >= ZERO && (bytes[pos] as number) <= NINE) {
      pos++;
      if (pos - begin > maxDigits) fail(`${what} has more than ${maxDigits} digits`, begin);
    }
    if (pos === begin) fail(`${what} expected a digit, got ${describeByte(bytes[pos])}`);
    const digits = String.fromCharCode(...bytes.subarray(begin, pos));
    if (digits.length > 1 && digits.startsWith('0')) fail(`${what} ${digits} has a leading zero`, begin);
    return digits;
  };

  const readString = (): Uint8Array => {
    const begin = pos;
    const length = Number(readDigits(MAX_LENGTH_DIGITS, 'string length'));
    if (bytes[pos] !== COLON) fail(`string length ${length} must be followed by ':', got ${describeByte(bytes[pos])}`);
    pos++;
    const left = bytes.length - pos;
    if (length > left) fail(`string declares ${length} bytes but only ${left} remain`, begin);
    const value = bytes.subarray(pos, pos + length);
    pos += length;
    return value;
  };

  const readValue = (depth: number): BValue => {
    const byte = bytes[pos];
    if (byte === undefined) return fail('unexpected end of input');
    if (byte === I) {
      pos++;
      const begin = pos;
      const negative = bytes[pos] === MINUS;
      if (negative) pos++;
      const digits = readDigits(MAX_INT_DIGITS, 'integer');
      if (negative && digits === '0') fail('integer -0 is not allowed', begin);
      if (bytes[pos] !== E) fail(`integer must end with 'e', got ${describeByte(bytes[pos])}`);
      pos++;
      return BigInt(negative ? `-${digits}` : digits);
    }
    if (byte >= ZERO && byte <= NINE) return readString();
    if (byte === L || byte === D) {
      if (depth >= maxDepth) fail(`nested deeper than ${maxDepth} levels`);
      const start = pos;
      pos++;
      if (byte === L) {
        const list: BValue[] = [];
        while (bytes[pos] !== E) {
          if (pos >= bytes.length) fail('list is not terminated', start);
          list.push(readValue(depth + 1));
        }
        pos++;
        return list;
      }
      const entries = new Map<string, BValue>();
      while (bytes[pos] !== E) {
        if (pos >= bytes.length) fail('dict is not terminated', start);
        const keyAt = pos;
        const keyByte = bytes[pos] as number;
        if (keyByte < ZERO || keyByte > NINE) fail(`dict key must be a string, got ${describeByte(keyByte)}`);
        const key = binaryString(readString());
        if (entries.has(key)) fail(`dict key ${JSON.stringify(key)} appears twice`, keyAt);
        entries.set(key, readValue(depth + 1));
      }
      pos++;
      return { type: 'dict', entries, start, end: pos };
    }
    return fail(`unexpected ${describeByte(byte)}`);
  };

  const value = readValue(0);
  while (pos < bytes.length && isSpace(bytes[pos] as number)) pos++;
  if (pos !== bytes.length) fail(`${bytes.length - pos} unexpected bytes after the end of the top-level value`);
  return value;
}

/** One char per byte (latin1), so any byte sequence round-trips. */
export function binaryString(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function describeByte(byte: number | undefined): string {
  if (byte === undefined) return 'end of input';
  return byte >= 0x21 && byte <= 0x7e ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}
