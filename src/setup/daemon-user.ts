/**
 * Who the local BitTorrent client (transmission-daemon or qbittorrent-nox) runs as, and whether that user can write a directory.
 * The process is the one LISTENING on the RPC port (/proc/net/tcp{,6} socket inode matched
 * against /proc/<pid>/fd, which needs root or the daemon's own user); failing that, the only
 * process named transmission-daemon. Its uid and groups come from /proc/<pid>/status and the
 * read-only mounts from /proc/<pid>/mountinfo (its own mount namespace: a sandboxed unit may
 * see a directory read-only that is writable for everyone else). Linux only; POSIX mode bits
 * only (ACLs are not evaluated).
 */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export interface ProcessIdentity {
  readonly pid: number;
  readonly uid: number;
  readonly gids: readonly number[];
  readonly userName: string | undefined;
  /** How the process was found, for messages. */
  readonly foundBy: 'listening-socket' | 'process-name';
  /** Its command name (/proc/<pid>/comm, at most 15 characters: "transmission-da", "qbittorrent-nox"). */
  readonly program?: string | undefined;
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Socket inodes listening on `port` (TCP state 0A = LISTEN). */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes: string[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const local = fields[1];
    if (local === undefined || fields[3] !== '0A') continue;
    if (local.split(':').pop() === hexPort && fields[9] !== undefined) inodes.push(fields[9]);
  }
  return inodes;
}

async function pids(): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  return entries.filter((e) => /^\d+$/.test(e)).map(Number);
}

async function pidOwningInode(inodes: readonly string[]): Promise<number | undefined> {
  const wanted = new Set(inodes.map((i) => `socket:[${i}]`));
  for (const pid of await pids()) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (wanted.has(target)) return pid;
    }
  }
  return undefined;
}

export async function pidsNamed(name: string): Promise<number[]> {
  const found: number[] = [];
  for (const pid of await pids()) {
    // comm is truncated to 15 characters: "transmission-da".
    const comm = (await readText(`/proc/${pid}/comm`))?.trim();
    if (comm !== undefined && name.startsWith(comm) && comm.length > 0) found.push(pid);
  }
  return found;
}

/** Uid (effective) and groups (effective gid plus supplementary) from /proc/<pid>/status text. */
export function parseProcStatus(text: string): { uid: number; gids: number[] } | undefined {
  const field = (name: string): number[] | undefined =>
    text
      .split('\n')
      .find((l) => l.startsWith(`${name}:`))
      ?.slice(name.length + 1)
      .trim()
      .split(/\s+/)
      .filter((v) => v !== '')
      .map(Number);
  const uids = field('Uid');
  const gids = field('Gid');
  if (uids?.[1] === undefined || gids?.[1] === undefined) return undefined;
  return { uid: uids[1], gids: [...new Set([gids[1], ...(field('Groups') ?? [])])] };
}

export function userNameOf(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split('\n')) {
    const [name, , id] = line.split(':');
    if (name !== undefined && id !== undefined && Number(id) === uid) return name;
  }
  return undefined;
}

/**
 * The local process serving `rpcPort` (a transmission-daemon's RPC or a qbittorrent-nox's WebUI),
 * or undefined when it cannot be found here. Failing the socket, the only process named `fallbackName`.
 */
export async function findDaemonProcess(
  rpcPort: number,
  fallbackName: string | null = 'transmission-daemon',
): Promise<ProcessIdentity | undefined> {
  const tables = (await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map(readText))).filter((t): t is string => t !== undefined);
  const inodes = tables.flatMap((t) => listeningInodes(t, rpcPort));
  let pid = inodes.length > 0 ? await pidOwningInode(inodes) : undefined;
  let foundBy: ProcessIdentity['foundBy'] = 'listening-socket';
  if (pid === undefined && fallbackName !== null) {
    const named = await pidsNamed(fallbackName);
    if (named.length !== 1) return undefined;
    pid = named[0];
    foundBy = 'process-name';
  }
  return pid === undefined ? undefined : identityOf(pid, foundBy);
}

