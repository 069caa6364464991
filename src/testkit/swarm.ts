/**
 * A real BitTorrent swarm on one machine: a bridge with one
 * network namespace per transmission-daemon, a real HTTP tracker on the bridge address, and
 * helpers to seed datasets and wait for conditions with deadlines. Used by end-to-end tests
 * and by the demo world. Every process it starts is tracked and stopped by stop().
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { InfoHash } from '../shared/index.js';
import type { DaemonLine } from './daemon-lines.js';
import { startDaemonProcess, type DaemonProcess } from './daemon-process.js';
import { createNetwork, leftoversOf, type NetworkHost, type TestNetwork } from './netns.js';
import { installRechokeKicker, type RechokeKicker } from './rechoke.js';
import { addTorrent, getTorrent, type RpcTarget } from './rpc.js';
import { startTracker, type RunningTracker } from './tracker.js';
import { createTorrentFile, type Dataset } from './torrents.js';

export const DAEMON_RPC_PORT = 9091;
export const DAEMON_PEER_PORT = 51413;
/** Transmission's torrent status 6 = seeding. */
const STATUS_SEEDING = 6;

export interface SwarmOptions {
  /**
   * The test's own number, recorded in the network's claim so a leftover says who made it.
   * Names and subnet are claimed per run (netns-claims.ts), whatever the number.
   */
  id?: number;
  seeders: number;
  /** Daemons beyond the seeders (a volunteer's daemon the agent drives, leechers, ...). */
  extraDaemons: number;
  /**
   * Namespaces on the same bridge with no daemon started in them, for a client the test starts
   * itself (a qbittorrent-nox). What runs in them is killed with the network.
   */
  spareHosts?: number;
  /** Config and download folders of every daemon go under here. */
  workDir: string;
  rpcUsername?: string;
  rpcPassword?: string;
  /** Extra settings.json keys for every daemon (speed limits, queues, ...). */
  daemonSettings?: Record<string, unknown>;
  /** Which Transmission line the seeders and the extra daemons run (daemon-lines.ts); default Debian 12's 3.00. */
  lines?: { seeder?: DaemonLine; extra?: DaemonLine };
  /** Tracker announce interval; default 5000 ms. */
  trackerIntervalMs?: number;
  /** Also run the tracker's UDP endpoint (BEP 15). */
  udpTracker?: boolean;
  /**
   * Test-harness trick (rechoke.ts): every daemon gets a tiny paused trackerless torrent that
   * is started+stopped whenever a rechoke is due, cutting ~7 s of Transmission's rechoke timer
   * from every transfer. The extra torrent is visible over RPC (an agent under test must leave
   * it alone: it is not its own). Default false.
   */
  rechokeKicker?: boolean;
}

export interface SwarmDaemon extends DaemonProcess {
  readonly index: number;
  readonly role: 'seeder' | 'extra';
  readonly namespace: string;
  readonly address: string;
  /** Present when the swarm was started with rechokeKicker. */
  readonly kicker: RechokeKicker | undefined;
}

export interface SeededTorrent {
  infoHash: InfoHash;
  metainfo: Uint8Array;
  torrentFile: string;
}

export interface Swarm {
  readonly network: TestNetwork;
  readonly tracker: RunningTracker;
  readonly bridgeAddress: string;
  readonly seeders: readonly SwarmDaemon[];
  /** The extra daemons, in order. */
  readonly daemons: readonly SwarmDaemon[];
  /** The namespaces asked for with spareHosts, after the daemons' ones. */
  readonly spareHosts: readonly NetworkHost[];
  /**
   * Creates a torrent for the dataset (announcing to the swarm's tracker) unless one is given,
   * adds it to the chosen seeders with download-dir = dataset.dir, and waits until each
   * reports 100 % and status seeding.
   */
  seedTorrent(
    seederIndexes: readonly number[],
    dataset: Dataset,
    options?: { torrent?: SeededTorrent; timeoutMs?: number },
  ): Promise<SeededTorrent>;
  /** The module's waitFor, here for convenience. */
  waitFor: typeof waitFor;
  /** Tears everything down (daemons by pid, tracker, namespaces) and verifies. Idempotent. */
  stop(): Promise<void>;
  /** Synchronous last resort for process exit: SIGKILL daemons, delete namespaces and links. */
  stopNowSync(): void;
}

