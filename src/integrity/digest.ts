/**
 * Streamed content hashing (IO): the files of a torrent, in the torrent's order, read once in
 * large chunks with the next read in flight while the current chunk is hashed, every requested
 * algorithm fed from the same buffer. Gives the digest of the whole content (the files
 * concatenated, the byte stream v1 pieces cover) and of each file. Memory stays at two chunks.
 */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { DigestAlgorithm, DigestSet } from '../feeds/index.js';
import { SmartnodeError } from '../shared/index.js';

export const HASH_CHUNK_BYTES = 4 * 1024 * 1024;

export interface HashFile {
  /** Absolute path on this machine. */
  absolutePath: string;
  /** Key for the per-file result (the path inside the torrent). */
  key: string;
  lengthBytes: number;
}

export interface ContentHashes {
  content: DigestSet;
  files: Map<string, DigestSet>;
  bytesRead: number;
}

export interface HashOptions {
  /** Bytes/s the reads may take on average; null = as fast as the disk goes. */
  readRateBytesPerSec?: number | null;
  chunkBytes?: number;
  /** Stops the hashing between chunks (and during a budget pause) with an INTEGRITY_CANCELLED error. */
  signal?: AbortSignal;
}

export async function hashContent(
  files: readonly HashFile[],
  algorithms: readonly DigestAlgorithm[],
  options: HashOptions = {},
): Promise<ContentHashes> {
  const chunkBytes = options.chunkBytes ?? HASH_CHUNK_BYTES;
  const content = algorithms.map((a) => createHash(a));
  const perFile = new Map<string, DigestSet>();
  const buffers = [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
  const startedAt = Date.now();
  let bytesRead = 0;
  for (const file of files) {
    const own = algorithms.map((a) => createHash(a));
    const read = await readFileChunks(
      file,
      buffers,
      (chunk) => {
        for (const h of content) h.update(chunk);
        for (const h of own) h.update(chunk);
      },
      async (n) => {
        bytesRead += n;
        const rate = options.readRateBytesPerSec;
        if (rate !== null && rate !== undefined && rate > 0) {
          const aheadMs = (bytesRead / rate) * 1000 - (Date.now() - startedAt);
          if (aheadMs > 0) await pause(aheadMs, options.signal);
        }
        throwIfCancelled(options.signal, file);
      },
    );
    if (read !== file.lengthBytes) {
      throw new SmartnodeError('INTEGRITY_IO', `${file.absolutePath} holds ${read} bytes, the torrent says ${file.lengthBytes}`, {
        hint: 'the file was changed or truncated under the daemon; a verify through the daemon repairs it',
        details: { path: file.absolutePath },
      });
    }
    perFile.set(file.key, digestSet(algorithms, own));
  }
  return { content: digestSet(algorithms, content), files: perFile, bytesRead };
}

/**
 * Reads a file through two alternating buffers: the next read runs while `consume` hashes the
 * current chunk (valid only during the call). Returns the bytes read.
 */
export async function readFileChunks(
  file: HashFile,
  buffers: Buffer[],
  consume: (chunk: Buffer) => void,
  after: (n: number) => Promise<void>,
): Promise<number> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file.absolutePath, 'r');
  } catch (error) {
    throw new SmartnodeError('INTEGRITY_IO', `cannot read ${file.absolutePath}: ${(error as Error).message}`, {
      hint: "the file is missing or unreadable by smartnode's user; the daemon's verify can tell what is left",
      cause: error,
      details: { path: file.absolutePath },
    });
  }
  try {
    let total = 0;
    let turn = 0;
    let pending = handle.read(buffers[0]!, 0, buffers[0]!.length, 0);
    for (;;) {
      const { bytesRead } = await pending;
      if (bytesRead === 0) return total;
      const current = buffers[turn]!;
      total += bytesRead;
      turn ^= 1;
      const next = buffers[turn]!;
      pending = handle.read(next, 0, next.length, total);
      consume(current.subarray(0, bytesRead));
      await after(bytesRead);
    }
  } finally {
    await handle.close();
  }
}

function throwIfCancelled(signal: AbortSignal | undefined, file: HashFile): void {
  if (signal?.aborted !== true) return;
  throw new SmartnodeError('INTEGRITY_CANCELLED', `content check cancelled while reading ${file.absolutePath}`, {
    hint: 'smartnode is stopping; the check starts again from the beginning on a later run',
    retryable: true,
    details: { path: file.absolutePath },
  });
}

/** Waits `ms`, or less when the signal fires. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

function digestSet(algorithms: readonly DigestAlgorithm[], hashes: readonly Hash[]): DigestSet {
  const out: DigestSet = {};
  algorithms.forEach((a, i) => {
    out[a] = hashes[i]!.digest('hex');
  });
  return out;
}
