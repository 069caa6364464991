/**
 * .torrent metainfo (BEP 3, BEP 12 announce-list, BEP 27 private) -> TorrentMeta, refusing
 * hostile files with TORRENT_INVALID and the reason. Pure apart from SHA-1 from node:crypto
 * (the info-hash is SHA-1 of the exact raw `info` bytes the decoder located).
 */
import { createHash } from 'node:crypto';
import {
  BencodeError,
  decodeBencode,
  infoHashFromBytes,
  isBDict,
  SmartnodeError,
  type BDict,
  type BValue,
  type InfoHash,
} from '../shared/index.js';
import { uniqueTrackers } from './item.js';
import type { TorrentFileEntry, TorrentMeta } from './types.js';

export interface ParseTorrentOptions {
  maxDepth?: number;
  /** Refuse torrents listing more files than this. */
  maxFiles?: number;
}

export const DEFAULT_MAX_FILES = 100_000;
/** 2 GiB: far above any piece length clients create (16 KiB .. 256 MiB). */
const MAX_PIECE_LENGTH = 2 ** 31;
const utf8 = new TextDecoder('utf-8');

export function parseTorrentFile(bytes: Uint8Array, options: ParseTorrentOptions = {}): TorrentMeta {
  const root = decodeTorrentBencode(bytes, options.maxDepth);
  if (!isBDict(root)) invalid('the top level is not a dictionary');
  const info = root.entries.get('info');
  if (!isBDict(info)) invalid(info === undefined ? 'no info dictionary' : 'info is not a dictionary');
  const infoHash = infoHashFromBytes(createHash('sha1').update(bytes.subarray(info.start, info.end)).digest());

  const name = textField(info, 'name');
  if (name === null) invalid('info.name is missing');
  checkSegment(name, 'info.name');

  const pieceLength = intField(info, 'piece length');
  if (pieceLength === null) invalid('info["piece length"] is missing');
  if (pieceLength < 1 || pieceLength > MAX_PIECE_LENGTH) invalid(`piece length ${pieceLength} is outside 1..${MAX_PIECE_LENGTH}`);
  const pieces = info.entries.get('pieces');
  if (!(pieces instanceof Uint8Array)) invalid('info.pieces is missing or not a byte string');
  if (pieces.length === 0 || pieces.length % 20 !== 0)
    invalid(`info.pieces has ${pieces.length} bytes, not a positive multiple of 20 (one SHA-1 per piece)`);

  const files = readFiles(info, name, options.maxFiles ?? DEFAULT_MAX_FILES);
  let total = 0;
  for (const file of files) {
    total += file.lengthBytes;
    if (!Number.isSafeInteger(total)) invalid('the file lengths add up to more than 2^53 bytes');
  }
  if (total === 0) invalid('the torrent holds no data (total length 0)');
  const pieceCount = pieces.length / 20;
  const expectedPieces = Math.ceil(total / pieceLength);
  if (pieceCount !== expectedPieces) {
    invalid(`${pieceCount} piece hashes for ${total} bytes at ${pieceLength} bytes per piece (expected ${expectedPieces})`);
  }

  return {
    infoHash,
    name,
    totalSizeBytes: total,
    files,
    pieceLengthBytes: pieceLength,
    pieceCount,
    trackers: readTrackers(root),
    webSeeds: readWebSeeds(root),
    isPrivate: intField(info, 'private') === 1,
    createdAtMs: creationDateMs(intField(root, 'creation date')),
  };
}

/** Throws TORRENT_HASH_MISMATCH when the fetched .torrent is not the torrent the feed promised. */
export function verifyTorrentForItem(meta: TorrentMeta, expectedInfoHash: InfoHash): void {
  if (meta.infoHash !== expectedInfoHash) {
    throw new SmartnodeError(
      'TORRENT_HASH_MISMATCH',
      `the .torrent "${meta.name}" has info-hash ${meta.infoHash}, but the feed item says ${expectedInfoHash}`,
      {
        hint: 'the feed or the download URL points at another torrent; the item is skipped until the feed is fixed',
        details: { expected: expectedInfoHash, actual: meta.infoHash },
      },
    );
  }
}

/** The fetch's byte cap (torrentFileMaxBytes) already bounds the input, so no size limit here. */
function decodeTorrentBencode(bytes: Uint8Array, maxDepth: number | undefined): BValue {
  try {
    return decodeBencode(bytes, { maxInputBytes: Number.POSITIVE_INFINITY, ...(maxDepth === undefined ? {} : { maxDepth }) });
  } catch (error) {
    if (!(error instanceof BencodeError)) throw error;
    throw new SmartnodeError('TORRENT_INVALID', `invalid .torrent: not valid bencode at byte ${error.offset}: ${error.reason}`, {
      hint: 'the .torrent file is damaged or not a torrent; fetch it again or drop the item',
      details: { offset: error.offset },
      cause: error,
    });
  }
}