/** Uid, groups, user name and command name of a running process; undefined once it is gone. */
export async function identityOf(pid: number, foundBy: ProcessIdentity['foundBy']): Promise<ProcessIdentity | undefined> {
  const status = await readText(`/proc/${pid}/status`);
  const ids = status === undefined ? undefined : parseProcStatus(status);
  if (ids === undefined) return undefined;
  const passwd = (await readText('/etc/passwd')) ?? '';
  const program = (await readText(`/proc/${pid}/comm`))?.trim();
  return { pid, uid: ids.uid, gids: ids.gids, userName: userNameOf(passwd, ids.uid), foundBy, program };
}

/** Mount point and options of the mount holding `path`, from mountinfo text (longest prefix wins). */
export function mountOf(mountinfo: string, path: string): { mountPoint: string; readOnly: boolean } | undefined {
  let best: { mountPoint: string; readOnly: boolean } | undefined;
  for (const line of mountinfo.split('\n')) {
    const fields = line.split(' ');
    const mountPoint = fields[4]?.replace(/\\040/g, ' ');
    const options = fields[5];
    if (mountPoint === undefined || options === undefined) continue;
    const inside = mountPoint === '/' || path === mountPoint || path.startsWith(`${mountPoint}/`);
    if (inside && (best === undefined || mountPoint.length >= best.mountPoint.length)) {
      best = { mountPoint, readOnly: options.split(',').includes('ro') };
    }
  }
  return best;
}

export type WriteAccess = { readonly ok: true } | { readonly ok: false; readonly reason: string; readonly blockedAt: string };

function allows(mode: number, fileUid: number, fileGid: number, who: { uid: number; gids: readonly number[] }, bits: number): boolean {
  if (who.uid === 0) return true;
  if (who.uid === fileUid) return ((mode >> 6) & bits) === bits;
  if (who.gids.includes(fileGid)) return ((mode >> 3) & bits) === bits;
  return (mode & bits) === bits;
}

/**
 * Whether `who` may create files in `dir`: search (x) on every ancestor, write and search on
 * `dir` itself, and no read-only mount (from `mountinfo`, the daemon's view when given).
 * A missing `dir` is judged by its nearest existing ancestor (it would be created there).
 */
export async function checkWriteAccess(
  dir: string,
  who: { uid: number; gids: readonly number[] },
  mountinfo?: string,
): Promise<WriteAccess> {
  const target = resolve(dir);
  let existing = target;
  for (;;) {
    const info = await stat(existing).catch(() => undefined);
    if (info !== undefined) {
      if (!info.isDirectory()) return { ok: false, reason: `${existing} is not a directory`, blockedAt: existing };
      break;
    }
    if (existing === '/') break;
    existing = dirname(existing);
  }
  const mount = mountinfo === undefined ? undefined : mountOf(mountinfo, existing);
  if (mount?.readOnly === true) return { ok: false, reason: `${mount.mountPoint} is mounted read-only`, blockedAt: mount.mountPoint };
  const chain: string[] = [];
  for (let p = existing; ; p = dirname(p)) {
    chain.unshift(p);
    if (p === '/') break;
  }
  for (const p of chain) {
    const info = await stat(p);
    const isLast = p === existing;
    const bits = isLast ? 3 : 1; // w+x on the directory itself, x on its ancestors
    if (!allows(info.mode, info.uid, info.gid, who, bits)) {
      const mode = (info.mode & 0o7777).toString(8).padStart(4, '0');
      return {
        ok: false,
        reason: isLast
          ? `${p} (owner uid ${info.uid}, group gid ${info.gid}, mode ${mode}) is not writable by uid ${who.uid}`
          : `${p} (mode ${mode}) cannot be entered by uid ${who.uid}`,
        blockedAt: p,
      };
    }
  }
  return { ok: true };
}
