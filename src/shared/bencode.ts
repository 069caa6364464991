/**
 * Bencode (BEP 3): one bounded decoder for untrusted input (.torrent files, tracker replies)
 * and one encoder with sorted keys. Pure: no node:* imports.
 *
 * Our own rather than the `bencode` package: hostile input must be refused with a reason
 * (never recursing without limit, never allocating what a length prefix claims), and every
 * dict keeps its exact byte range, because the info-hash is the SHA-1 of the raw `info` bytes
 * as they appear in the file; re-encoding a decoded value can change them (unsorted keys).
 *
 * Rules enforced: input length <= maxInputBytes; nesting of lists and dicts <= maxDepth;
 * at most maxValues values (dict keys count); integers are `i<digits>e` with no leading
 * zeros, no `-0`, at most 20 digits, decoded as exact bigints; string lengths have no leading
 * zeros and never exceed the bytes left; dict keys are byte strings and not repeated; nothing
 * but whitespace after the top-level value. Errors are always BencodeError; each domain wraps
 * it into its own SmartnodeError code (TORRENT_INVALID, SCRAPE_FAILED, ...).
 */
import { concatBytes } from './bytes.js';

export interface BDict {
  readonly type: 'dict';
  /** Keys are the raw key bytes as a binary string (one char per byte, see binaryString). */
  readonly entries: ReadonlyMap<string, BValue>;
  /** Byte offsets of this dict in the input: its `d` at start, just past its `e` at end. */
  readonly start: number;
  readonly end: number;
}

export type BValue = bigint | Uint8Array | BValue[] | BDict;

export interface BencodeLimits {
  /** Refuse longer inputs before reading a byte. */
  maxInputBytes: number;
  /** Deepest nesting of lists and dicts (a bencode bomb nests thousands deep). */
  maxDepth: number;
  /** Values in the whole document: integers, strings, lists, dicts and dict keys. */
  maxValues: number;
}

export const DEFAULT_BENCODE_LIMITS: Readonly<BencodeLimits> = {
  maxInputBytes: 64 * 1024 * 1024,
  maxDepth: 32,
  maxValues: Number.POSITIVE_INFINITY,
};

/** Malformed or over-limit input. `offset` is the byte where decoding stopped. */
export class BencodeError extends Error {
  readonly offset: number;
  /** What is wrong, without the offset: domains put it in their own messages. */
  readonly reason: string;
  constructor(reason: string, offset: number) {
    super(`invalid bencode at byte ${offset}: ${reason}`);
    this.name = 'BencodeError';
    this.reason = reason;
    this.offset = offset;
  }
}

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

/** An integer value as a JS number, or null when absent, not an integer or beyond 2^53. */
export function bencodeSafeInteger(value: BValue | undefined): number | null {
  if (typeof value !== 'bigint') return null;
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) return null;
  return Number(value);
}

/** Decodes exactly one value spanning the input (trailing whitespace allowed). */
export function decodeBencode(bytes: Uint8Array, limits: Partial<BencodeLimits> = {}): BValue {
  const { maxInputBytes, maxDepth, maxValues } = { ...DEFAULT_BENCODE_LIMITS, ...limits };
  if (bytes.length > maxInputBytes) {
    throw new BencodeError(`input of ${bytes.length} bytes exceeds the ${maxInputBytes}-byte limit`, 0);
  }
  let pos = 0;
  let values = 0;

  const fail = (reason: string, at = pos): never => {
    throw new BencodeError(reason, at);
  };

  const countValue = (): void => {
    values++;
    if (values > maxValues) fail(`more than ${maxValues} values`);
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
    countValue();
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
    if (byte !== L && byte !== D) return fail(`unexpected ${describeByte(byte)}`);
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
      countValue();
      const key = binaryString(readString());
      if (entries.has(key)) fail(`dict key ${JSON.stringify(key)} appears twice`, keyAt);
      entries.set(key, readValue(depth + 1));
    }
    pos++;
    return { type: 'dict', entries, start, end: pos };
  };

  const value = readValue(0);
  while (pos < bytes.length && isSpace(bytes[pos] as number)) pos++;
  if (pos !== bytes.length) fail(`${bytes.length - pos} unexpected bytes after the end of the top-level value`);
  return value;
}

/**
 * What the encoder accepts. Text (strings, plain-object keys) is written as UTF-8; a decoded
 * BDict's keys are binary strings and are written back byte for byte.
 */
export type BencodeInput =
  | number
  | bigint
  | string
  | Uint8Array
  | readonly BencodeInput[]
  | BDict
  | { readonly [key: string]: BencodeInput };

export interface EncodeOptions {
  /** Keep dict keys in insertion order instead of sorting them (tests build hostile files). */
  unsorted?: boolean;
}

const utf8 = new TextEncoder();

/** Encodes a value; dict keys are sorted by their bytes, as BEP 3 requires. */
export function encodeBencode(value: BencodeInput, options: EncodeOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const put = (text: string): void => {
    parts.push(utf8.encode(text));
  };
  const putBytes = (bytes: Uint8Array): void => {
    put(`${bytes.length}:`);
    parts.push(bytes);
  };
  const putDict = (entries: Array<[Uint8Array, BencodeInput]>): void => {
    if (options.unsorted !== true) entries.sort(([a], [b]) => compareBytes(a, b));
    put('d');
    for (const [key, inner] of entries) {
      putBytes(key);
      walk(inner);
    }
    put('e');
  };
  const walk = (v: BencodeInput): void => {
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new TypeError(`bencode integers must be safe integers, got ${v}`);
      put(`i${v}e`);
    } else if (typeof v === 'bigint') {
      put(`i${v}e`);
    } else if (typeof v === 'string') {
      putBytes(utf8.encode(v));
    } else if (v instanceof Uint8Array) {
      putBytes(v);
    } else if (isArray(v)) {
      put('l');
      for (const item of v) walk(item);
      put('e');
    } else if (isDecodedDict(v)) {
      putDict([...v.entries].map(([key, inner]) => [binaryStringToBytes(key), inner]));
    } else {
      putDict(Object.entries(v).map(([key, inner]) => [utf8.encode(key), inner]));
    }
  };
  walk(value);
  return concatBytes(parts);
}

/** One char per byte (latin1), so any byte sequence round-trips through binaryStringToBytes. */
export function binaryString(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

export function binaryStringToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

function isArray(value: BencodeInput): value is readonly BencodeInput[] {
  return Array.isArray(value);
}

/** A plain input object cannot hold a Map, so `entries` being one marks a decoded dict. */
function isDecodedDict(value: BDict | { readonly [key: string]: BencodeInput }): value is BDict {
  return value['type'] === 'dict' && (value as { entries?: unknown }).entries instanceof Map;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

function describeByte(byte: number | undefined): string {
  if (byte === undefined) return 'end of input';
  return byte >= 0x21 && byte <= 0x7e ? `'${String.fromCharCode(byte)}'` : `byte 0x${byte.toString(16).padStart(2, '0')}`;
}
