/**
 * Pure: the agent's status as a reducer over its events. The agent keeps one (for `status`
 * snapshots); the dashboard keeps another, seeded with a snapshot and fed the same events, so
 * both show the same thing. No clock: every event carries its time.
 */
import type { AgentEvent, MirrorView, PopulationSummary, ReasonView } from '../agent/index.js';
import { type ErrorView, formatPercent, type InfoHash } from '../shared/index.js';

export const STATUS_PROTOCOL = 1;
/** Decisions kept for the scrolling log (newest last). */
export const DECISION_LOG_LIMIT = 200;

export type AgentRunState = 'starting' | 'running' | 'ticking' | 'paused' | 'error';
export type DaemonLinkState = 'unknown' | 'connected' | 'unreachable';

export interface DecisionEntry {
  atMs: number;
  /** An add or removal; a failed integrity step names its own kind (`digest-check`, `verify`, ...). */
  kind: Extract<AgentEvent, { type: 'action-failed' }>['kind'];
  infoHash: InfoHash;
  name: string;
  sizeBytes: number;
  /** The planner's reason (absent for a failed action: see error). */
  reason: ReasonView | null;
  dryRun: boolean;
  error: ErrorView | null;
}

export interface FeedStatus {
  feedId: string;
  lastFetchAtMs: number | null;
  lastOkAtMs: number | null;
  items: number;
  notModified: boolean;
  /** Failures since the last good fetch. */
  failures: number;
  lastError: ErrorView | null;
  droppedItems: number;
}

export interface PlanSummaryView {
  atMs: number;
  candidates: number;
  desired: number;
  adds: number;
  removes: number;
  capacityBytes: number;
  committedBytes: number;
  population?: PopulationSummary;
}

/** The agent's bandwidth caps as last applied (the `bandwidth` event). */
export type BandwidthView = Omit<Extract<AgentEvent, { type: 'bandwidth' }>, 'type'>;

/** Things the owner should know that are not decisions: a held eviction, a bad policy edit. */
export interface Notice {
  atMs: number;
  kind: string;
  text: string;
  isError: boolean;
}
export const NOTICE_LIMIT = 50;

export interface StatusSnapshot {
  protocol: typeof STATUS_PROTOCOL;
  nodeId: string;
  /** Time of the newest event folded in. */
  asOfMs: number;
  agent: {
    state: AgentRunState;
    tick: number;
    lastTickAtMs: number | null;
    lastTickDurationMs: number | null;
    nextTickAtMs: number | null;
    lastError: ErrorView | null;
    dryRun: boolean;
  };
  daemon: { state: DaemonLinkState; version: string | null; rpcVersion: number | null; error: ErrorView | null };
  plan: PlanSummaryView | null;
  mirror: MirrorView | null;
  decisions: DecisionEntry[];
  feeds: FeedStatus[];
  bandwidth: BandwidthView | null;
  notices: Notice[];
  pins: InfoHash[];
  bans: InfoHash[];
  paused: boolean;
}

export function initialStatus(input: {
  nodeId: string;
  nowMs: number;
  pins: Iterable<InfoHash>;
  bans: Iterable<InfoHash>;
  paused: boolean;
  dryRun?: boolean;
}): StatusSnapshot {
  return {
    protocol: STATUS_PROTOCOL,
    nodeId: input.nodeId,
    asOfMs: input.nowMs,
    agent: {
      state: input.paused ? 'paused' : 'starting',
      tick: 0,
      lastTickAtMs: null,
      lastTickDurationMs: null,
      nextTickAtMs: null,
      lastError: null,
      dryRun: input.dryRun ?? false,
    },
    daemon: { state: 'unknown', version: null, rpcVersion: null, error: null },
    plan: null,
    mirror: null,
    decisions: [],
    feeds: [],
    bandwidth: null,
    notices: [],
    pins: [...input.pins],
    bans: [...input.bans],
    paused: input.paused,
  };
}

