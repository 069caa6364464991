/**
 * How much of each incomplete torrent's data the filesystem has already reserved. Free space
 * drops when a block is allocated, not when it is written: Transmission's preallocation (its
 * default "fast" mode too, which calls fallocate on Linux) takes a whole file at its first
 * write, so free space already excludes bytes leftUntilDone still counts. Charging those
 * again against the reserve evicts for space that is not missing.
 *
 * What is still to be taken from free space is sizeWhenDone less the blocks its files hold
 * (stat's `blocks`, 512-byte units), never more than leftUntilDone. Files are found where the
 * daemon puts them: <downloadDir>/<name> and its ".part" twin (rename-partial-files). A
 * torrent whose files this process cannot see (a daemon on another host, a sandbox) counts
 * as holding nothing: the conservative side, every unwritten byte still to come.
 */
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DaemonTorrent } from '../daemon/index.js';
import type { InfoHash } from '../shared/index.js';

/** A torrent with more files than this is not walked (every tick): its allocation counts as unknown. */
export const MAX_FILES_WALKED = 10_000;

/** Bytes each incomplete torrent will still take from free space, by info-hash. */
export async function readUnallocatedBytes(torrents: readonly DaemonTorrent[]): Promise<Map<InfoHash, number>> {
  const unallocated = new Map<InfoHash, number>();
  for (const t of torrents) {
    const left = Math.max(0, t.leftUntilDoneBytes);
    if (left === 0) continue;
    const allocated = await readAllocatedBytes(t.downloadDir, t.name);
    unallocated.set(t.infoHash, Math.min(left, Math.max(0, t.sizeWhenDoneBytes - allocated)));
  }
  return unallocated;
}

/** Bytes the filesystem holds for the torrent's files; 0 when they cannot be seen or counted. */
export async function readAllocatedBytes(downloadDir: string, name: string): Promise<number> {
  if (name === '' || name.includes('/') || name === '.' || name === '..') return 0;
  const budget = { files: MAX_FILES_WALKED };
  let total = 0;
  for (const path of [join(downloadDir, name), join(downloadDir, `${name}.part`)]) {
    const bytes = await allocatedUnder(path, budget);
    if (bytes === null) return 0;
    total += bytes;
  }
  return total;
}

/** Allocated bytes of a file or a directory tree (symlinks not followed); null past the budget. */
async function allocatedUnder(path: string, budget: { files: number }): Promise<number | null> {
  const info = await lstat(path).catch(() => null);
  if (info === null) return 0;
  if (--budget.files < 0) return null;
  if (info.isFile()) return info.blocks * 512;
  if (!info.isDirectory()) return 0;
  const names = await readdir(path).catch((): string[] => []);
  let total = 0;
  for (const entry of names) {
    const bytes = await allocatedUnder(join(path, entry), budget);
    if (bytes === null) return null;
    total += bytes;
  }
  return total;
}
