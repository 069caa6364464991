/**
 * Test data and .torrent files: deterministic pseudo-random datasets, transmission-create
 * around them, the info-hash read straight from the bencoded bytes, and tree hashes to prove
 * mirrored bytes equal the originals.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, open, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { promisify } from 'node:util';
import { decodeBencode, infoHashFromBytes, isBDict, type BValue, type InfoHash } from '../shared/index.js';

const execFileAsync = promisify(execFile);

export interface DatasetFileSpec {
  /** Path inside the dataset folder, '/'-separated. */
  path: string;
  sizeBytes: number;
}

export interface DatasetFile extends DatasetFileSpec {
  absolutePath: string;
  sha256: string;
}

export interface Dataset {
  /** The folder that holds the dataset folder: a seeder's download-dir. */
  dir: string;
  /** Name of the dataset folder, which is also the torrent's name. */
  name: string;
  /** dir/name: what transmission-create is pointed at. */
  contentPath: string;
  files: DatasetFile[];
  totalBytes: number;
}

/**
 * Writes `dir/name/<path>` for each file with pseudo-random bytes that depend only on
 * (seed, name, path, size), so two runs produce identical data and identical info-hashes.
 */
export async function makeDataset(options: { dir: string; name: string; files: DatasetFileSpec[]; seed?: number }): Promise<Dataset> {
  if (options.files.length === 0) throw new Error(`dataset ${options.name} needs at least one file`);
  const contentPath = join(options.dir, options.name);
  await rm(contentPath, { recursive: true, force: true });
  const files: DatasetFile[] = [];
  for (const spec of options.files) {
    if (spec.path.length === 0 || spec.path.split('/').some((p) => p === '' || p === '.' || p === '..')) {
      throw new Error(`dataset file path must be relative without empty, . or .. parts, got ${JSON.stringify(spec.path)}`);
    }
    if (!Number.isInteger(spec.sizeBytes) || spec.sizeBytes < 1) {
      throw new Error(`dataset file ${spec.path}: sizeBytes must be a positive integer, got ${String(spec.sizeBytes)}`);
    }
    const absolutePath = join(contentPath, ...spec.path.split('/'));
    await mkdir(dirname(absolutePath), { recursive: true });
    const sha256 = await writePseudoRandomFile(
      absolutePath,
      spec.sizeBytes,
      seedFrom(`${options.seed ?? 1}/${options.name}/${spec.path}/${spec.sizeBytes}`),
    );
    files.push({ ...spec, absolutePath, sha256 });
  }
  return {
    dir: options.dir,
    name: options.name,
    contentPath,
    files,
    totalBytes: files.reduce((sum, f) => sum + f.sizeBytes, 0),
  };
}

const CHUNK_BYTES = 1 << 20;

/** xorshift128 (Marsaglia 2003): fast, deterministic, good enough for filler bytes. */
async function writePseudoRandomFile(path: string, sizeBytes: number, seed: Uint32Array): Promise<string> {
  const state = Uint32Array.from(seed);
  const hash = createHash('sha256');
  const file = await open(path, 'w');
  try {
    let left = sizeBytes;
    const words = new Uint32Array(CHUNK_BYTES / 4);
    while (left > 0) {
      for (let i = 0; i < words.length; i++) {
        let t = state[3] ?? 0;
        const s = state[0] ?? 0;
        state[3] = state[2] ?? 0;
        state[2] = state[1] ?? 0;
        state[1] = s;
        t ^= t << 11;
        t ^= t >>> 8;
        state[0] = t ^ s ^ (s >>> 19);
        words[i] = state[0] ?? 0;
      }
      const bytes = new Uint8Array(words.buffer, 0, Math.min(left, CHUNK_BYTES));
      hash.update(bytes);
      await file.write(bytes);
      left -= bytes.length;
    }
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

function seedFrom(text: string): Uint32Array {
  const digest = createHash('sha256').update(text).digest();
  const seed = new Uint32Array(4);
  for (let i = 0; i < 4; i++) seed[i] = digest.readUInt32LE(i * 4) | 1; // never all zero
  return seed;
}

export interface CreatedTorrent {
  torrentFile: string;
  metainfo: Uint8Array;
  infoHash: InfoHash;
}

/**
 * `transmission-create -o <outFile> [-t <announceUrl>] <contentPath>`. Without an announce
 * URL the torrent is trackerless. The info-hash is the SHA-1 of the raw `info` bytes.
 */
export async function createTorrentFile(options: {
  contentPath: string;
  announceUrl?: string;
  outFile: string;
  /** Piece size in KiB (transmission-create -s); default lets transmission choose. */
  pieceSizeKiB?: number;
}): Promise<CreatedTorrent> {
  await mkdir(dirname(options.outFile), { recursive: true });
  await rm(options.outFile, { force: true }); // transmission-create refuses to overwrite
  const args = ['-o', options.outFile];
  if (options.announceUrl !== undefined) args.push('-t', options.announceUrl);
  if (options.pieceSizeKiB !== undefined) args.push('-s', String(options.pieceSizeKiB));
  args.push(options.contentPath);
  try {
    await execFileAsync('transmission-create', args, { timeout: 60_000 });
  } catch (error) {
    const stderr = error !== null && typeof error === 'object' && 'stderr' in error ? String(error.stderr) : '';
    throw new Error(
      `transmission-create failed for ${options.contentPath}: ${stderr.trim() || String(error)} ` +
        '(is transmission-cli installed? `apt-get install transmission-cli`)',
      { cause: error },
    );
  }
  const metainfo = new Uint8Array(await readFile(options.outFile));
  return { torrentFile: options.outFile, metainfo, infoHash: infoHashOfMetainfo(metainfo) };
}

/** SHA-1 over the exact bytes of the top-level `info` value (BEP 3). */
export function infoHashOfMetainfo(metainfo: Uint8Array): InfoHash {
  const [start, end] = infoDictRange(metainfo);
  return infoHashFromBytes(createHash('sha1').update(metainfo.subarray(start, end)).digest());
}

/** Byte range [start, end) of the top-level dictionary's `info` value. */
export function infoDictRange(bytes: Uint8Array): [number, number] {
  let top: BValue;
  try {
    top = decodeBencode(bytes);
  } catch (error) {
    throw new Error(`metainfo is not valid bencode: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  if (!isBDict(top)) throw new Error('metainfo is not a bencoded dictionary');
  const info = top.entries.get('info');
  if (!isBDict(info)) throw new Error('metainfo has no info dictionary');
  return [info.start, info.end];
}

/** sha256 of every regular file under `dir`, keyed by '/'-separated relative path, sorted. */
export async function sha256Tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (current: string): Promise<void> => {
    const entries = await readdir(current, { withFileTypes: true });
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const full = join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        out[relative(dir, full).split(sep).join('/')] = await sha256File(full);
      }
    }
  };
  await walk(dir);
  return out;
}

/** The dataset's own hashes in sha256Tree's shape, for `expect(tree).toEqual(...)`. */
export function datasetTree(dataset: Dataset): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of [...dataset.files].sort((a, b) => a.path.localeCompare(b.path))) out[file.path] = file.sha256;
  return out;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    for await (const chunk of file.createReadStream()) hash.update(chunk as Buffer);
  } finally {
    await file.close().catch(() => undefined);
  }
  return hash.digest('hex');
}
