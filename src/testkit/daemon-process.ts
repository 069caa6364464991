/**
 * Starts and stops real transmission-daemon processes for tests, benchmarks and the demo.
 * Each daemon gets its own config dir with settings.json written before start (the daemon
 * rewrites it at start and exit). Optionally runs inside a network namespace (see swarm.ts).
 * Any Transmission line the tests know (daemon-lines.ts) starts the same way; every line
 * reads these kebab-case settings (4.1 also accepts, and may write, snake_case).
 *
 * SMARTNODE_DAEMON_LOG_DIR=<dir> makes every daemon log at its most detailed level into
 * <dir>/<config dir path>.log, kept after the test's work directory is gone: what to read when
 * a transfer between test daemons stalls. 3.00 writes its peer-level messages (connections,
 * handshakes, choking, piece requests) only to the descriptor named by TR_DEBUG_FD (stdout or
 * stderr): its stderr goes to <...>.deep.log then.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { mkdir, open, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveDaemonLine, type DaemonLine } from './daemon-lines.js';

export interface DaemonProcessOptions {
  /** Directory for settings.json, resume files and the log. Created if missing. */
  configDir: string;
  /** Default download dir of the daemon (tests always pass one explicitly anyway). */
  downloadDir: string;
  /** Address the RPC server and the peer socket bind to. */
  bindAddress: string;
  rpcPort: number;
  peerPort: number;
  username: string;
  password: string;
  /** Comma-separated RPC whitelist; defaults to 127.0.0.1 plus the bind address. */
  rpcWhitelist?: string;
  /** Which Transmission line: Debian 12's 3.00 (default), 13's 4.1.0-beta.2 or unstable's 4.1.x. */
  line?: DaemonLine;
  /** Run inside this network namespace (`ip netns exec NAME`). */
  netns?: string;
  /** Extra settings.json keys (speed limits, queues, ...). */
  settings?: Record<string, unknown>;
  /** How long to wait for RPC readiness. */
  readyTimeoutMs?: number;
  /** Run the daemon as this user (the caller must be root; configDir must be writable by it). */
  runAs?: { uid: number; gid: number };
}

export interface DaemonProcess {
  readonly rpcUrl: string;
  readonly username: string;
  readonly password: string;
  readonly configDir: string;
  readonly downloadDir: string;
  readonly pid: number;
  /** Resolves once the process has exited. */
  readonly exited: Promise<number | null>;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after the deadline. Safe to call twice. */
  stop(deadlineMs?: number): Promise<void>;
  /** SIGKILL at once: for "daemon killed mid-tick" tests. */
  kill(): Promise<void>;
  /** Last lines the daemon printed (for failure messages). */
  output(): string;
}

export function buildDaemonSettings(options: DaemonProcessOptions): Record<string, unknown> {
  return {
    'rpc-enabled': true,
    'rpc-bind-address': options.bindAddress,
    'rpc-port': options.rpcPort,
    'rpc-authentication-required': true,
    'rpc-username': options.username,
    'rpc-password': options.password,
    'rpc-whitelist-enabled': true,
    'rpc-whitelist': options.rpcWhitelist ?? uniqueList(['127.0.0.1', options.bindAddress]),
    'rpc-host-whitelist-enabled': false,
    'bind-address-ipv4': options.bindAddress,
    'bind-address-ipv6': '::1',
    'peer-port': options.peerPort,
    'peer-port-random-on-start': false,
    'download-dir': options.downloadDir,
    'incomplete-dir-enabled': false,
    'dht-enabled': false,
    'lpd-enabled': false,
    'pex-enabled': false,
    'utp-enabled': false,
    // Handshakes start in plaintext. 3.00's encrypted-first handshake, when it fails (the peer
    // is itself, or no longer has the torrent), retries "in plaintext" over an io that still
    // encrypts: the other side reads a garbled header as an encryption offer and waits for the
    // rest until its 30 s handshake timeout, which blocks that pair of daemons from connecting
    // either way meanwhile, and each failure doubles the reconnect backoff (peer-mgr's 2, 15,
    // 30 min). A re-download between two test daemons sat at 0 % for minutes on it.
    encryption: 0,
    'port-forwarding-enabled': false,
    'blocklist-enabled': false,
    'download-queue-enabled': false,
    'seed-queue-enabled': false,
    'queue-stalled-enabled': false,
    'ratio-limit-enabled': false,
    'idle-seeding-limit-enabled': false,
    'speed-limit-up-enabled': false,
    'speed-limit-down-enabled': false,
    'alt-speed-enabled': false,
    'start-added-torrents': true,
    'trash-original-torrent-files': false,
    'watch-dir-enabled': false,
    'message-level': 1,
    ...options.settings,
  };
}

