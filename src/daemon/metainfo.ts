/**
 * The little the daemon side needs from .torrent metainfo (BEP 3): the info-hash (SHA-1 of
 * the bencoded `info` value, byte for byte as it appears in the file), the name and the total
 * size. Plus a builder for tests and the benchmark.
 */
import { createHash, randomBytes } from 'node:crypto';
import { infoHashFromBytes, type InfoHash } from '../shared/index.js';
import { decodeBencode, encodeBencode, type BencodeInput, type BencodeValue } from './bencode.js';

export interface MetainfoSummary {
  infoHash: InfoHash;
  name: string;
  sizeBytes: number;
  /** Tracker URLs: `announce-list` tiers flattened (BEP 12), else `announce`. */
  announceUrls: string[];
}

/** Caps what we are willing to parse; real .torrent files of huge datasets stay well below. */
export const MAX_METAINFO_BYTES = 64 * 1024 * 1024;

/** Throws a plain Error naming what is wrong; callers wrap it in their own error code. */
export function readMetainfoSummary(bytes: Uint8Array): MetainfoSummary {
  if (bytes.length > MAX_METAINFO_BYTES) {
    throw new Error(`metainfo is ${bytes.length} bytes, more than ${MAX_METAINFO_BYTES}`);
  }
  const { value, spans } = decodeBencode(bytes);
  const span = spans.get('info');
  if (!isDict(value) || span === undefined) throw new Error('metainfo has no info dictionary');
  const info = value['info'];
  if (!isDict(info)) throw new Error('metainfo "info" is not a dictionary');
  const nameBytes = info['name'];
  if (!(nameBytes instanceof Uint8Array)) throw new Error('metainfo info.name is missing');
  const name = new TextDecoder('utf-8').decode(nameBytes);

  let sizeBytes: number;
  const length = info['length'];
  const files = info['files'];
  if (typeof length === 'number' && length >= 0) {
    sizeBytes = length;
  } else if (Array.isArray(files)) {
    sizeBytes = 0;
    for (const file of files) {
      const fileLength = isDict(file) ? file['length'] : undefined;
      if (typeof fileLength !== 'number' || fileLength < 0) {
        throw new Error('metainfo info.files has an entry without a length');
      }
      sizeBytes += fileLength;
    }
  } else {
    throw new Error('metainfo info has neither length nor files');
  }

  const digest = createHash('sha1').update(bytes.subarray(span.start, span.end)).digest();
  return { infoHash: infoHashFromBytes(digest), name, sizeBytes, announceUrls: readAnnounceUrls(value) };
}

function readAnnounceUrls(top: { [key: string]: BencodeValue }): string[] {
  const text = new TextDecoder('utf-8');
  const urls: string[] = [];
  const list = top['announce-list'];
  if (Array.isArray(list)) {
    for (const tier of list) {
      if (!Array.isArray(tier)) continue;
      for (const url of tier) if (url instanceof Uint8Array) urls.push(text.decode(url));
    }
  }
  const single = top['announce'];
  if (urls.length === 0 && single instanceof Uint8Array) urls.push(text.decode(single));
  return [...new Set(urls)];
}

function isDict(value: BencodeValue | undefined): value is { [key: string]: BencodeValue } {
  return (
    typeof value === 'object' && !(value instanceof Uint8Array) && !Array.isArray(value)
  );
}

export interface BuildMetainfoOptions {
  name: string;
  /** The file's bytes: pieces are real SHA-1s, so a daemon can verify the data. */
  data?: Uint8Array;
  /** Without data: the size; pieces are random (the torrent can never complete). */
  lengthBytes?: number;
  pieceLengthBytes?: number;
  announce?: string;
}

export interface BuiltMetainfo extends MetainfoSummary {
  metainfo: Uint8Array;
}

/** A single-file v1 torrent. */
export function buildMetainfo(options: BuildMetainfoOptions): BuiltMetainfo {
  const pieceLength = options.pieceLengthBytes ?? 16 * 1024;
  const sizeBytes = options.data?.length ?? options.lengthBytes ?? 0;
  const pieceCount = Math.max(1, Math.ceil(sizeBytes / pieceLength));
  const pieces = new Uint8Array(pieceCount * 20);
  for (let i = 0; i < pieceCount; i++) {
    const hash =
      options.data === undefined
        ? randomBytes(20)
        : createHash('sha1')
            .update(options.data.subarray(i * pieceLength, (i + 1) * pieceLength))
            .digest();
    pieces.set(hash, i * 20);
  }
  const info: BencodeInput = {
    length: sizeBytes,
    name: options.name,
    'piece length': pieceLength,
    pieces,
  };
  const top: Record<string, BencodeInput> = { info };
  if (options.announce !== undefined) top['announce'] = options.announce;
  const metainfo = encodeBencode(top);
  const infoHash = infoHashFromBytes(createHash('sha1').update(encodeBencode(info)).digest());
  const announceUrls = options.announce === undefined ? [] : [options.announce];
  return { metainfo, infoHash, name: options.name, sizeBytes, announceUrls };
}
