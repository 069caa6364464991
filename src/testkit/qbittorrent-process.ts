/**
 * Starts and stops real qbittorrent-nox processes for tests: Debian 12's 4.5.x from PATH, and
 * Debian 13's 5.1.x and unstable's 5.3.x that `npm run setup` unpacks into private roots under
 * .cache/qbittorrent (scripts/qbittorrent-lines.mjs), started through the root's own loader.
 *
 * Each process gets a temporary profile (--profile) with qBittorrent.conf written before start:
 * WebUI on the bind address with a known password (WebUI\Password_PBKDF2), DHT, PeX, LSD, UPnP
 * and peer-country lookups off (the lookup would download a GeoIP database), uTP off, no queueing.
 * A line setup could not prepare is an error with setup's reason, never a skip.
 */
import { spawn } from 'node:child_process';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { watchChild } from './daemon-process.js';

export type QbittorrentLine = 'bookworm' | 'trixie' | 'sid';
export const QBITTORRENT_LINES: readonly QbittorrentLine[] = ['bookworm', 'trixie', 'sid'];

const LOADER = 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2';
const LIB_DIRS = ['usr/lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu/libproxy'];

export function qbittorrentLinesDir(): string {
  return process.env['SMARTNODE_QBITTORRENT_CACHE'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.cache', 'qbittorrent');
}

/** The program and arguments that start this line's qbittorrent-nox; throws with setup's reason. */
export function resolveQbittorrentLine(line: QbittorrentLine): { command: string; prefix: string[]; env: Record<string, string> } {
  if (line === 'bookworm') return { command: 'qbittorrent-nox', prefix: [], env: {} };
  const dir = join(qbittorrentLinesDir(), line);
  const root = join(dir, 'root');
  if (!existsSync(join(dir, 'line.json')) || !existsSync(join(root, LOADER))) {
    const recorded = join(dir, 'error.txt');
    const reason = existsSync(recorded)
      ? readFileSync(recorded, 'utf8').trim()
      : `qbittorrent-nox from Debian ${line} is not prepared in ${root}`;
    throw new Error(`${reason}\nRun \`npm run setup\` (as root, with access to the Debian archive) to prepare it.`);
  }
  return {
    command: join(root, LOADER),
    prefix: ['--library-path', LIB_DIRS.map((d) => join(root, d)).join(':'), join(root, 'usr/bin/qbittorrent-nox')],
    env: { QT_PLUGIN_PATH: join(root, 'usr/lib/x86_64-linux-gnu/qt6/plugins') },
  };
}

/** qBittorrent's stored form of a WebUI password: PBKDF2-HMAC-SHA512, 100,000 rounds, 16-byte salt. */
export function qbittorrentPasswordHash(password: string, salt: Buffer = randomBytes(16)): string {
  const key = pbkdf2Sync(password, salt, 100_000, 64, 'sha512');
  return `@ByteArray(${salt.toString('base64')}:${key.toString('base64')})`;
}

export interface QbittorrentProcessOptions {
  profileDir: string;
  downloadDir: string;
  bindAddress: string;
  webuiPort: number;
  peerPort: number;
  username: string;
  password: string;
  line?: QbittorrentLine;
  /** Run inside this network namespace (`ip netns exec NAME`). */
  netns?: string;
  /** Extra "Section/Key" -> value lines (e.g. { 'Preferences/WebUI\\BanDuration': '60' }). */
  settings?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface QbittorrentProcess {
  readonly url: string;
  readonly pid: number;
  readonly exited: Promise<number | null>;
  stop(deadlineMs?: number): Promise<void>;
  output(): string;
}

export function buildQbittorrentConf(o: QbittorrentProcessOptions): string {
  const sections: Record<string, Record<string, string>> = {
    LegalNotice: { Accepted: 'true' },
    BitTorrent: {
      'Session\\DHTEnabled': 'false',
      'Session\\LSDEnabled': 'false',
      'Session\\PeXEnabled': 'false',
      'Session\\Port': String(o.peerPort),
      'Session\\InterfaceAddress': o.bindAddress,
      'Session\\DefaultSavePath': o.downloadDir,
      'Session\\TempPathEnabled': 'false',
      'Session\\QueueingSystemEnabled': 'false',
      'Session\\BTProtocol': 'TCP',
      'Session\\IgnoreLimitsOnLAN': 'false',
      'Session\\AddTorrentPaused': 'false',
      'Session\\AddTorrentStopped': 'false',
      'Session\\TorrentContentLayout': 'Original',
      'Session\\AnonymousModeEnabled': 'false',
      'Session\\MaxConnections': '200',
    },
    Network: { PortForwardingEnabled: 'false' },
    Preferences: {
      'Connection\\UPnP': 'false',
      'Connection\\ResolvePeerCountries': 'false',
      'Bittorrent\\DHT': 'false',
      'Bittorrent\\PeX': 'false',
      'Bittorrent\\LSD': 'false',
      'General\\Locale': 'en',
      'WebUI\\Enabled': 'true',
      'WebUI\\Address': o.bindAddress,
      'WebUI\\Port': String(o.webuiPort),
      'WebUI\\Username': o.username,
      'WebUI\\Password_PBKDF2': `"${qbittorrentPasswordHash(o.password)}"`,
      'WebUI\\LocalHostAuth': 'true',
      'WebUI\\HostHeaderValidation': 'false',
      'WebUI\\UseUPnP': 'false',
    },
  };
  for (const [key, value] of Object.entries(o.settings ?? {})) {
    const [section, ...rest] = key.split('/');
    if (section === undefined || rest.length === 0) throw new Error(`setting ${key} is not Section/Key`);
    const keys = sections[section] ?? {};
    keys[rest.join('/')] = value;
    sections[section] = keys;
  }
  return Object.entries(sections)
    .map(
      ([name, keys]) =>
        `[${name}]\n${Object.entries(keys)
          .map(([k, v]) => `${k}=${v}\n`)
          .join('')}`,
    )
    .join('\n');
}

export async function startQbittorrentProcess(o: QbittorrentProcessOptions): Promise<QbittorrentProcess> {
  const configDir = join(o.profileDir, 'qBittorrent', 'config');
  await mkdir(configDir, { recursive: true });
  await mkdir(o.downloadDir, { recursive: true });
  await writeFile(join(configDir, 'qBittorrent.conf'), buildQbittorrentConf(o));
  const { command, prefix, env: lineEnv } = resolveQbittorrentLine(o.line ?? 'bookworm');
  const args = [...prefix, `--profile=${o.profileDir}`, `--webui-port=${o.webuiPort}`];
  const [cmd, argv] = o.netns === undefined ? [command, args] : ['ip', ['netns', 'exec', o.netns, command, ...args]];
  const env: Record<string, string | undefined> = { ...process.env, ...lineEnv };
  // Never let tracker announces go through a proxy.
  for (const key of Object.keys(env)) if (/_proxy$/i.test(key)) delete env[key];
  const child = spawn(cmd, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const { lines, exited, isRunning } = watchChild(child);
  const host = o.bindAddress.includes(':') ? `[${o.bindAddress}]` : o.bindAddress;
  const url = `http://${host}:${o.webuiPort}`;
  const handle: QbittorrentProcess = {
    url,
    pid: child.pid ?? -1,
    exited,
    output: () => lines.join('\n'),
    async stop(deadlineMs = 10_000) {
      if (!isRunning()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => isRunning() && child.kill('SIGKILL'), deadlineMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + (o.readyTimeoutMs ?? 15_000);
  let last = 'no answer';
  while (true) {
    if (!isRunning()) throw new Error(`qbittorrent-nox exited before its WebUI came up (${url})\n${handle.output()}`);
    try {
      const res = await fetch(`${url}/api/v2/app/version`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status === 403 || res.status === 401 || res.status === 200) return handle;
      last = `HTTP ${res.status}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) {
      await handle.stop(1000);
      throw new Error(`qbittorrent-nox WebUI at ${url} not ready (${last})\n${handle.output()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
