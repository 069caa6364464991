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
import { SmartnodeError, type InfoHash } from '../shared/index.js';
import { buildCandidates, buildHeld, mergeFeedItems, type MergedItem } from './candidates.js';
import { toErrorView, type EventBus } from './events.js';
import { planInputsWithSignals, type SignalSource } from './observe-signals.js';
import { isInsideDir, reconcileOwnership, torrentDownloadDir, type OwnershipOp } from './ownership.js';
import type { CountSource, FeedSource, TorrentSource } from './sources.js';
import type { AgentStateStore } from './state.js';

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

export interface TickMemo {
  /** The daemon's version once a tick has talked to it; reset when it becomes unreachable. */
  daemonVersion: string | null;
  trackerStatsAtMs: number;
  trackerStats: Map<InfoHash, DaemonTorrent['trackerStats']>;
}

export function createTickMemo(): TickMemo {
  return { daemonVersion: null, trackerStatsAtMs: Number.NEGATIVE_INFINITY, trackerStats: new Map() };
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

  // Observe the daemon first: without it there is nothing safe to do. trackerStats are most of
  // a poll's bytes (~80 % on 3.00) and change slowly: ask for them once per scrape interval.
  const memo = deps.memo ?? (deps.memo = createTickMemo());
  if (memo.daemonVersion === null) {
    const version = await daemon.readVersion();
    memo.daemonVersion = version.version;
    bus.emit({ type: 'daemon-connected', atMs: nowMs, version: version.version, rpcVersion: version.rpcVersion });
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
  let torrents = await poll();
  let view = reconcileOwnership({ records: state.owned(), torrents, label: config.label, downloadDir: config.downloadDir });
  if (view.ops.some((op) => op.kind === 'forget' && (op.why === 'removed-outside' || op.why === 'never-added'))) {
    // Transmission 3.00 answers RPC some milliseconds before it has reloaded its torrents after
    // a start: never conclude "gone" from one look. Look again after a pause.
    await delay(config.absenceSettleMs ?? 1000);
    torrents = await poll();
    view = reconcileOwnership({ records: state.owned(), torrents, label: config.label, downloadDir: config.downloadDir });
  }
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
  const held = buildHeld({ torrents, owned: view.owned, records, pins, bans: state.bans() });
  const diskFreeBytes = await readFreeBytes(daemon, config.downloadDir);

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

  let appliedAdds = 0;
  let appliedRemoves = 0;
  let failed = 0;
  // Removals first: they free the space the adds are planned into.
  const ordered = [...actions.filter((a) => a.kind === 'remove'), ...actions.filter((a) => a.kind === 'add')];
  for (const action of ordered) {
    try {
      const done = action.kind === 'remove' ? await applyRemove(deps, config, action, dataDirs) : await applyAdd(deps, config, action, merged);
      if (done) {
        if (action.kind === 'add') {
          appliedAdds++;
          deps.donated?.transfer.recordAdd(action.sizeBytes, deps.clock());
        } else appliedRemoves++;
        bus.emit(actionEvent(action, deps.clock(), false));
      }
    } catch (error) {
      failed++;
      bus.emit({ type: 'action-failed', atMs: deps.clock(), kind: action.kind, infoHash: action.infoHash, name: action.name, error: toErrorView(error) });
      // A daemon that went away fails every further action too: stop, the loop retries.
      if (error instanceof SmartnodeError && error.code === 'DAEMON_UNREACHABLE') throw error;
    }
  }
  await finish(appliedRemoves);
  return { plan, actions, appliedAdds, appliedRemoves, failed, torrents };
}

function actionEvent(action: Action, atMs: number, dryRun: boolean) {
  return {
    type: 'action' as const, atMs, kind: action.kind, infoHash: action.infoHash, name: action.name,
    sizeBytes: action.kind === 'add' ? action.sizeBytes : 0,
    reason: { code: action.reason.code, text: action.reason.text }, dryRun,
  };
}

/**
 * Applies ownership repairs. Returns where each torrent's data now is, as far as this tick
 * knows (the daemon's answer, or the directory a relocation just pointed it at).
 */
async function applyOwnershipOps(deps: AgentDeps, config: AgentConfig, ops: readonly OwnershipOp[], torrents: readonly DaemonTorrent[], nowMs: number): Promise<Map<InfoHash, string>> {
  const { state, daemon, bus } = deps;
  const relocated = new Map<InfoHash, string>(torrents.map((t) => [t.infoHash, t.downloadDir]));
  for (const op of ops) {
    switch (op.kind) {
      case 'confirm':
        if (op.needsLabel) await daemon.setLabels(op.record.infoHash, [config.label]);
        state.putOwned({ ...op.record, phase: 'owned' });
        bus.emit({ type: 'ownership', atMs: nowMs, op: op.kind, infoHash: op.record.infoHash, detail: `${op.record.name}: an interrupted add completed` });
        break;
      case 'forget':
        state.deleteOwned(op.infoHash);
        if (op.why !== 'removed') {
          bus.emit({ type: 'ownership', atMs: nowMs, op: op.kind, infoHash: op.infoHash, detail: forgetText[op.why] });
        }
        break;
      case 'adopt':
        state.putOwned({
          infoHash: op.torrent.infoHash, name: op.torrent.name, sizeBytes: op.torrent.sizeWhenDoneBytes, feedIds: [],
          phase: 'owned', intentAtMs: op.torrent.addedDate * 1000, downloadDir: op.torrent.downloadDir,
        });
        bus.emit({ type: 'ownership', atMs: nowMs, op: op.kind, infoHash: op.torrent.infoHash, detail: `${op.torrent.name}: labelled "${config.label}" inside ${config.downloadDir}, taken back into agent state` });
        break;
      case 'finish-remove':
        await removeOwned(deps, config, op.record.infoHash, relocated.get(op.record.infoHash) ?? op.record.downloadDir);
        bus.emit({ type: 'ownership', atMs: nowMs, op: op.kind, infoHash: op.record.infoHash, detail: `${op.record.name}: an interrupted removal completed` });
        break;
      case 'relocate':
        await daemon.setLocation(op.infoHash, op.downloadDir);
        relocated.set(op.infoHash, op.downloadDir);
        bus.emit({ type: 'ownership', atMs: nowMs, op: op.kind, infoHash: op.infoHash, detail: `owned torrent was outside ${config.downloadDir} (a daemon restart lost its location); pointed back at ${op.downloadDir}, no files moved` });
        break;
      case 'relabel':
        await daemon.setLabels(op.infoHash, [config.label]);
        bus.emit({ type: 'ownership', atMs: nowMs, op: op.kind, infoHash: op.infoHash, detail: 'owned torrent had lost its label; label restored' });
        break;
    }
  }
  return relocated;
}

const forgetText = {
  'never-added': 'an add was interrupted before the daemon had it; will be planned again',
  'not-ours': 'the daemon already held this torrent before our add: it is the owner\'s, left untouched',
  'removed-outside': 'an owned torrent was removed outside smartnode; forgotten',
  removed: 'removal completed',
} as const;

async function applyRemove(deps: AgentDeps, config: AgentConfig, action: Extract<Action, { kind: 'remove' }>, dataDirs: ReadonlyMap<InfoHash, string>): Promise<boolean> {
  const record = deps.state.ownedRecord(action.infoHash);
  // Belt and braces: the planner never plans removing what is not ours, and we check again.
  if (record === undefined || record.phase === 'adding') return false;
  await removeOwned(deps, config, action.infoHash, dataDirs.get(action.infoHash) ?? record.downloadDir);
  return true;
}

/** Deletes an owned torrent and its data; `dir` is where the daemon keeps the data now. */
async function removeOwned(deps: AgentDeps, config: AgentConfig, infoHash: InfoHash, dir: string): Promise<void> {
  const record = deps.state.ownedRecord(infoHash);
  if (record === undefined) return;
  if (!isInsideDir(dir, config.downloadDir)) {
    throw new SmartnodeError('INTERNAL', `refusing to delete data of ${record.name}: ${dir} is outside ${config.downloadDir}`, {
      hint: 'the torrent was moved outside smartnode\'s directory; remove it by hand if it should go',
    });
  }
  deps.state.putOwned({ ...record, phase: 'removing' });
  await deps.daemon.removeTorrent(infoHash, { deleteData: true });
  deps.state.deleteOwned(infoHash);
  if (deps.removeEmptyDir !== undefined && dir !== config.downloadDir) await deps.removeEmptyDir(dir).catch(() => undefined);
}

async function applyAdd(deps: AgentDeps, config: AgentConfig, action: Extract<Action, { kind: 'add' }>, merged: ReadonlyMap<InfoHash, MergedItem>): Promise<boolean> {
  const m = merged.get(action.infoHash);
  if (m === undefined) return false;
  const file = await deps.torrents.readTorrent(m.item, m.primaryFeedId);
  const downloadDir = torrentDownloadDir(config.downloadDir, action.infoHash);
  deps.state.putOwned({
    infoHash: action.infoHash, name: file.name, sizeBytes: file.totalSizeBytes,
    // The feed the planner charged it to is its home: it stays charged there while that feed has room.
    feedIds: action.feedId === null ? m.feedIds : [action.feedId],
    phase: 'adding', intentAtMs: deps.clock(), downloadDir,
  });
  const result = await deps.daemon.addTorrent({ metainfo: file.metainfo, downloadDir, labels: [config.label] });
  if (result.duplicate) {
    // The daemon already had it: someone else's torrent. Never take it over.
    deps.state.deleteOwned(action.infoHash);
    throw new SmartnodeError('DAEMON_RPC', `${file.name} is already in the daemon, added outside smartnode; left untouched`, { details: { infoHash: action.infoHash } });
  }
  deps.state.putOwned({ ...deps.state.ownedRecord(action.infoHash)!, phase: 'owned' });
  return true;
}

/**
 * Fetches .torrent files (bounded per tick; summaries are cached) for candidates whose size
 * the feed does not state, or whose swarm cannot be counted without the torrent's trackers
 * (an RSS item names no tracker; the .torrent's announce list does).
 */
async function probeTorrentFiles(deps: AgentDeps, config: AgentConfig, merged: ReadonlyMap<InfoHash, MergedItem>, held: ReadonlyMap<InfoHash, DaemonTorrent>): Promise<void> {
  const wanted = [...merged.values()].filter((m) =>
    !held.has(m.infoHash) && deps.torrents.cached(m.infoHash) === undefined && deps.torrents.refusal(m.infoHash) === undefined &&
    (m.item.sizeBytes === null || (m.feedCounts === null && m.trackers.length === 0)));
  // Unknown sizes first: without a size a candidate cannot be planned at all.
  wanted.sort((a, b) => Number(a.item.sizeBytes !== null) - Number(b.item.sizeBytes !== null));
  for (const m of wanted.slice(0, config.maxTorrentProbesPerTick)) {
    try {
      await deps.torrents.readTorrent(m.item, m.primaryFeedId);
    } catch (error) {
      deps.bus.emit({ type: 'torrent-file-failed', atMs: deps.clock(), infoHash: m.infoHash, name: m.item.name, error: toErrorView(error) });
    }
  }
}

function trackersOf(m: MergedItem, torrents: TorrentSource): string[] {
  const cached = torrents.cached(m.infoHash);
  if (cached === undefined) return m.trackers;
  return [...new Set([...m.trackers, ...cached.trackers])];
}

async function readFreeBytes(daemon: DaemonPort, dir: string): Promise<number | null> {
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
