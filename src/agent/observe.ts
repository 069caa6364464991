/**
 * The observe half of a tick, IO only and no daemon writes: the daemon's torrents (re-read
 * every tick, never remembered), ownership as the intent log and the daemon's list say, the
 * feeds, the .torrent files a candidate needs before it can be planned, swarm counts, the need
 * signals, free space, transfer usage and what the integrity checks need (files on disk,
 * content checks under way). What it saw becomes one Observation value.
 */
import type { DaemonPort, DaemonTorrent } from '../daemon/index.js';
import { SmartnodeError, isStopping, type InfoHash, toErrorView } from '../shared/index.js';
import { readDaemonEarliestStartMs } from './daemon-start.js';
import { localTimeOf } from './bandwidth.js';
import { buildCandidates, mergeFeedItems, type MergedItem } from './candidates.js';
import { rejectionByFeeds } from './feed-filter.js';
import type { AgentConfig, AgentDeps } from './config.js';
import { observeSignals } from './observe-signals.js';
import { findOffDownloadFilesystem } from './filesystems.js';
import { readUnallocatedBytes } from './allocation.js';
import { observeIntegrity } from './integrity-observe.js';
import { needsDaemonStart, reconcileOwnership, type OwnershipView } from './ownership.js';
import type { TorrentSource } from './sources.js';
import { settledOrStopped } from './stop-wait.js';
import type { ObserveMemo, Observation } from './tick-types.js';

export function createObserveMemo(): ObserveMemo {
  return { daemonVersion: null, trackerStatsAtMs: Number.NEGATIVE_INFINITY, trackerStats: new Map() };
}

/**
 * Everything the tick plans from. `dryRun` reads transfer usage without counting it (a dry
 * run must not move the monthly accounting on).
 */
export async function observe(
  deps: AgentDeps,
  config: AgentConfig,
  memo: ObserveMemo,
  nowMs: number,
  options: { dryRun: boolean; stop?: AbortSignal | undefined },
): Promise<Observation> {
  const { state, bus } = deps;
  // The daemon first: without it there is nothing safe to do.
  const polled = await pollDaemon(deps, config, memo, nowMs);
  const { torrents, view } = polled;
  const byHash = new Map(torrents.map((t) => [t.infoHash, t]));
  const bans = state.bans();

  const snapshots = await deps.feeds.readFeeds(nowMs);
  const merged = mergeFeedItems(snapshots, bans);
  // A .torrent that was refused (info-hash mismatch, hostile) is not planned until its refusal expires.
  for (const hash of [...merged.keys()]) if (deps.torrents.refusal(hash) !== undefined && !byHash.has(hash)) merged.delete(hash);
  await probeTorrentFiles(deps, config, merged, byHash, options.stop);

  const scrapeRequests = [...merged.values()]
    .filter((m) => !byHash.has(m.infoHash))
    .map((m) => ({ infoHash: m.infoHash, trackers: trackersOf(m, deps.torrents) }))
    .filter((r) => r.trackers.length > 0);
  const scraped = await deps.counts.readCounts(scrapeRequests, nowMs);
  const candidates = buildCandidates({
    merged,
    torrents: byHash,
    scraped,
    cachedTorrent: (h) => deps.torrents.cached(h),
    nowMs,
    maxCountAgeMs: config.maxCountAgeMs,
    ...(config.feedFilters === undefined || config.feedFilters.size === 0
      ? {}
      : {
          filteredOut: (m: MergedItem) =>
            rejectionByFeeds(
              m.item,
              m.feedIds,
              config.feedFilters ?? new Map(),
              nowMs,
              deps.torrents.cached(m.infoHash)?.createdAtMs ?? null,
            ),
        }),
  });
  const diskFreeBytes = await readFreeBytes(deps.daemon, config.downloadDir);
  const offDownloadFs = await findOffDownloadFilesystem(deps.daemon, config.downloadDir, diskFreeBytes, torrents);
  const unallocated = await readUnallocatedBytes(torrents);
  const donated =
    deps.donated !== undefined && config.donated !== undefined
      ? {
          usage: options.dryRun ? deps.donated.transfer.usage(nowMs) : deps.donated.transfer.observe(torrents, view.owned, nowMs),
          evictionConfirmed: deps.donated.guard.isConfirmed(),
          reserveInForce: deps.donated.guard.reserveInForce(),
          localTime: localTimeOf(nowMs),
        }
      : null;
  const signals = await observeSignals(deps.signals, {
    candidates,
    policy: config.planPolicy,
    torrents: byHash,
    nowMs,
    bus,
    trackersOf: (hash) => {
      const m = merged.get(hash);
      return m === undefined ? [] : trackersOf(m, deps.torrents);
    },
  });
  const records = state.owned();
  const integrity = await observeIntegrity(deps, config, { torrents, owned: records, merged, nowMs });
  return {
    nowMs,
    nodeId: state.nodeId,
    torrents,
    records,
    ownership: view,
    pins: new Set([...state.pins(), ...(config.donated?.pins ?? [])]),
    bans,
    merged,
    candidates,
    signals,
    diskFreeBytes,
    offDownloadFs,
    unallocated,
    integrity,
    donated,
    memo: polled.memo,
  };
}