export async function startSwarm(options: SwarmOptions): Promise<Swarm> {
  if (!Number.isInteger(options.seeders) || options.seeders < 0) {
    throw new Error(`seeders must be a non-negative integer, got ${String(options.seeders)}`);
  }
  if (!Number.isInteger(options.extraDaemons) || options.extraDaemons < 0) {
    throw new Error(`extraDaemons must be a non-negative integer, got ${String(options.extraDaemons)}`);
  }
  const total = options.seeders + options.extraDaemons;
  if (total < 1) throw new Error('a swarm needs at least one daemon (seeders + extraDaemons)');
  const username = options.rpcUsername ?? 'swarm';
  const password = options.rpcPassword ?? 'swarm-secret';

  let network: TestNetwork | undefined;
  let tracker: RunningTracker | undefined;
  const started: SwarmDaemon[] = [];
  const stopKickers: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= Promise.all(stopKickers.map((s) => s())).then(() => teardown(started, tracker, network));
    return stopping;
  };
  const stopNowSync = (): void => {
    const pids = started.filter((d) => d.isRunning()).map((d) => d.pid);
    if (network !== undefined) deleteNetworkSync(network, pids);
    else for (const pid of pids) process.kill(pid, 'SIGKILL');
  };

  try {
    network = await createNetwork({ hosts: total + (options.spareHosts ?? 0), label: `swarm${options.id ?? ''}` });
    tracker = await startTracker({
      host: network.bridgeAddress,
      http: true,
      udp: options.udpTracker ?? false,
      intervalMs: options.trackerIntervalMs ?? 5000,
    });
    const bridgeAddress = network.bridgeAddress;
    const results = await Promise.allSettled(
      network.hosts.slice(0, total).map(async (host, index) => {
        const role = index < options.seeders ? 'seeder' : 'extra';
        const daemon = await startSwarmDaemon(host, index, role, {
          workDir: options.workDir,
          username,
          password,
          bridgeAddress,
          settings: options.daemonSettings ?? {},
          line: options.lines?.[role === 'seeder' ? 'seeder' : 'extra'] ?? 'bookworm',
        });
        started.push(daemon);
        if (options.rechokeKicker === true) {
          const kicker = await installRechokeKicker(daemon, join(options.workDir, `d${index}`, 'kicker'));
          Object.assign(daemon, { kicker });
          stopKickers.push(kicker.startAuto());
        }
        return daemon;
      }),
    );
    const failed = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    if (failed.length > 0) {
      throw new Error(`${failed.length} of ${total} swarm daemons failed to start: ${failed.map(errorText).join('; ')}`, {
        cause: failed[0],
      });
    }
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  const readyNetwork = network;
  const readyTracker = tracker;
  const byIndex = [...started].sort((a, b) => a.index - b.index);
  const seeders = byIndex.filter((d) => d.role === 'seeder');
  const torrentDir = join(options.workDir, 'torrents');
  return {
    network: readyNetwork,
    tracker: readyTracker,
    bridgeAddress: readyNetwork.bridgeAddress,
    seeders,
    daemons: byIndex.filter((d) => d.role === 'extra'),
    spareHosts: readyNetwork.hosts.slice(total),
    async seedTorrent(seederIndexes, dataset, seedOptions = {}) {
      const torrent =
        seedOptions.torrent ??
        (await createTorrentFile({
          contentPath: dataset.contentPath,
          announceUrl: readyTracker.announceUrl,
          outFile: join(torrentDir, `${dataset.name}.torrent`),
        }));
      await Promise.all(
        seederIndexes.map(async (i) => {
          const seeder = seeders[i];
          if (seeder === undefined) throw new Error(`seedTorrent: no seeder ${i} (the swarm has ${seeders.length})`);
          await addTorrent(seeder, { metainfo: torrent.metainfo, downloadDir: dataset.dir });
          await waitForSeeding(seeder, torrent.infoHash, seedOptions.timeoutMs ?? 30_000);
        }),
      );
      return { infoHash: torrent.infoHash, metainfo: torrent.metainfo, torrentFile: torrent.torrentFile };
    },
    waitFor,
    stop,
    stopNowSync,
  };
}

async function startSwarmDaemon(
  host: NetworkHost,
  index: number,
  role: 'seeder' | 'extra',
  options: {
    workDir: string;
    username: string;
    password: string;
    bridgeAddress: string;
    settings: Record<string, unknown>;
    line: DaemonLine;
  },
): Promise<SwarmDaemon> {
  const base = join(options.workDir, `d${index}`);
  await mkdir(base, { recursive: true });
  const daemon = await startDaemonProcess({
    configDir: join(base, 'config'),
    downloadDir: join(base, 'downloads'),
    bindAddress: host.address,
    rpcPort: DAEMON_RPC_PORT,
    peerPort: DAEMON_PEER_PORT,
    username: options.username,
    password: options.password,
    rpcWhitelist: `127.0.0.1,${options.bridgeAddress}`,
    netns: host.name,
    settings: options.settings,
    line: options.line,
  });
  return Object.assign(daemon, { index, role, namespace: host.name, address: host.address, kicker: undefined });
}

