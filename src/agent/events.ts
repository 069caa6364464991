/**
 * Everything the agent does is an event: the logs, `status`, and the dashboard are subscribers.
 * Events are plain JSON-safe data (they cross the control socket) and never carry secrets.
 */
import type { ErrorView, InfoHash } from '../shared/index.js';
import type { IntegrityView } from '../integrity/index.js';
import type { ScoreFactors } from '../plan/index.js';
import type { DaemonProtocol } from '../daemon/index.js';

export interface ReasonView {
  code: string;
  text: string;
}

/** What the node estimates of the other smartnodes (agent/population.ts), for status and the dashboard. */
export interface PopulationSummary {
  competitors: number;
  othersOnTheirWay: number;
  mineOnTheirWay: number;
  slowStartAdds: number | null;
  /** Decisions held back because nothing can be downloaded now, or removed as stalled. */
  noSource: number;
  stalled: number;
  /** Held copies released this tick: their swarms have over twice the target in copies (SURPLUS). */
  releasing?: number;
}

/** Integrity steps that can fail: a content check that could not run is `digest-check`. */
export type IntegrityFailureKind = 'digest-check' | 'stop' | 'start' | 'verify' | 'refetch' | 'ban';

/** One owned torrent's live numbers, read from the daemon between ticks (no planning). */
export interface ProgressSample {
  infoHash: InfoHash;
  percentDone: number;
  status: OwnedTorrentView['status'];
  rateUploadBytesPerSec: number;
  rateDownloadBytesPerSec: number;
  uploadedEverBytes: number;
}

