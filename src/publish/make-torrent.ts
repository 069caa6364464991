/**
 * Makes a v1 .torrent (BEP 3) of a scanned dataset: one pass over the files, streamed, each
 * piece's SHA-1 computed as its bytes go by (pieces span file boundaries), optionally the
 * content's SHA-256 from the same buffers. Trackers as BEP 12 `announce-list` tiers (one
 * tracker each), web seeds as BEP 19 `url-list`.
 */
import { createHash, type Hash } from 'node:crypto';
import { readFileChunks } from '../integrity/index.js';
import { SmartnodeError, encodeBencode, infoHashFromBytes, type BencodeInput, type InfoHash } from '../shared/index.js';
import type { DatasetFile, ScannedDataset } from './scan.js';

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Piece size for a total size, as common tools choose it: the smallest power of two from
 * 16 KiB that keeps the torrent at or under ~1,500 pieces, capped at 16 MiB (a 2 GB dataset
 * gets 2 MiB pieces, ~950 of them; 1 TB gets 16 MiB pieces and a 1.2 MB .torrent).
 */
export function choosePieceLength(totalBytes: number): number {
  let piece = 16 * KiB;
  while (piece < 16 * MiB && totalBytes / piece > 1500) piece *= 2;
  return piece;
}

export interface MakeTorrentOptions {
  trackers: readonly string[];
  webSeeds: readonly string[];
  pieceLengthBytes?: number;
  /** Unix seconds. */
  creationDate: number;
  comment?: string;
  /** Also compute the content's SHA-256 in the same pass. */
  contentSha256?: boolean;
}

export interface MadeTorrent {
  metainfo: Uint8Array;
  infoHash: InfoHash;
  pieceLengthBytes: number;
  pieceCount: number;
  /** Hex, when asked for. */
  contentSha256: string | null;
}

export async function makeTorrent(dataset: ScannedDataset, options: MakeTorrentOptions): Promise<MadeTorrent> {
  const pieceLength = options.pieceLengthBytes ?? choosePieceLength(dataset.totalBytes);
  const pieceCount = Math.ceil(dataset.totalBytes / pieceLength);
  const pieces = Buffer.alloc(pieceCount * 20);
  const content = options.contentSha256 === true ? createHash('sha256') : null;
  let piece: Hash = createHash('sha1');
  let inPiece = 0;
  let done = 0;
  const buffers = [Buffer.allocUnsafe(4 * MiB), Buffer.allocUnsafe(4 * MiB)];
  const consume = (chunk: Buffer): void => {
    content?.update(chunk);
    let at = 0;
    while (at < chunk.length) {
      const take = Math.min(pieceLength - inPiece, chunk.length - at);
      piece.update(take === chunk.length ? chunk : chunk.subarray(at, at + take));
      inPiece += take;
      at += take;
      if (inPiece === pieceLength) {
        piece.digest().copy(pieces, done * 20);
        done++;
        piece = createHash('sha1');
        inPiece = 0;
      }
    }
  };
  for (const file of dataset.files) {
    const read = await readFileChunks(
      { absolutePath: file.absolutePath, key: file.path.join('/'), lengthBytes: file.lengthBytes },
      buffers,
      consume,
      async () => undefined,
    );
    if (read !== file.lengthBytes) throw changedUnderUs(file, read);
  }
  if (inPiece > 0) {
    piece.digest().copy(pieces, done * 20);
    done++;
  }
  if (done !== pieceCount) throw new Error(`internal: ${done} pieces hashed, ${pieceCount} expected`);

  // `private: 0` as transmission-create writes it (BEP 27: the same as absent), so both tools give one info-hash.
  const info: Record<string, BencodeInput> = { name: dataset.name, 'piece length': pieceLength, pieces, private: 0 };
  if (dataset.isDirectory) info['files'] = dataset.files.map((f) => ({ length: f.lengthBytes, path: f.path }));
  else info['length'] = dataset.totalBytes;
  const top: Record<string, BencodeInput> = { info, 'created by': 'smartnode', 'creation date': options.creationDate };
  if (options.trackers[0] !== undefined) top['announce'] = options.trackers[0];
  if (options.trackers.length > 1) top['announce-list'] = options.trackers.map((t) => [t]);
  if (options.webSeeds.length > 0) top['url-list'] = [...options.webSeeds];
  if (options.comment !== undefined) top['comment'] = options.comment;
  const infoHash = infoHashFromBytes(createHash('sha1').update(encodeBencode(info)).digest());
  return {
    metainfo: encodeBencode(top),
    infoHash,
    pieceLengthBytes: pieceLength,
    pieceCount,
    contentSha256: content?.digest('hex') ?? null,
  };
}

/** A .torrent's size: 20 bytes a piece plus names and lengths, with room for the rest. */
export function estimateTorrentBytes(dataset: ScannedDataset, pieceLengthBytes: number, extraBytes: number): number {
  const names = dataset.files.reduce((sum, f) => sum + f.path.reduce((s, p) => s + p.length + 8, 0) + 32, 0);
  return Math.ceil(dataset.totalBytes / pieceLengthBytes) * 20 + names + extraBytes + 1024;
}

function changedUnderUs(file: DatasetFile, read: number): SmartnodeError {
  return new SmartnodeError(
    'PUBLISH_IO',
    `${file.absolutePath} changed while it was hashed (${read} bytes read, ${file.lengthBytes} when scanned)`,
    {
      hint: 'publish a dataset once it is no longer being written, then run publish again',
    },
  );
}