/**
 * Polls the daemon and derives ownership. trackerStats are most of a poll's bytes (~80 % on
 * 3.00) and change slowly: they are asked for once per scrape interval and reused between.
 */
export async function pollDaemon(
  deps: AgentDeps,
  config: AgentConfig,
  memo: ObserveMemo,
  nowMs: number,
): Promise<{ torrents: DaemonTorrent[]; view: OwnershipView; memo: ObserveMemo }> {
  const { daemon, state, bus } = deps;
  let next = memo;
  if (next.daemonVersion === null) {
    const version = await daemon.readVersion();
    next = { ...next, daemonVersion: version.version };
    bus.emit({
      type: 'daemon-connected',
      atMs: nowMs,
      version: version.version,
      rpcVersion: version.rpcVersion,
      rpcVersionSemver: version.rpcVersionSemver,
      protocol: version.protocol,
    });
  }
  const withStats = nowMs - next.trackerStatsAtMs >= config.trackerStatsIntervalMs;
  const poll = async (): Promise<DaemonTorrent[]> => {
    const list = await daemon.listTorrents({ trackerStats: withStats });
    if (withStats) {
      next = { ...next, trackerStatsAtMs: nowMs, trackerStats: new Map(list.map((t) => [t.infoHash, t.trackerStats])) };
      return list;
    }
    const stats = next.trackerStats;
    return list.map((t) => ({ ...t, trackerStats: stats.get(t.infoHash) ?? [] }));
  };
  const reconcile = async (list: DaemonTorrent[]): Promise<OwnershipView> => {
    const records = state.owned();
    // Asked only when an interrupted add sits outside its directory: was it a restart's reload?
    // The earliest start the uptime allows, so a start is never believed later than it was.
    const daemonStartedAtMs = needsDaemonStart(records, list) ? await readDaemonEarliestStartMs(daemon, nowMs) : null;
    return reconcileOwnership({
      records,
      torrents: list,
      label: config.label,
      downloadDir: config.downloadDir,
      daemonStartedAtMs,
      backupRecords: state.backupOwned(),
    });
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
  return { torrents, view, memo: next };
}

/**
 * Fetches .torrent files (bounded per tick; summaries are cached) for candidates whose size
 * the feed does not state, or whose swarm cannot be counted without the torrent's trackers
 * (an RSS item names no tracker; the .torrent's announce list does).
 */
export async function probeTorrentFiles(
  deps: AgentDeps,
  config: AgentConfig,
  merged: ReadonlyMap<InfoHash, MergedItem>,
  held: ReadonlyMap<InfoHash, DaemonTorrent>,
  stop?: AbortSignal,
): Promise<void> {
  const wanted = [...merged.values()].filter(
    (m) =>
      !held.has(m.infoHash) &&
      deps.torrents.cached(m.infoHash) === undefined &&
      deps.torrents.refusal(m.infoHash) === undefined &&
      (m.item.sizeBytes === null || (m.feedCounts === null && m.trackers.length === 0) || needsCreationDate(m, config)),
  );
  // Unknown sizes first: without a size a candidate cannot be planned at all.
  wanted.sort((a, b) => Number(a.item.sizeBytes !== null) - Number(b.item.sizeBytes !== null));
  // Concurrently: the torrent source bounds fetches per host and in all. A stop waits for none.
  const reads = Promise.all(
    wanted.slice(0, config.maxTorrentProbesPerTick).map(async (m) => {
      try {
        await deps.torrents.readTorrent(m.item, m.primaryFeedId);
      } catch (error) {
        if (isStopping(error) || stop?.aborted === true) return;
        deps.bus.emit({
          type: 'torrent-file-failed',
          atMs: deps.clock(),
          infoHash: m.infoHash,
          name: m.item.name,
          error: toErrorView(error),
        });
      }
    }),
  );
  await settledOrStopped(reads, stop);
}

/** A feed filter with a minimum age needs a date: the feed's, else the .torrent's creation date. */
function needsCreationDate(m: MergedItem, config: AgentConfig): boolean {
  if (m.item.publishedAtMs !== null || config.feedFilters === undefined) return false;
  return m.feedIds.some((id) => config.feedFilters?.get(id)?.minAge !== undefined);
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
