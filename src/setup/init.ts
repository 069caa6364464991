/**
 * The IO half of `smartnode init`: find and read the daemon's settings.json (never write it),
 * find the daemon's user, propose download directories, check the connection, and write the
 * policy and the password file. The CLI (flags or the Ink wizard) decides; this does.
 */
import { constants } from 'node:fs';
import { chmod, mkdir, open, readFile, stat, statfs } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createDaemonClient, lockedOut, type DaemonClient, type DaemonVersion } from '../daemon/index.js';
import { parsePolicyText, type Policy } from '../policy/index.js';
import { SmartnodeError } from '../shared/index.js';
import { formatBytes, redactUrl } from '../shared/index.js';
import {
  adviseSettings,
  parseDaemonSettings,
  rpcUrlFor,
  settingsCandidates,
  whitelistLetsIn,
  type DaemonSettings,
  type SettingsAdvice,
} from './daemon-settings.js';
import { checkWriteAccess, findDaemonProcess, type ProcessIdentity } from './daemon-user.js';
import { findRunningClient, type RunningClient } from './detect-client.js';
import { adviseQbittorrentSettings, parseQbittorrentSettings, qbittorrentConfCandidates, webuiUrlFor } from './qbittorrent-settings.js';
import { withEnvironmentVariable } from './feed-choices.js';

export interface FoundSettings {
  /** The client whose settings these are: the one running here when one is, else the first file found. */
  readonly client: DaemonClient;
  readonly path: string;
  readonly settings: DaemonSettings;
  readonly rpcUrl: string;
  readonly advice: SettingsAdvice[];
}

/** A qBittorrent config by its name (qBittorrent.conf, qBittorrent_NAME.conf); anything else is read as settings.json. */
function clientOfFile(path: string): DaemonClient {
  return /^qBittorrent.*\.conf$/i.test(basename(path)) ? 'qbittorrent' : 'transmission';
}

/**
 * Where to look, in order: the given file; else the settings of the client running here (a
 * qbittorrent-nox's own qBittorrent.conf), then Transmission's usual places, then qBittorrent's.
 */
async function settingsPlaces(explicit: string | undefined, home: string): Promise<{ places: string[]; running?: RunningClient }> {
  if (explicit !== undefined) return { places: [resolve(explicit)] };
  const running = await findRunningClient();
  const usual = [...settingsCandidates(home), ...qbittorrentConfCandidates(home)];
  if (running?.configPath !== undefined) return { places: [running.configPath, ...usual], running };
  return running === undefined ? { places: usual } : { places: usual, running };
}

/** Reads the given settings file, or that of the client running here, or the first of the usual places that exists. */
export async function readDaemonSettingsFile(explicit: string | undefined, home: string): Promise<FoundSettings> {
  const { places: candidates, running } = await settingsPlaces(explicit, home);
  for (const path of candidates) {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' && explicit === undefined) continue;
      throw new SmartnodeError('SETUP_MISSING', `cannot read ${path} (${code ?? 'error'})`, {
        hint:
          code === 'EACCES'
            ? "Debian's settings.json is readable by root and debian-transmission only: run init with sudo"
            : "pass the daemon's settings.json with --settings PATH",
        cause: error,
      });
    }
    if (clientOfFile(path) === 'qbittorrent') {
      const settings = parseQbittorrentSettings(text);
      const service = `qbittorrent-nox@${running?.process.userName ?? '<user>'}`;
      return {
        client: 'qbittorrent',
        path,
        settings,
        rpcUrl: webuiUrlFor(settings),
        advice: adviseQbittorrentSettings(settings, path, service),
      };
    }
    const settings = parseDaemonSettings(text, path);
    return { client: 'transmission', path, settings, rpcUrl: rpcUrlFor(settings), advice: adviseSettings(settings, path) };
  }
  throw new SmartnodeError(
    'SETUP_MISSING',
    `no transmission-daemon settings.json or qbittorrent-nox qBittorrent.conf found (looked in ${candidates.join(', ')})`,
    {
      hint: 'install a client (sudo apt-get install transmission-daemon, or qbittorrent-nox) or pass --settings PATH',
    },
  );
}

export type ConnectionCheck =
  | { readonly ok: true; readonly version: DaemonVersion }
  | { readonly ok: false; readonly error: SmartnodeError };

/**
 * Checks the URL and credentials. `settings` (the daemon's settings.json) tells a 403 apart: when
 * its whitelist lets this client in, the 403 is 4.x's anti-brute-force lockout after failed
 * logins, not the whitelist, and init must stop asking for passwords.
 */
