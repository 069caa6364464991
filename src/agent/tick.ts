/**
 * One reconcile tick: observe (daemon, feeds, counts) -> plan (pure) -> diff -> apply.
 * Level-based and idempotent: every tick re-reads the daemon; every action is "add if absent"
 * or "remove if present and ours". Ownership changes are written to agent state BEFORE the
 * daemon call they announce, so a crash between any two steps converges on the next tick.
 */
import type { DaemonPort, DaemonTorrent } from '../daemon/index.js';
import type { Action, Plan, PlanPolicy } from '../plan/index.js';
import { NO_LIMITS, planWithinLimits } from '../plan/limits.js';
import { finishLimits, prepareLimits, type DonatedConfig, type DonatedLimits } from './bandwidth.js';
import type { InfoHash } from '../shared/index.js';
import { actionEvent, applyActions, applyOwnershipOps } from './apply.js';
import { buildCandidates, buildHeld, mergeFeedItems } from './candidates.js';
import { findOffDownloadFilesystem } from './filesystems.js';
import type { EventBus } from './events.js';
import { runIntegrityStep, type IntegrityConfig } from './integrity-step.js';
import { planInputsWithSignals, type SignalSource } from './observe-signals.js';
import { pollDaemon, probeTorrentFiles, readFreeBytes, trackersOf, type TickMemo } from './observe.js';
import type { CountSource, FeedSource, TorrentSource } from './sources.js';
import type { AgentStateStore } from './state.js';

export { createTickMemo, type TickMemo } from './observe.js';

export interface AgentConfig {
  /** Label put on every torrent the agent adds. */
  label: string;
  /** Absolute; each owned torrent lives in `<downloadDir>/<infohash>/`. */
  downloadDir: string;
  planPolicy: PlanPolicy;
  /** Counts older than this lose to fresher sources. */
  maxCountAgeMs: number;
  /** .torrent fetches per tick to learn sizes and trackers feeds do not state. */
  maxTorrentProbesPerTick: number;
  /** How often the daemon poll includes trackerStats (the held torrents' swarm counts). */
  trackerStatsIntervalMs: number;
  /** Pause before trusting that an owned torrent is gone from the daemon (default 1000 ms). */
  absenceSettleMs?: number;
  /** Bandwidth caps, transfer caps, daily budget, eviction confirmation, policy pins (issue 4). */
  donated?: DonatedConfig;
  /** Scheduled re-verification and its read budget; content digests are checked whenever a feed states them. */
  integrity?: IntegrityConfig;
}

export interface AgentDeps {
  daemon: DaemonPort;
  state: AgentStateStore;
  bus: EventBus;
  feeds: FeedSource;
  counts: CountSource;
  torrents: TorrentSource;
  clock: () => number;
  /** What ticks carry over: slow-changing observations with their age (never ownership). */
  memo?: TickMemo;
  /** Removes an empty per-torrent directory after its data was deleted (best effort). */
  removeEmptyDir?: (path: string) => Promise<void>;
  /** Transfer accounting and the eviction guard; without it only the disk reserve applies. */
  donated?: DonatedLimits;
  /** Geography, slow downloads (issue 3); without it the plan scores counts alone. */
  signals?: SignalSource;
}

export interface TickResult {
  plan: Plan;
  actions: Action[];
  /** Actions carried out (0 in a dry run). */
  appliedAdds: number;
  appliedRemoves: number;
  failed: number;
  torrents: DaemonTorrent[];
}