export type AgentEvent =
  | { type: 'tick-started'; atMs: number; tick: number }
  /** Live progress between ticks, polled while someone watches (control/progress.ts). */
  | {
      type: 'progress';
      atMs: number;
      /** The owned torrents. */
      torrents: ProgressSample[];
      /** Over every torrent in the daemon, as the mirror view's rates are. */
      uploadRateBytesPerSec: number;
      downloadRateBytesPerSec: number;
    }
  | {
      type: 'tick-finished';
      atMs: number;
      tick: number;
      durationMs: number;
      adds: number;
      removes: number;
      failed: number;
      dryRun: boolean;
    }
  | { type: 'tick-failed'; atMs: number; tick: number; error: ErrorView; retryInMs: number }
  | { type: 'feed-fetched'; atMs: number; feedId: string; items: number; notModified: boolean; warnings: number }
  | {
      type: 'feed-failed';
      atMs: number;
      feedId: string;
      error: ErrorView;
      keptItems: number /** When the feed's host is tried again (backoff). */;
      retryAtMs?: number;
    }
  | { type: 'feed-item-dropped'; atMs: number; feedId: string; message: string }
  | { type: 'scrape-failed'; atMs: number; tracker: string; error: ErrorView; httpStatus?: number }
  /** One round of scrapes: the hosts of the trackers asked (never a path: it may hold a passkey). */
  | { type: 'scrape-requested'; atMs: number; trackerHosts: string[] }
  | { type: 'probe-failed'; atMs: number; tracker: string; error: ErrorView }
  | { type: 'signals-warning'; atMs: number; message: string }
  | { type: 'torrent-file-failed'; atMs: number; infoHash: InfoHash; name: string; error: ErrorView }
  | {
      type: 'planned';
      atMs: number;
      candidates: number;
      desired: number;
      adds: number;
      removes: number;
      capacityBytes: number;
      committedBytes: number;
      /** Downloads held back for having no source (NO_SOURCE) and stalled ones (STALLED), with herd avoidance or not. */
      noSource: number;
      stalled: number;
      /** The planner's NO_SOURCE text (the same for every such torrent), when one was held back. */
      noSourceReason: string | null;
      population?: PopulationSummary;
    }
  | {
      type: 'action';
      atMs: number;
      kind: 'add' | 'remove';
      infoHash: InfoHash;
      name: string;
      sizeBytes: number;
      reason: ReasonView;
      dryRun: boolean;
    }
  | {
      type: 'action-failed';
      atMs: number;
      kind: 'add' | 'remove' | IntegrityFailureKind;
      infoHash: InfoHash;
      name: string;
      error: ErrorView;
    }
  | {
      type: 'ownership';
      atMs: number;
      op: 'confirm' | 'forget' | 'adopt' | 'finish-remove' | 'relabel' | 'relocate' | 'move' | 'restore';
      infoHash: InfoHash;
      detail: string;
    }
  /** A download the daemon stopped on a full disk, started again once there is room. */
  | { type: 'disk-full-restart'; atMs: number; infoHash: InfoHash; name: string; detail: string }
  | {
      type: 'daemon-connected';
      atMs: number;
      version: string;
      rpcVersion: number;
      rpcVersionSemver?: string | null;
      protocol?: DaemonProtocol;
    }
  | { type: 'paused'; atMs: number; paused: boolean }
  | { type: 'tick-scheduled'; atMs: number; nextTickAtMs: number }
  | { type: 'pin'; atMs: number; infoHash: InfoHash; pinned: boolean }
  | { type: 'ban'; atMs: number; infoHash: InfoHash; banned: boolean }
  /** After each tick: what the mirror holds and the best candidates, for `status` and the dashboard. */
  | { type: 'mirror'; atMs: number; view: MirrorView }
  /** Donated limits: caps in force, what the limits held back, policy reloads. */
  | {
      type: 'bandwidth';
      atMs: number;
      scope: 'owned' | 'session';
      owned: number;
      changed: number;
      uploadBytesPerSec: number | null;
      downloadBytesPerSec: number | null;
      uploadState: 'open' | 'throttled' | 'stopped';
      downloadState: 'open' | 'throttled' | 'stopped';
      window: number | null;
      periodUploadedBytes: number;
      periodDownloadedBytes: number;
    }
  | {
      type: 'disk-reserve';
      atMs: number;
      diskFreeBytes: number;
      minFreeBytes: number;
      evictions: number;
      pendingWriteBytes: number;
      detail: string;
    }
  | {
      type: 'eviction-held';
      atMs: number;
      removes: number;
      removeBytes: number;
      ownedBytes: number;
      fraction: number;
      maxEvictFraction: number;
    }
  | { type: 'adds-deferred'; atMs: number; code: string; count: number; bytes: number }
  | { type: 'policy-reloaded'; atMs: number; path: string; changed: string[] }
  | { type: 'policy-reload-failed'; atMs: number; path: string; error: ErrorView }
  /** An edit read while the file was still changing: not taken; read again once it settles. */
  | { type: 'policy-reload-deferred'; atMs: number; path: string; message: string }
  | { type: 'limits-warning'; atMs: number; message: string }
  /** Agent state or secrets found wanting at start (state restored from backup, lost, a readable password file). */
  | { type: 'state-warning'; atMs: number; message: string }
  /** A finding about the data of an owned torrent (verify, repair, vanished, content digest). */
  | { type: 'integrity'; atMs: number; infoHash: InfoHash; name: string; code: string; text: string; expected?: string; actual?: string };

/** One owned torrent as `status` and the dashboard show it (from the daemon and the last plan). */
export interface OwnedTorrentView {
  infoHash: InfoHash;
  name: string;
  /** The feed it is charged to; null when no feed lists it. */
  feedId: string | null;
  sizeBytes: number;
  /** 0..1 */
  percentDone: number;
  status: string;
  seeders: number | null;
  leechers: number | null;
  /** Seeders besides this node (the count the planner scored, our own copy taken out); absent: unknown. */
  otherSeeders?: number | null;
  /** Where the counts came from ('daemon', 'scrape', 'feed') and when (ms since epoch). */
  countsSource: string | null;
  countsObservedAtMs: number | null;
  /** The largest country among its peers (from the geography factor), when observed. */
  countries: string[];
  uploadRateBytesPerSec: number;
  downloadRateBytesPerSec: number;
  uploadedEverBytes: number;
  /** Bytes the daemon downloaded for it, ever (absent: not reported). */
  downloadedEverBytes?: number;
  /** uploaded / size; null for an empty torrent. */
  ratio: number | null;
  score: number;
  need: number;
  scarcity: number;
  demand: number;
  pinned: boolean;
  /** The score's factors (geography, slow downloads, herd), when the planner scored signals. */
  factors: ScoreFactors | null;
  /** The planner's decision for it this tick ('keep' or 'remove') and its reason. */
  action: string;
  reason: ReasonView;
  /** When its data was last verified and what the last check found. */
  integrity?: IntegrityView | null;
}

