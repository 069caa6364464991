/**
 * The little the daemon side needs from .torrent metainfo (BEP 3): the info-hash (SHA-1 of
 * the bencoded `info` value, byte for byte as it appears in the file), the name and the total
 * size. Plus a builder for tests and the benchmark.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  bencodeSafeInteger,
  decodeBencode,
  encodeBencode,
  infoHashFromBytes,
  isBDict,
  type BDict,
  type BencodeInput,
  type InfoHash,
} from '../shared/index.js';

export interface MetainfoSummary {
  infoHash: InfoHash;
  name: string;
  sizeBytes: number;
  /** Tracker URLs: `announce-list` tiers flattened (BEP 12), else `announce`. */
  announceUrls: string[];
}

/** Caps what we are willing to parse; real .torrent files of huge datasets stay well below. */
export const MAX_METAINFO_BYTES = 64 * 1024 * 1024;

const utf8 = new TextDecoder('utf-8');

/** Throws an Error (a BencodeError for bad bencode) naming what is wrong; callers wrap it. */
export function readMetainfoSummary(bytes: Uint8Array): MetainfoSummary {
  const top = decodeBencode(bytes, { maxInputBytes: MAX_METAINFO_BYTES });
  const info = isBDict(top) ? top.entries.get('info') : undefined;
  if (!isBDict(top) || info === undefined) throw new Error('metainfo has no info dictionary');
  if (!isBDict(info)) throw new Error('metainfo "info" is not a dictionary');
  const nameBytes = info.entries.get('name');
  if (!(nameBytes instanceof Uint8Array)) throw new Error('metainfo info.name is missing');
  const name = utf8.decode(nameBytes);

  let sizeBytes: number;
  const length = bencodeSafeInteger(info.entries.get('length'));
  const files = info.entries.get('files');
  if (length !== null && length >= 0) {
    sizeBytes = length;
  } else if (Array.isArray(files)) {
    sizeBytes = 0;
    for (const file of files) {
      const fileLength = isBDict(file) ? bencodeSafeInteger(file.entries.get('length')) : null;
      if (fileLength === null || fileLength < 0) {
        throw new Error('metainfo info.files has an entry without a length');
      }
      sizeBytes += fileLength;
    }
  } else {
    throw new Error('metainfo info has neither length nor files');
  }

  const digest = createHash('sha1').update(bytes.subarray(info.start, info.end)).digest();
  return { infoHash: infoHashFromBytes(digest), name, sizeBytes, announceUrls: readAnnounceUrls(top) };
}

function readAnnounceUrls(top: BDict): string[] {
  const urls: string[] = [];
  const list = top.entries.get('announce-list');
  if (Array.isArray(list)) {
    for (const tier of list) {
      if (!Array.isArray(tier)) continue;
      for (const url of tier) if (url instanceof Uint8Array) urls.push(utf8.decode(url));
    }
  }
  const single = top.entries.get('announce');
  if (urls.length === 0 && single instanceof Uint8Array) urls.push(utf8.decode(single));
  return [...new Set(urls)];
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
  const info: { [key: string]: BencodeInput } = {
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