function readFiles(info: BDict, name: string, maxFiles: number): TorrentFileEntry[] {
  const single = info.entries.get('length');
  const list = info.entries.get('files');
  if (single !== undefined && list !== undefined) invalid('info has both length (single file) and files (multi file)');
  if (single !== undefined) return [{ path: [name], lengthBytes: checkLength(single, 'info.length') }];
  if (!Array.isArray(list)) invalid(list === undefined ? 'info has neither length nor files' : 'info.files is not a list');
  if (list.length === 0) invalid('info.files is empty');
  if (list.length > maxFiles) invalid(`info.files lists ${list.length} files, more than the limit of ${maxFiles}`);
  const seen = new Set<string>();
  return list.map((entry, index) => {
    const where = `info.files[${index}]`;
    if (!isBDict(entry)) invalid(`${where} is not a dictionary`);
    const lengthBytes = checkLength(entry.entries.get('length'), `${where}.length`);
    const rawPath = entry.entries.get('path.utf-8') ?? entry.entries.get('path');
    if (!Array.isArray(rawPath) || rawPath.length === 0) invalid(`${where}.path is missing or empty`);
    const path = rawPath.map((segment, i) => {
      if (!(segment instanceof Uint8Array)) invalid(`${where}.path[${i}] is not a string`);
      const text = utf8.decode(segment);
      checkSegment(text, `${where}.path[${i}]`);
      return text;
    });
    const key = path.join('/');
    if (seen.has(key)) invalid(`${where}.path ${JSON.stringify(key)} appears twice`);
    seen.add(key);
    return { path, lengthBytes };
  });
}

function readTrackers(root: BDict): string[] {
  const urls: string[] = [];
  const announce = root.entries.get('announce');
  if (announce instanceof Uint8Array) urls.push(utf8.decode(announce));
  const tiers = root.entries.get('announce-list');
  if (Array.isArray(tiers)) {
    for (const tier of tiers) {
      if (!Array.isArray(tier)) continue;
      for (const url of tier) if (url instanceof Uint8Array) urls.push(utf8.decode(url));
    }
  }
  return uniqueTrackers(urls);
}

/** Web seeds: BEP 19 `url-list` (one URL or a list) and BEP 17 `httpseeds`; http(s) only, deduplicated. */
function readWebSeeds(root: BDict): string[] {
  const urls: string[] = [];
  for (const key of ['url-list', 'httpseeds']) {
    const value = root.entries.get(key);
    const list = Array.isArray(value) ? value : [value];
    for (const url of list) if (url instanceof Uint8Array) urls.push(utf8.decode(url));
  }
  return [...new Set(urls.filter((u) => /^https?:\/\//i.test(u)))];
}

/** A path segment the daemon will write under its download dir: never escaping it. */
function checkSegment(segment: string, where: string): void {
  const shown = JSON.stringify(segment.length > 80 ? `${segment.slice(0, 77)}...` : segment);
  if (segment === '') invalid(`${where} is an empty path segment`);
  if (segment === '.' || segment === '..') invalid(`${where} is ${shown}, a path traversal`);
  if (segment.includes('\0')) invalid(`${where} ${shown} contains a NUL byte`);
  if (segment.includes('/') || segment.includes('\\')) invalid(`${where} ${shown} contains a path separator (absolute or nested path)`);
  if (/^[A-Za-z]:/.test(segment)) invalid(`${where} ${shown} looks like a drive-letter path`);
}

function checkLength(value: BValue | undefined, where: string): number {
  if (typeof value !== 'bigint') invalid(`${where} is missing or not an integer`);
  if (value < 0n) invalid(`${where} is negative (${value})`);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) invalid(`${where} is absurdly large (${value} bytes)`);
  return Number(value);
}

function intField(dict: BDict, key: string): number | null {
  const value = dict.entries.get(key);
  if (value === undefined) return null;
  if (typeof value !== 'bigint') invalid(`info[${JSON.stringify(key)}] is not an integer`);
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER))
    invalid(`info[${JSON.stringify(key)}] = ${value} is out of range`);
  return Number(value);
}

/** Prefers the `<key>.utf-8` variant some clients add. */
function textField(dict: BDict, key: string): string | null {
  const value = dict.entries.get(`${key}.utf-8`) ?? dict.entries.get(key);
  if (value === undefined) return null;
  if (!(value instanceof Uint8Array)) invalid(`info.${key} is not a string`);
  return utf8.decode(value);
}

function invalid(reason: string): never {
  throw new SmartnodeError('TORRENT_INVALID', `invalid .torrent: ${reason}`, {
    hint: 'the file is damaged, truncated or hostile; the item is skipped (fetch it again later or report it to the feed)',
  });
}

/** A `creation date` after 2001 (BitTorrent's first year) and before 2100, else unknown. */
function creationDateMs(seconds: number | null): number | null {
  if (seconds === null || seconds < 978_307_200 || seconds > 4_102_444_800) return null;
  return seconds * 1000;
}
