/**
 * Test helpers for the feeds domain: a tiny bencode encoder and a .torrent builder. Used by
 * tests and benchmarks only; never by production code.
 */
import { createHash } from 'node:crypto';

export type BInput = number | bigint | string | Uint8Array | BInput[] | { [key: string]: BInput };

const encoder = new TextEncoder();

/** Encodes a value; dict keys are written in sorted order (as BEP 3 requires) unless `unsorted`. */
export function encodeBencode(value: BInput, options: { unsorted?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const put = (text: string): void => {
    parts.push(encoder.encode(text));
  };
  const walk = (v: BInput): void => {
    if (typeof v === 'number' || typeof v === 'bigint') {
      put(`i${v}e`);
    } else if (typeof v === 'string') {
      const bytes = encoder.encode(v);
      put(`${bytes.length}:`);
      parts.push(bytes);
    } else if (v instanceof Uint8Array) {
      put(`${v.length}:`);
      parts.push(v);
    } else if (Array.isArray(v)) {
      put('l');
      v.forEach(walk);
      put('e');
    } else {
      put('d');
      const keys = Object.keys(v);
      if (options.unsorted !== true) keys.sort();
      for (const key of keys) {
        walk(key);
        walk(v[key] as BInput);
      }
      put('e');
    }
  };
  walk(value);
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export interface TorrentSpec {
  name?: string;
  pieceLength?: number;
  /** Single-file length; ignored when `files` is given. */
  length?: number;
  files?: Array<{ path: string[]; length: number }>;
  announce?: string;
  announceList?: string[][];
  isPrivate?: boolean;
  /** Override or add raw info keys (for hostile cases). */
  infoExtra?: Record<string, BInput>;
  /** Override the pieces string (for hostile cases). */
  pieces?: Uint8Array;
}

/** The info dict a spec describes, with the right number of (zero) piece hashes. */
export function anInfoDict(spec: TorrentSpec = {}): Record<string, BInput> {
  const pieceLength = spec.pieceLength ?? 16384;
  const total = spec.files === undefined ? (spec.length ?? 100_000) : spec.files.reduce((n, f) => n + f.length, 0);
  const info: Record<string, BInput> = {
    name: spec.name ?? 'dataset',
    'piece length': pieceLength,
    pieces: spec.pieces ?? new Uint8Array(20 * Math.max(1, Math.ceil(total / pieceLength))),
  };
  if (spec.files === undefined) info.length = spec.length ?? 100_000;
  else info.files = spec.files.map((f) => ({ length: f.length, path: f.path }));
  if (spec.isPrivate === true) info.private = 1;
  return { ...info, ...(spec.infoExtra ?? {}) };
}

/** A whole .torrent file's bytes. */
export function aTorrentFile(spec: TorrentSpec = {}): Uint8Array {
  const root: Record<string, BInput> = { info: anInfoDict(spec) };
  root.announce = spec.announce ?? 'http://127.0.0.1:6969/announce';
  if (spec.announceList !== undefined) root['announce-list'] = spec.announceList;
  return encodeBencode(root);
}

/** The info-hash a spec's torrent must have, computed independently of the decoder. */
export function expectedInfoHash(spec: TorrentSpec = {}): string {
  return createHash('sha1').update(encodeBencode(anInfoDict(spec))).digest('hex');
}