export async function runTick(deps: AgentDeps, config: AgentConfig, options: { dryRun: boolean; tick: number }): Promise<TickResult> {
  const { daemon, state, bus } = deps;
  const nowMs = deps.clock();

  // Observe the daemon first: without it there is nothing safe to do.
  const { torrents, view } = await pollDaemon(deps, config, nowMs);
  const byHash = new Map(torrents.map((t) => [t.infoHash, t]));
  const dataDirs = options.dryRun
    ? new Map(torrents.map((t) => [t.infoHash, t.downloadDir]))
    : await applyOwnershipOps(deps, config, view.ops, torrents, nowMs);

  const snapshots = await deps.feeds.readFeeds(nowMs);
  const merged = mergeFeedItems(snapshots, state.bans());
  // A .torrent that was refused (info-hash mismatch, hostile) is not planned until its refusal expires.
  for (const hash of [...merged.keys()]) if (deps.torrents.refusal(hash) !== undefined && !byHash.has(hash)) merged.delete(hash);
  await probeTorrentFiles(deps, config, merged, byHash);

  const scrapeRequests = [...merged.values()]
    .filter((m) => !byHash.has(m.infoHash))
    .map((m) => ({ infoHash: m.infoHash, trackers: trackersOf(m, deps.torrents) }))
    .filter((r) => r.trackers.length > 0);
  const scraped = await deps.counts.readCounts(scrapeRequests, nowMs);

  const candidates = buildCandidates({
    merged, torrents: byHash, scraped, cachedTorrent: (h) => deps.torrents.cached(h), nowMs, maxCountAgeMs: config.maxCountAgeMs,
  });
  const records = new Map(state.owned().map((r) => [r.infoHash, r]));
  const pins = new Set([...state.pins(), ...(config.donated?.pins ?? [])]);
  const diskFreeBytes = await readFreeBytes(daemon, config.downloadDir);
  const offDownloadFs = await findOffDownloadFilesystem(daemon, config.downloadDir, diskFreeBytes, torrents);
  const held = buildHeld({ torrents, owned: view.owned, records, pins, bans: state.bans(), offDownloadFs });

  // Donated limits: the disk reserve always; budgets, caps and eviction confirmation when set.
  const donated = deps.donated !== undefined && config.donated !== undefined ? { deps: deps.donated, config: config.donated } : null;
  const prepared = donated === null ? null : prepareLimits(donated.deps, donated.config, { torrents, owned: view.owned, nowMs, dryRun: options.dryRun });
  const scored = await planInputsWithSignals(deps.signals, {
    candidates, policy: config.planPolicy, torrents: byHash, nodeId: state.nodeId, nowMs, bus,
    trackersOf: (hash) => { const m = merged.get(hash); return m === undefined ? [] : trackersOf(m, deps.torrents); },
  });
  const limited = planWithinLimits({ candidates: scored.candidates, held, policy: scored.policy, nowMs, diskFreeBytes }, prepared?.planLimits ?? NO_LIMITS);
  const { plan, actions } = limited;
  const finish = async (removesApplied: number): Promise<void> => {
    if (donated === null || prepared === null) return;
    const ownedNow = (): Set<InfoHash> => new Set(state.owned().filter((r) => r.phase === 'owned').map((r) => r.infoHash));
    await finishLimits({ daemon, bus, ownedNow }, donated.deps, donated.config, { limited, rates: prepared.rates, torrents: byHash, nowMs, removesApplied, dryRun: options.dryRun });
  };
  bus.emit({
    type: 'planned', atMs: nowMs, candidates: candidates.length, desired: plan.desired.length,
    adds: actions.filter((a) => a.kind === 'add').length, removes: actions.filter((a) => a.kind === 'remove').length,
    capacityBytes: plan.capacityBytes, committedBytes: plan.committedBytes,
  });

  if (options.dryRun) {
    for (const action of actions) bus.emit(actionEvent(action, nowMs, true));
    await finish(0);
    return { plan, actions, appliedAdds: 0, appliedRemoves: 0, failed: 0, torrents };
  }

  const { appliedAdds, appliedRemoves, failed } = await applyActions(deps, config, actions, merged, dataDirs);
  await finish(appliedRemoves);
  await runIntegrityStep(deps, config, { torrents, merged, desired: new Set(plan.desired), nowMs });
  return { plan, actions, appliedAdds, appliedRemoves, failed, torrents };
}