/** A torrent the plan considered and does not hold: the planner's score and reason. */
export interface CandidateView {
  infoHash: InfoHash;
  name: string;
  feedId: string | null;
  sizeBytes: number | null;
  seeders: number | null;
  leechers: number | null;
  countsSource: string | null;
  countsObservedAtMs: number | null;
  score: number;
  need: number;
  scarcity: number;
  demand: number;
  factors: ScoreFactors | null;
  /** 'add' (chosen this tick) or 'skip'. */
  action: string;
  reason: ReasonView;
}

export interface MirrorView {
  nowMs: number;
  owned: OwnedTorrentView[];
  /** Best first; at most a bounded number (see candidateTotal for all). */
  candidates: CandidateView[];
  candidateTotal: number;
  capacityBytes: number;
  committedBytes: number;
  maxBytes: number;
  limitedBy: string;
  diskFreeBytes: number | null;
  minFreeBytes: number;
  /** Sum over every torrent the daemon holds (bytes/s). */
  uploadRateBytesPerSec: number;
  downloadRateBytesPerSec: number;
  feeds: { feedId: string; usedBytes: number; usedTorrents: number; maxBytes: number | null; maxTorrents: number | null }[];
  /** Each feed's collection as this node sees its swarms (absent when the target is not known). */
  health?: FeedHealthView[];
  /** The policy's seeder target (absent when not known): the dashboard's copies bars. */
  targetSeeders?: number;
}

/**
 * How well one feed's torrents are seeded, from the counts this node has (its own copy
 * included): every torrent the feed lists, held or not.
 */
export interface FeedHealthView {
  feedId: string;
  targetSeeders: number;
  torrents: number;
  /** Sum of the known sizes. */
  bytes: number;
  /** Torrents (and their bytes) with at least targetSeeders seeders. */
  atTargetTorrents: number;
  atTargetBytes: number;
  /** Torrents whose swarm has no seeder at all. */
  zeroSeederTorrents: number;
  /** Torrents with no count yet (neither at target nor at zero). */
  unknownTorrents: number;
}

export type AgentEventListener = (event: AgentEvent) => void;

export interface EventBus {
  emit(event: AgentEvent): void;
  subscribe(listener: AgentEventListener): () => void;
}

/** Events emitted before anyone listens that are kept for the first subscriber (start-up warnings). */
const EARLY_EVENTS_KEPT = 100;

/**
 * Events emitted while nobody listens yet (warnings while the runtime is built, before the
 * logger subscribes) are kept, at most EARLY_EVENTS_KEPT, and handed to the first subscriber.
 */
export function createEventBus(): EventBus {
  const listeners = new Set<AgentEventListener>();
  let early: AgentEvent[] | null = [];
  const deliver = (listener: AgentEventListener, event: AgentEvent): void => {
    try {
      listener(event);
    } catch {
      // A broken subscriber (a closed socket, a UI bug) must never stop the agent.
    }
  };
  return {
    emit(event) {
      if (early !== null && listeners.size === 0) {
        if (early.length < EARLY_EVENTS_KEPT) early.push(event);
        return;
      }
      for (const listener of listeners) deliver(listener, event);
    },
    subscribe(listener) {
      listeners.add(listener);
      const kept = early ?? [];
      early = null;
      for (const event of kept) deliver(listener, event);
      return () => listeners.delete(listener);
    },
  };
}
