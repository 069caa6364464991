/**
 * Which of the daemon's torrents keep their data on the download directory's filesystem. Only
 * their unwritten bytes are charged against that filesystem's free space (the disk reserve):
 * an owner's paused download on another disk must never look like a full mirror disk.
 *
 * The same filesystem means the same device (stat's `dev`), never a path prefix (/srv and
 * /srv/big may be different mounts). A directory that does not exist yet is judged by its
 * nearest existing ancestor, where its data will land. Where this process cannot see a
 * directory (a daemon on another host, or a sandbox hiding /home), the daemon's own
 * free-space answer decides: the same free bytes as the download directory, read in the same
 * moment, means the same filesystem; a directory the daemon cannot measure is counted as on
 * it (the conservative side for the reserve).
 */
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DaemonPort, DaemonTorrent } from '../daemon/index.js';
import type { InfoHash } from '../shared/index.js';

export async function findOffDownloadFilesystem(
  daemon: Pick<DaemonPort, 'readFreeSpace'>,
  downloadDir: string,
  downloadFreeBytes: number | null,
  torrents: readonly DaemonTorrent[],
): Promise<Set<InfoHash>> {
  const off = new Set<InfoHash>();
  const pending = torrents.filter((t) => t.leftUntilDoneBytes > 0);
  if (pending.length === 0) return off;
  const home = await deviceOf(downloadDir);
  const verdicts = new Map<string, Promise<boolean>>();
  const isOnIt = (dir: string): Promise<boolean> => {
    let verdict = verdicts.get(dir);
    if (verdict === undefined) {
      verdict = (async () => {
        const device = home === null ? null : await deviceOf(dir);
        if (home !== null && device !== null) return device === home;
        if (downloadFreeBytes === null) return true;
        const free = await daemon.readFreeSpace(dir).catch(() => null);
        return free === null || free === downloadFreeBytes;
      })();
      verdicts.set(dir, verdict);
    }
    return verdict;
  };
  for (const t of pending) if (!(await isOnIt(t.downloadDir))) off.add(t.infoHash);
  return off;
}

/** The device of `path`, or of its nearest existing ancestor; null when none can be read. */
async function deviceOf(path: string): Promise<number | null> {
  let current = path;
  for (;;) {
    try {
      return (await stat(current)).dev;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const parent = dirname(current);
      if ((code !== 'ENOENT' && code !== 'ENOTDIR') || parent === current) return null;
      current = parent;
    }
  }
}