export function reduceStatus(s: StatusSnapshot, e: AgentEvent): StatusSnapshot {
  const asOfMs = Math.max(s.asOfMs, e.atMs);
  switch (e.type) {
    case 'tick-started':
      return { ...s, asOfMs, agent: { ...s.agent, state: s.paused ? 'paused' : 'ticking', tick: e.tick, nextTickAtMs: null } };
    case 'progress':
      return s.mirror === null ? { ...s, asOfMs } : { ...s, asOfMs, mirror: withProgress(s.mirror, e) };
    case 'tick-finished':
      return {
        ...s,
        asOfMs,
        agent: {
          ...s.agent,
          state: s.paused ? 'paused' : 'running',
          tick: e.tick,
          lastTickAtMs: e.atMs,
          lastTickDurationMs: e.durationMs,
          lastError: null,
          dryRun: e.dryRun,
        },
        daemon: s.daemon.state === 'unreachable' ? { ...s.daemon, state: 'connected', error: null } : s.daemon,
      };
    case 'tick-failed': {
      const daemonDown = e.error.code.startsWith('DAEMON_');
      return {
        ...s,
        asOfMs,
        agent: {
          ...s.agent,
          state: s.paused ? 'paused' : 'error',
          tick: e.tick,
          lastTickAtMs: e.atMs,
          lastError: e.error,
          nextTickAtMs: e.atMs + e.retryInMs,
        },
        daemon: daemonDown ? { ...s.daemon, state: 'unreachable', error: e.error } : s.daemon,
      };
    }
    case 'tick-scheduled':
      return {
        ...s,
        asOfMs,
        agent: {
          ...s.agent,
          nextTickAtMs: e.nextTickAtMs,
          state: s.agent.state === 'starting' ? (s.paused ? 'paused' : 'running') : s.agent.state,
        },
      };
    case 'daemon-connected':
      return { ...s, asOfMs, daemon: { state: 'connected', version: e.version, rpcVersion: e.rpcVersion, error: null } };
    case 'paused':
      return {
        ...s,
        asOfMs,
        paused: e.paused,
        agent: { ...s.agent, state: e.paused ? 'paused' : s.agent.lastError !== null ? 'error' : 'running' },
      };
    case 'pin':
      return {
        ...s,
        asOfMs,
        pins: toggled(s.pins, e.infoHash, e.pinned),
        mirror: s.mirror === null ? null : withPin(s.mirror, e.infoHash, e.pinned),
      };
    case 'ban':
      return { ...s, asOfMs, bans: toggled(s.bans, e.infoHash, e.banned) };
    case 'planned':
      return {
        ...s,
        asOfMs,
        plan: {
          atMs: e.atMs,
          candidates: e.candidates,
          desired: e.desired,
          adds: e.adds,
          removes: e.removes,
          capacityBytes: e.capacityBytes,
          committedBytes: e.committedBytes,
          ...(e.population === undefined ? {} : { population: e.population }),
        },
      };
    case 'mirror':
      return { ...s, asOfMs, mirror: e.view };
    case 'action':
      return {
        ...s,
        asOfMs,
        decisions: appendCapped(s.decisions, {
          atMs: e.atMs,
          kind: e.kind,
          infoHash: e.infoHash,
          name: e.name,
          sizeBytes: e.sizeBytes,
          reason: e.reason,
          dryRun: e.dryRun,
          error: null,
        }),
      };
    case 'action-failed':
      return {
        ...s,
        asOfMs,
        decisions: appendCapped(s.decisions, {
          atMs: e.atMs,
          kind: e.kind,
          infoHash: e.infoHash,
          name: e.name,
          sizeBytes: 0,
          reason: null,
          dryRun: false,
          error: e.error,
        }),
      };
    case 'feed-fetched':
      return {
        ...s,
        asOfMs,
        feeds: withFeed(s.feeds, e.feedId, (f) => ({
          ...f,
          lastFetchAtMs: e.atMs,
          lastOkAtMs: e.atMs,
          items: e.items,
          notModified: e.notModified,
          failures: 0,
          lastError: null,
        })),
      };
    case 'feed-failed':
      return {
        ...s,
        asOfMs,
        feeds: withFeed(s.feeds, e.feedId, (f) => ({
          ...f,
          lastFetchAtMs: e.atMs,
          items: e.keptItems,
          failures: f.failures + 1,
          lastError: e.error,
        })),
      };
    case 'bandwidth': {
      const { type: _type, ...view } = e;
      return { ...s, asOfMs, bandwidth: view };
    }
    case 'policy-reloaded':
      return notice(s, asOfMs, {
        atMs: e.atMs,
        kind: e.type,
        text: `policy reloaded: ${e.changed.join(', ') || 'no changes'}`,
        isError: false,
      });
    case 'policy-reload-failed':
      return notice(s, asOfMs, {
        atMs: e.atMs,
        kind: e.type,
        text: `policy edit refused, keeping the last good policy: ${e.error.message}`,
        isError: true,
      });
    case 'eviction-held':
      return notice(s, asOfMs, {
        atMs: e.atMs,
        kind: e.type,
        text:
          `the plan would remove ${e.removes} torrents, ${formatPercent(e.fraction)} of the mirror ` +
          `(limit ${formatPercent(e.maxEvictFraction)}): held until confirmed (y on the dashboard)`,
        isError: true,
      });
    case 'adds-deferred':
      return notice(s, asOfMs, { atMs: e.atMs, kind: e.type, text: `${e.count} adds deferred [${e.code}]`, isError: false });
    case 'limits-warning':
    case 'signals-warning':
    case 'state-warning':
      return notice(s, asOfMs, { atMs: e.atMs, kind: e.type, text: e.message, isError: true });
    case 'feed-item-dropped':
      return { ...s, asOfMs, feeds: withFeed(s.feeds, e.feedId, (f) => ({ ...f, droppedItems: f.droppedItems + 1 })) };
    default:
      return s.asOfMs === asOfMs ? s : { ...s, asOfMs };
  }
}

