/**
 * A tiny bencode (BEP 3) reader and writer: just enough for the in-memory daemon to learn a
 * torrent's info-hash, name and size, and for tests and the benchmark to build metainfo
 * without spawning transmission-create. Pure: no node:* imports.
 *
 * NOTE for dedupe: src/feeds has its own .torrent parsing; once it settles this reader can
 * go and memory.ts can use that one. The writer stays (the benchmark builds 2,000 torrents).
 *
 * Bounded: input size is capped by the caller, nesting depth by MAX_DEPTH, and integer and
 * string lengths are checked against the remaining input before anything is allocated.
 */

export type BencodeValue = number | Uint8Array | BencodeValue[] | BencodeDict;
export interface BencodeDict {
  [key: string]: BencodeValue;
}

const MAX_DEPTH = 64;
const D = 0x64; // 'd'
const L = 0x6c; // 'l'
const I = 0x69; // 'i'
const E = 0x65; // 'e'
const COLON = 0x3a;

export class BencodeError extends Error {
  constructor(message: string, readonly offset: number) {
    super(`${message} at byte ${offset}`);
    this.name = 'BencodeError';
  }
}

/** What the writer accepts: strings are written as their UTF-8 bytes. */
export type BencodeInput = number | string | Uint8Array | BencodeInput[] | { [key: string]: BencodeInput };

export interface DecodedTop {
  value: BencodeValue;
  /** Byte ranges [start, end) of the values of the top-level dictionary's keys. */
  spans: Map<string, { start: number; end: number }>;
}

/** Decodes one value that must span the whole input; records top-level dict key spans. */
export function decodeBencode(bytes: Uint8Array): DecodedTop {
  const spans = new Map<string, { start: number; end: number }>();
  const reader = new Reader(bytes, spans);
  const value = reader.read(0);
  if (reader.pos !== bytes.length) throw new BencodeError('trailing data after value', reader.pos);
  return { value, spans };
}

class Reader {
  pos = 0;
  private readonly text = new TextDecoder('utf-8');
  constructor(
    private readonly bytes: Uint8Array,
    private readonly spans: Map<string, { start: number; end: number }>,
  ) {}

  read(depth: number): BencodeValue {
    if (depth > MAX_DEPTH) throw new BencodeError(`nesting deeper than ${MAX_DEPTH}`, this.pos);
    const c = this.bytes[this.pos];
    if (c === undefined) throw new BencodeError('unexpected end of input', this.pos);
    if (c === I) return this.readInt();
    if (c === L) {
      this.pos++;
      const list: BencodeValue[] = [];
      while (this.peek() !== E) list.push(this.read(depth + 1));
      this.pos++;
      return list;
    }
    if (c === D) {
      this.pos++;
      const dict: BencodeDict = Object.create(null) as BencodeDict;
      while (this.peek() !== E) {
        const key = this.text.decode(this.readBytes());
        const start = this.pos;
        dict[key] = this.read(depth + 1);
        if (depth === 0) this.spans.set(key, { start, end: this.pos });
      }
      this.pos++;
      return dict;
    }
    if (c >= 0x30 && c <= 0x39) return this.readBytes();
    throw new BencodeError(`unexpected byte 0x${c.toString(16)}`, this.pos);
  }

  private peek(): number {
    const c = this.bytes[this.pos];
    if (c === undefined) throw new BencodeError('unterminated list or dictionary', this.pos);
    return c;
  }

  private readInt(): number {
    const end = this.bytes.indexOf(E, this.pos);
    if (end < 0 || end - this.pos > 20) throw new BencodeError('bad integer', this.pos);
    const digits = this.text.decode(this.bytes.subarray(this.pos + 1, end));
    if (!/^(0|-?[1-9][0-9]*)$/.test(digits)) throw new BencodeError('bad integer', this.pos);
    const value = Number(digits);
    if (!Number.isSafeInteger(value)) throw new BencodeError('integer out of range', this.pos);
    this.pos = end + 1;
    return value;
  }

  private readBytes(): Uint8Array {
    const colon = this.bytes.indexOf(COLON, this.pos);
    if (colon < 0 || colon - this.pos > 12) throw new BencodeError('bad string length', this.pos);
    const digits = this.text.decode(this.bytes.subarray(this.pos, colon));
    if (!/^(0|[1-9][0-9]*)$/.test(digits)) throw new BencodeError('bad string length', this.pos);
    const length = Number(digits);
    const start = colon + 1;
    if (start + length > this.bytes.length) {
      throw new BencodeError(`string of ${length} bytes runs past the end`, this.pos);
    }
    this.pos = start + length;
    return this.bytes.subarray(start, start + length);
  }
}

/** Encodes a value; dictionary keys are sorted by their UTF-8 bytes as BEP 3 requires. */
export function encodeBencode(value: BencodeInput): Uint8Array {
  const parts: Uint8Array[] = [];
  const enc = new TextEncoder();
  const write = (v: BencodeInput): void => {
    if (typeof v === 'string') {
      const b = enc.encode(v);
      parts.push(enc.encode(`${b.length}:`), b);
    } else if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) throw new TypeError(`bencode integers must be integers, got ${v}`);
      parts.push(enc.encode(`i${v}e`));
    } else if (v instanceof Uint8Array) {
      parts.push(enc.encode(`${v.length}:`), v);
    } else if (Array.isArray(v)) {
      parts.push(enc.encode('l'));
      for (const item of v) write(item);
      parts.push(enc.encode('e'));
    } else {
      parts.push(enc.encode('d'));
      const keys = Object.keys(v).sort((a, b) => compareBytes(enc.encode(a), enc.encode(b)));
      for (const key of keys) {
        write(key);
        write(v[key] as BencodeInput);
      }
      parts.push(enc.encode('e'));
    }
  };
  write(value);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}