export async function checkDaemonConnection(
  url: string,
  username: string | undefined,
  password: string | undefined,
  settings?: DaemonSettings,
  client: DaemonClient = 'transmission',
): Promise<ConnectionCheck> {
  try {
    const version = await createDaemonClient({ client, url, username, password, timeoutMs: 5000 }).readVersion();
    return { ok: true, version };
  } catch (error) {
    if (
      error instanceof SmartnodeError &&
      error.code === 'DAEMON_FORBIDDEN' &&
      error.details?.['status'] === 403 &&
      settings !== undefined &&
      whitelistLetsIn(settings)
    ) {
      return {
        ok: false,
        error: lockedOut(redactUrl(url), { url: redactUrl(url), status: 403, antiBruteForce: settings.antiBruteForceEnabled }),
      };
    }
    if (error instanceof SmartnodeError) return { ok: false, error };
    return {
      ok: false,
      error: new SmartnodeError(
        'INTERNAL',
        `checking the daemon failed unexpectedly: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      ),
    };
  }
}

export interface DirProposal {
  readonly path: string;
  readonly exists: boolean;
  readonly freeBytes: number;
  /** Undefined when the daemon's user is unknown. */
  readonly daemonCanWrite: boolean | undefined;
  readonly note: string;
}

async function nearestExisting(path: string): Promise<string> {
  let p = resolve(path);
  while (
    !(await stat(p).then(
      () => true,
      () => false,
    )) &&
    p !== dirname(p)
  )
    p = dirname(p);
  return p;
}

/**
 * Download directories to offer, best first: where the daemon's user can write, then most free
 * space. Candidates: a `smartnode` folder in the daemon's own download dir, /srv/smartnode, and
 * any the owner named.
 */
export async function proposeDownloadDirs(
  settings: DaemonSettings,
  daemonUser: ProcessIdentity | undefined,
  extra: readonly string[] = [],
): Promise<DirProposal[]> {
  const candidates = [...extra, ...(settings.downloadDir === undefined ? [] : [join(settings.downloadDir, 'smartnode')]), '/srv/smartnode'];
  const proposals: DirProposal[] = [];
  const devices = new Map<string, number>();
  for (const path of [...new Set(candidates.map((c) => resolve(c)))]) {
    const existing = await nearestExisting(path);
    devices.set(path, (await stat(existing).catch(() => undefined))?.dev ?? -1);
    const fs = await statfs(existing).catch(() => undefined);
    const freeBytes = fs === undefined ? 0 : fs.bavail * fs.bsize;
    const access = daemonUser === undefined ? undefined : await checkWriteAccess(path, daemonUser);
    const exists = existing === path;
    const note = [
      `${formatBytes(freeBytes)} free`,
      exists ? 'exists' : `to be created in ${existing}`,
      access === undefined
        ? 'daemon user unknown'
        : access.ok
          ? `the daemon (${daemonUser?.userName ?? daemonUser?.uid}) can write it`
          : access.reason,
    ].join(', ');
    proposals.push({ path, exists, freeBytes, daemonCanWrite: access?.ok, note });
  }
  // Two candidates on one filesystem have the same room (their free space, read a moment
  // apart, differs only by what others wrote meanwhile): keep the order they were offered in.
  const sameFs = (a: DirProposal, b: DirProposal): boolean => devices.get(a.path) === devices.get(b.path);
  return proposals.sort(
    (a, b) => Number(b.daemonCanWrite === true) - Number(a.daemonCanWrite === true) || (sameFs(a, b) ? 0 : b.freeBytes - a.freeBytes),
  );
}

/** A budget to suggest: half of what is free beyond the reserve, in whole GB, at least 1 GB. */
export function suggestMaxSize(freeBytes: number, reserveBytes: number): string {
  const gb = Math.floor(Math.max(0, freeBytes - reserveBytes) / 2 / 1e9);
  return `${Math.max(1, gb)} GB`;
}

export async function findLocalDaemonUser(rpcUrl: string, client: DaemonClient = 'transmission'): Promise<ProcessIdentity | undefined> {
  const url = new URL(rpcUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!(host === 'localhost' || host === '::1' || host.startsWith('127.'))) return undefined;
  return findDaemonProcess(url.port === '' ? 80 : Number(url.port), client === 'qbittorrent' ? 'qbittorrent-nox' : 'transmission-daemon');
}

/**
 * Validates the policy text with the real loader, then writes the password file (mode 0600
 * from its creation, never wider) and the policy. Refuses to overwrite a policy unless `force`.
 */
export async function writeInitFiles(options: {
  policyPath: string;
  policyText: string;
  password?: { path: string; value: string };
  /** A variable to set in an environment file (systemd's EnvironmentFile=), its other lines kept. */
  environment?: { path: string; name: string; value: string };
  force: boolean;
}): Promise<Policy> {
  const policy = parsePolicyText(options.policyText, options.policyPath);
  if (
    !options.force &&
    (await stat(options.policyPath).then(
      () => true,
      () => false,
    ))
  )
    throw policyExists(options.policyPath);
  if (options.password !== undefined) await writeSecretFile(options.password.path, `${options.password.value}\n`);
  if (options.environment !== undefined) {
    const { path, name, value } = options.environment;
    const existing = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return '';
      throw error;
    });
    await writeSecretFile(path, withEnvironmentVariable(existing, name, value));
  }
  await mkdir(dirname(options.policyPath), { recursive: true, mode: 0o755 });
  const flags = options.force ? 'w' : 'wx';
  try {
    const handle = await open(options.policyPath, flags, 0o644);
    try {
      await handle.writeFile(options.policyText, 'utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw (error as NodeJS.ErrnoException).code === 'EEXIST' ? policyExists(options.policyPath) : error;
  }
  await chmod(options.policyPath, 0o644);
  return policy;
}

/** A file only its owner reads: mode 0600 from its creation, never wider. */
async function writeSecretFile(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o755 });
  const handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
  try {
    await handle.chmod(0o600); // an existing file keeps its old mode through O_CREAT
    await handle.writeFile(text, 'utf8');
  } finally {
    await handle.close();
  }
}

function policyExists(path: string): SmartnodeError {
  return new SmartnodeError('SETUP_MISSING', `${path} already exists; init does not overwrite a policy`, {
    hint: 'pass --force to replace it, or --policy PATH to write elsewhere',
  });
}