/** Polls until the torrent is verified complete and seeding; fails fast on a torrent error. */
export async function waitForSeeding(daemon: RpcTarget, infoHash: string, timeoutMs: number): Promise<void> {
  let last = 'not added';
  await waitFor(
    async () => {
      const t = await getTorrent(daemon, infoHash, ['percentDone', 'status', 'error', 'errorString']);
      if (t === undefined) return false;
      if (t['error'] !== 0) throw new Error(`torrent ${infoHash} on ${daemon.rpcUrl}: error ${String(t['errorString'])}`);
      last = `percentDone ${String(t['percentDone'])}, status ${String(t['status'])}`;
      return t['percentDone'] === 1 && t['status'] === STATUS_SEEDING;
    },
    { timeoutMs, intervalMs: 100, what: `torrent ${infoHash} to seed on ${daemon.rpcUrl}`, progress: () => last },
  );
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** What is awaited, for the timeout message: "torrent X to complete on daemon 2". */
  what: string;
  /** The latest observed state, appended to the timeout message. */
  progress?: () => string;
}

/**
 * Polls `check` until it returns something other than undefined, null or false, and returns
 * that. A throw from `check` ends the wait at once with that error.
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  options: WaitOptions,
): Promise<T> {
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== null && value !== false) return value;
    if (Date.now() >= deadline) {
      const state = options.progress === undefined ? '' : ` (last state: ${options.progress()})`;
      throw new Error(`timed out after ${Date.now() - started} ms waiting for ${options.what}${state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}

async function teardown(
  daemons: readonly SwarmDaemon[],
  tracker: RunningTracker | undefined,
  network: TestNetwork | undefined,
): Promise<void> {
  const errors: unknown[] = [];
  const settle = async (work: Promise<unknown>): Promise<void> => {
    try {
      await work;
    } catch (error) {
      errors.push(error);
    }
  };
  await Promise.all(daemons.map((d) => settle(d.stop(3000))));
  if (tracker !== undefined) await settle(tracker.close());
  if (network === undefined) {
    if (errors.length > 0) throw new AggregateError(errors, `swarm teardown failed: ${errors.map(errorText).join('; ')}`);
    return;
  }
  const prefix = network.prefix;
  await settle(network.destroy({ killDeadlineMs: 3000 }));
  const left = await leftoversOf(prefix).catch((error: unknown) => [`could not list leftovers: ${errorText(error)}`]);
  if (left.length > 0) errors.push(new Error(`swarm ${prefix} left behind: ${left.join(', ')}`));
  if (errors.length > 0) {
    throw new AggregateError(errors, `swarm ${prefix} teardown failed: ${errors.map(errorText).join('; ')}`);
  }
}

/** Exit handlers cannot await: SIGKILL, wait (blocking, bounded) for the pids to go, delete. */
function deleteNetworkSync(network: TestNetwork, knownPids: readonly number[]): void {
  const pids = new Set(knownPids);
  for (const host of network.hosts) {
    try {
      const out = execFileSync('ip', ['netns', 'pids', host.name], { encoding: 'utf8' });
      for (const pid of out
        .split('\n')
        .map(Number)
        .filter((n) => n > 0))
        pids.add(pid);
    } catch {
      // namespace already gone
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  // A namespace (and its veth) lives on until the last process in it has died.
  const deadline = Date.now() + 3000;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  while ([...pids].some(isAliveSync) && Date.now() < deadline) Atomics.wait(sleeper, 0, 0, 20);
  const run = (args: string[]): void => {
    try {
      execFileSync('ip', args, { stdio: 'ignore' });
    } catch {
      // already gone
    }
  };
  for (const host of network.hosts) run(['netns', 'del', host.name]);
  for (let i = 0; i < network.hosts.length; i++) run(['link', 'del', `${network.prefix}v${i}`]);
  run(['link', 'del', network.bridgeName]);
  network.releaseClaimSync();
}

/** Alive and not a zombie (a killed orphan stays a zombie until init reaps it). */
function isAliveSync(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP run `stop` and then exit with 128+signal; a process exit
 * before `stop` has finished (a plain exit, or a crash during the teardown itself) runs
 * `stopNowSync` if given (exit handlers cannot wait). Returns an uninstaller.
 */
export function installTeardownOnSignals(stop: () => Promise<void>, stopNowSync?: () => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const codes: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };
  let signalled = false;
  let stopped = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (signalled) return;
    signalled = true;
    stop()
      .then(() => {
        stopped = true;
      })
      .catch((error: unknown) => {
        process.stderr.write(`teardown after ${signal} failed: ${errorText(error)}\n`);
      })
      .finally(() => process.exit(codes[signal] ?? 1));
  };
  const onExit = (): void => {
    if (!stopped) stopNowSync?.();
  };
  for (const s of signals) process.on(s, onSignal);
  process.on('exit', onExit);
  return () => {
    stopped = true;
    for (const s of signals) process.off(s, onSignal);
    process.off('exit', onExit);
  };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