/** The owned rows with the daemon's live numbers; the plan's fields (score, reason) stay the tick's. */
function withProgress(mirror: MirrorView, e: Extract<AgentEvent, { type: 'progress' }>): MirrorView {
  const byHash = new Map(e.torrents.map((t) => [t.infoHash, t]));
  const owned = mirror.owned.map((o) => {
    const t = byHash.get(o.infoHash);
    if (t === undefined) return o;
    return {
      ...o,
      percentDone: t.percentDone,
      status: t.status,
      uploadRateBytesPerSec: t.rateUploadBytesPerSec,
      downloadRateBytesPerSec: t.rateDownloadBytesPerSec,
      uploadedEverBytes: t.uploadedEverBytes,
      ratio: o.sizeBytes > 0 ? t.uploadedEverBytes / o.sizeBytes : o.ratio,
    };
  });
  return { ...mirror, owned, uploadRateBytesPerSec: e.uploadRateBytesPerSec, downloadRateBytesPerSec: e.downloadRateBytesPerSec };
}

function toggled(list: readonly InfoHash[], hash: InfoHash, present: boolean): InfoHash[] {
  const rest = list.filter((h) => h !== hash);
  return present ? [...rest, hash] : rest;
}

function withPin(mirror: MirrorView, hash: InfoHash, pinned: boolean): MirrorView {
  if (!mirror.owned.some((o) => o.infoHash === hash)) return mirror;
  return { ...mirror, owned: mirror.owned.map((o) => (o.infoHash === hash ? { ...o, pinned } : o)) };
}

function appendCapped(list: readonly DecisionEntry[], entry: DecisionEntry): DecisionEntry[] {
  const next = list.length >= DECISION_LOG_LIMIT ? list.slice(list.length - DECISION_LOG_LIMIT + 1) : list.slice();
  next.push(entry);
  return next;
}

function withFeed(feeds: readonly FeedStatus[], feedId: string, update: (f: FeedStatus) => FeedStatus): FeedStatus[] {
  const existing = feeds.find((f) => f.feedId === feedId) ?? {
    feedId,
    lastFetchAtMs: null,
    lastOkAtMs: null,
    items: 0,
    notModified: false,
    failures: 0,
    lastError: null,
    droppedItems: 0,
  };
  const next = feeds.filter((f) => f.feedId !== feedId);
  next.push(update(existing));
  return next.sort((a, b) => (a.feedId < b.feedId ? -1 : a.feedId > b.feedId ? 1 : 0));
}

function notice(s: StatusSnapshot, asOfMs: number, n: Notice): StatusSnapshot {
  const notices = s.notices.length >= NOTICE_LIMIT ? s.notices.slice(s.notices.length - NOTICE_LIMIT + 1) : s.notices.slice();
  notices.push(n);
  return { ...s, asOfMs, notices };
}
