/**
 * Which BitTorrent client runs on this machine, and where its settings are: the process
 * listening on a given port (or, failing that, the only transmission-daemon or qbittorrent-nox
 * running), told apart by its command name; a qbittorrent-nox's qBittorrent.conf found from its
 * own command line (`--profile=DIR`, `--configuration=NAME`) or, without one, its user's home
 * (~/.config/qBittorrent), as Debian's qbittorrent-nox@USER unit runs it. Linux /proc only.
 */
import { readFile } from 'node:fs/promises';
import type { DaemonClient } from '../daemon/index.js';
import { findDaemonProcess, identityOf, pidsNamed, type ProcessIdentity } from './daemon-user.js';
import { qbittorrentConfPath } from './qbittorrent-settings.js';

export interface RunningClient {
  readonly client: DaemonClient;
  readonly process: ProcessIdentity;
  /** Its settings file, when its command line or user tells; undefined for Transmission (init looks in the usual places). */
  readonly configPath: string | undefined;
}

/** The client a command name (/proc/<pid>/comm, truncated to 15 characters) belongs to. */
export function clientOfProgram(program: string | undefined): DaemonClient | undefined {
  if (program === undefined) return undefined;
  if ('transmission-daemon'.startsWith(program) && program.startsWith('transmission')) return 'transmission';
  if (program.startsWith('qbittorrent')) return 'qbittorrent';
  return undefined;
}

/** qBittorrent.conf of a qbittorrent-nox started with this argv and this home directory. */
export function qbittorrentConfFromArgs(argv: readonly string[], home: string | undefined): string | undefined {
  let profile: string | undefined;
  let configuration: string | undefined;
  for (const [i, arg] of argv.entries()) {
    const value = (name: string): string | undefined =>
      arg.startsWith(`${name}=`) ? arg.slice(name.length + 1) : arg === name ? argv[i + 1] : undefined;
    profile = value('--profile') ?? profile;
    configuration = value('--configuration') ?? configuration;
  }
  if (profile !== undefined) return qbittorrentConfPath(profile, configuration);
  if (home === undefined) return undefined;
  const suffix = configuration === undefined || configuration === '' ? '' : `_${configuration}`;
  return `${home}/.config/qBittorrent${suffix}/qBittorrent.conf`;
}

async function readText(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

/** The home directory of `uid` in /etc/passwd text. */
export function homeOf(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[2] !== undefined && Number(fields[2]) === uid && fields[5] !== undefined && fields[5] !== '') return fields[5];
  }
  return undefined;
}

/**
 * The client a process runs: by its command name, else by a program path on its command line
 * (a client started through its own loader, `ld-linux-x86-64.so.2 ... /usr/bin/qbittorrent-nox`).
 */
export function clientOfProcess(program: string | undefined, argv: readonly string[]): DaemonClient | undefined {
  return (
    clientOfProgram(program) ??
    argv.map((a) => clientOfProgram(/\/(transmission-daemon|qbittorrent-nox)$/.exec(a)?.[1])).find((c) => c !== undefined)
  );
}

async function describe(process: ProcessIdentity): Promise<RunningClient | undefined> {
  const cmdline = await readText(`/proc/${process.pid}/cmdline`);
  const argv = (cmdline ?? '').split('\0').filter((a) => a !== '');
  const client = clientOfProcess(process.program, argv);
  if (client === undefined) return undefined;
  if (client === 'transmission') return { client, process, configPath: undefined };
  const home = homeOf((await readText('/etc/passwd')) ?? '', process.uid);
  return { client, process, configPath: qbittorrentConfFromArgs(argv, home) };
}

/**
 * The client listening on `port` when given (undefined when this user cannot see the socket's
 * owner: that needs root or the client's own user), else the only transmission-daemon or
 * qbittorrent-nox running here (undefined when none, or one of each: then the owner must say which).
 */
export async function findRunningClient(port?: number): Promise<RunningClient | undefined> {
  if (port !== undefined) {
    const owner = await findDaemonProcess(port, null);
    return owner === undefined ? undefined : describe(owner);
  }
  const candidates: ProcessIdentity[] = [];
  for (const name of ['transmission-daemon', 'qbittorrent-nox']) {
    const pids = await pidsNamed(name);
    const found = pids.length === 1 && pids[0] !== undefined ? await identityOf(pids[0], 'process-name') : undefined;
    if (found !== undefined) candidates.push(found);
  }
  const only = candidates.length === 1 ? candidates[0] : undefined;
  return only === undefined ? undefined : describe(only);
}