export async function startDaemonProcess(options: DaemonProcessOptions): Promise<DaemonProcess> {
  await mkdir(options.configDir, { recursive: true });
  await mkdir(options.downloadDir, { recursive: true });
  const line = options.line ?? 'bookworm';
  const debug = await openDebugLog(options.configDir, line);
  const settings = buildDaemonSettings(
    debug === undefined ? options : { ...options, settings: { ...options.settings, 'message-level': debug.level } },
  );
  await writeFile(join(options.configDir, 'settings.json'), JSON.stringify(settings, null, 2));

  const daemon = resolveDaemonLine(line);
  const args = [...daemon.prefix, '-f', '-g', options.configDir, ...(debug === undefined ? [] : ['-e', debug.path])];
  const [command, argv] =
    options.netns === undefined ? [daemon.command, args] : ['ip', ['netns', 'exec', options.netns, daemon.command, ...args]];
  // The daemon's libcurl honours proxy variables for announces: never let them through.
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (/_proxy$/i.test(key)) delete env[key];

  // 3.00 takes only 1 or 2 for TR_DEBUG_FD: its stderr goes to the deep log then.
  if (debug !== undefined) env['TR_DEBUG_FD'] = '2';
  const stdio: StdioOptions = ['ignore', 'pipe', debug === undefined ? 'pipe' : debug.deep.fd];
  const child = spawn(command, argv, { env, stdio, ...options.runAs });
  await debug?.deep.close();
  const { lines, exited, isRunning } = watchChild(child);

  const rpcUrl = `http://${formatHost(options.bindAddress)}:${options.rpcPort}/transmission/rpc`;
  const handle = makeHandle(child, exited, isRunning, lines, {
    rpcUrl,
    username: options.username,
    password: options.password,
    configDir: options.configDir,
    downloadDir: options.downloadDir,
  });

  try {
    await waitForRpc(rpcUrl, isRunning, options.readyTimeoutMs ?? 10_000);
  } catch (error) {
    await handle.stop(1000);
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`${message}\ntransmission-daemon output:\n${lines.join('\n')}`);
  }
  return handle;
}

/** Keeps a child's last 200 output lines and tells when it exited (a failed spawn too). */
export function watchChild(child: ChildProcess): { lines: string[]; exited: Promise<number | null>; isRunning(): boolean } {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    lines.push(
      ...chunk
        .toString('utf8')
        .split('\n')
        .filter((l) => l.length > 0),
    );
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running = false;
      resolve(code);
    });
    child.once('error', (error) => {
      running = false;
      lines.push(`spawn failed: ${error.message}`);
      resolve(null);
    });
  });
  return { lines, exited, isRunning: () => running };
}

function makeHandle(
  child: ChildProcess,
  exited: Promise<number | null>,
  isRunning: () => boolean,
  lines: string[],
  info: Pick<DaemonProcess, 'rpcUrl' | 'username' | 'password' | 'configDir' | 'downloadDir'>,
): DaemonProcess {
  const signal = (sig: NodeJS.Signals): void => {
    if (isRunning()) child.kill(sig);
  };
  return {
    ...info,
    pid: child.pid ?? -1,
    exited,
    isRunning,
    output: () => lines.join('\n'),
    async stop(deadlineMs = 5000) {
      if (!isRunning()) return;
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), deadlineMs);
      await exited;
      clearTimeout(timer);
    },
    async kill() {
      signal('SIGKILL');
      await exited;
    },
  };
}

/**
 * Polls until the RPC answers with the 409 session handshake (it is up), watching that the
 * process did not exit (a broken settings.json makes it exit at once).
 */
async function waitForRpc(url: string, isRunning: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (!isRunning()) throw new Error(`transmission-daemon exited before its RPC came up (${url})`);
    try {
      const res = await fetch(url, { method: 'POST', signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 409 || res.status === 401 || res.status === 200) return;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`transmission-daemon RPC at ${url} not ready after ${timeoutMs} ms (${last})`);
}

/** The daemon's own log file and deep-log descriptor when SMARTNODE_DAEMON_LOG_DIR is set. */
async function openDebugLog(configDir: string, line: DaemonLine): Promise<{ path: string; level: number; deep: FileHandle } | undefined> {
  const dir = process.env['SMARTNODE_DAEMON_LOG_DIR'];
  if (dir === undefined || dir === '') return undefined;
  await mkdir(dir, { recursive: true });
  const base = join(dir, configDir.replace(/[^A-Za-z0-9.-]+/g, '_'));
  // 3.00 counts 0-3 (3 = debug); 4.x counts 0-6 (6 = trace).
  return { path: `${base}.log`, level: line === 'bookworm' ? 3 : 6, deep: await open(`${base}.deep.log`, 'a') };
}

function uniqueList(items: string[]): string {
  return [...new Set(items)].join(',');
}

function formatHost(address: string): string {
  return address.includes(':') ? `[${address}]` : address;
}
