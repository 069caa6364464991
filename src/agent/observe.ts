/**
 * The observe half of a tick, IO only: the daemon's torrents (re-read every tick, never
 * remembered), the .torrent files a candidate needs before it can be planned, free space.
 */
import type { DaemonPort, DaemonTorrent } from '../daemon/index.js';
import { SmartnodeError, type InfoHash } from '../shared/index.js';
import type { MergedItem } from './candidates.js';
import { toErrorView } from './events.js';
import { needsDaemonStart, reconcileOwnership, type OwnershipView } from './ownership.js';
import type { TorrentSource } from './sources.js';
import type { AgentConfig, AgentDeps } from './tick.js';

export interface TickMemo {
  /** The daemon's version once a tick has talked to it; reset when it becomes unreachable. */
  daemonVersion: string | null;
  trackerStatsAtMs: number;
  trackerStats: Map<InfoHash, DaemonTorrent['trackerStats']>;
}

export function createTickMemo(): TickMemo {
  return { daemonVersion: null, trackerStatsAtMs: Number.NEGATIVE_INFINITY, trackerStats: new Map() };
}

/**
 * Polls the daemon and derives ownership. trackerStats are most of a poll's bytes (~80 % on
 * 3.00) and change slowly: they are asked for once per scrape interval and reused between.
 */
export async function pollDaemon(deps: AgentDeps, config: AgentConfig, nowMs: number): Promise<{ torrents: DaemonTorrent[]; view: OwnershipView }> {
  const { daemon, state, bus } = deps;
  const memo = deps.memo ?? (deps.memo = createTickMemo());
  if (memo.daemonVersion === null) {
    const version = await daemon.readVersion();
    memo.daemonVersion = version.version;
    bus.emit({ type: 'daemon-connected', atMs: nowMs, version: version.version, rpcVersion: version.rpcVersion, rpcVersionSemver: version.rpcVersionSemver, protocol: version.protocol });
  }
  const withStats = nowMs - memo.trackerStatsAtMs >= config.trackerStatsIntervalMs;
  const poll = async (): Promise<DaemonTorrent[]> => {
    const list = await daemon.listTorrents({ trackerStats: withStats });
    if (withStats) {
      memo.trackerStatsAtMs = nowMs;
      memo.trackerStats = new Map(list.map((t) => [t.infoHash, t.trackerStats]));
    }
    return list.map((t) => (withStats ? t : { ...t, trackerStats: memo.trackerStats.get(t.infoHash) ?? [] }));
  };
  const reconcile = async (list: DaemonTorrent[]): Promise<OwnershipView> => {
    const records = state.owned();
    // Asked only when an interrupted add sits outside its directory: was it a restart's reload?
    const daemonStartedAtMs = needsDaemonStart(records, list) ? nowMs - (await daemon.readSessionStats()).secondsActive * 1000 : null;
    return reconcileOwnership({ records, torrents: list, label: config.label, downloadDir: config.downloadDir, daemonStartedAtMs });
  };
  let torrents = await poll();
  let view = await reconcile(torrents);
  if (view.ops.some((op) => op.kind === 'forget' && (op.why === 'removed-outside' || op.why === 'never-added'))) {
    // Transmission 3.00 answers RPC some milliseconds before it has reloaded its torrents after
    // a start: never conclude "gone" from one look. Look again after a pause.
    await delay(config.absenceSettleMs ?? 1000);
    torrents = await poll();
    view = await reconcile(torrents);
  }
  return { torrents, view };
}

/**
 * Fetches .torrent files (bounded per tick; summaries are cached) for candidates whose size
 * the feed does not state, or whose swarm cannot be counted without the torrent's trackers
 * (an RSS item names no tracker; the .torrent's announce list does).
 */
export async function probeTorrentFiles(deps: AgentDeps, config: AgentConfig, merged: ReadonlyMap<InfoHash, MergedItem>, held: ReadonlyMap<InfoHash, DaemonTorrent>): Promise<void> {
  const wanted = [...merged.values()].filter((m) =>
    !held.has(m.infoHash) && deps.torrents.cached(m.infoHash) === undefined && deps.torrents.refusal(m.infoHash) === undefined &&
    (m.item.sizeBytes === null || (m.feedCounts === null && m.trackers.length === 0)));
  // Unknown sizes first: without a size a candidate cannot be planned at all.
  wanted.sort((a, b) => Number(a.item.sizeBytes !== null) - Number(b.item.sizeBytes !== null));
  // Concurrently: the torrent source bounds fetches per host and in all.
  await Promise.all(wanted.slice(0, config.maxTorrentProbesPerTick).map(async (m) => {
    try {
      await deps.torrents.readTorrent(m.item, m.primaryFeedId);
    } catch (error) {
      deps.bus.emit({ type: 'torrent-file-failed', atMs: deps.clock(), infoHash: m.infoHash, name: m.item.name, error: toErrorView(error) });
    }
  }));
}

export function trackersOf(m: MergedItem, torrents: TorrentSource): string[] {
  const cached = torrents.cached(m.infoHash);
  if (cached === undefined) return m.trackers;
  return [...new Set([...m.trackers, ...cached.trackers])];
}

export async function readFreeBytes(daemon: DaemonPort, dir: string): Promise<number | null> {
  try {
    return await daemon.readFreeSpace(dir);
  } catch (error) {
    if (error instanceof SmartnodeError && error.code === 'DAEMON_RPC') return null;
    throw error;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
