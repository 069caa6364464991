/**
 * The three values of a tick. `observe` turns the world into an Observation (IO, no daemon
 * writes); `planTick` turns carried state, observation and config into a TickPlan and the next
 * carried state (pure); `apply` carries the TickPlan out (IO only, fixed order, idempotent).
 */
import type { DaemonTorrent } from '../daemon/index.js';
import type { ContentDigests, DigestAlgorithm, DigestSet, FeedItem } from '../feeds/index.js';
import type { IntegrityRecord, IntegrityStep } from '../integrity/index.js';
import type { LocalTime } from '../plan/index.js';
import type { Action, Candidate, Plan, SwarmSignals } from '../plan/index.js';
import type { DeferredAdd, PendingEviction, ReserveBreach } from '../plan/index.js';
import type { ErrorView, InfoHash } from '../shared/index.js';
import type { BandwidthPlan } from './bandwidth-plan.js';
import type { MergedItem } from './candidates.js';
import type { DecideMemory, PopulationView } from './population.js';
import type { OwnershipOp, OwnershipView } from './ownership.js';
import type { OwnedRecord } from './state.js';
import type { TransferUsage } from './transfer.js';

/** What the observe half remembers between ticks: slow-changing reads with their age. */
export interface ObserveMemo {
  /** The daemon's version once a tick has talked to it; null until then, or after it went away. */
  daemonVersion: string | null;
  trackerStatsAtMs: number;
  trackerStats: ReadonlyMap<InfoHash, DaemonTorrent['trackerStats']>;
}

/** Everything a tick carries over to the next: the loop passes it back in. */
export interface CarriedState {
  observe: ObserveMemo;
  decide: DecideMemory;
}

export interface ObservedSignals {
  signals: ReadonlyMap<InfoHash, SwarmSignals>;
  selfCountry: string | null;
}

/** Everything one tick saw. Plain data: a simulator builds it without any IO. */
export interface Observation {
  nowMs: number;
  /** This node's persistent id (agent state): the seed of its herd draws. */
  nodeId: string;
  /** The daemon's torrents, re-read this tick (ours and not). */
  torrents: readonly DaemonTorrent[];
  /** The intent log as read this tick. */
  records: readonly OwnedRecord[];
  /** Ownership derived from records and torrents, with the repairs it needs. */
  ownership: OwnershipView;
  /** Pinned (dashboard and policy) and banned info-hashes. */
  pins: ReadonlySet<InfoHash>;
  bans: ReadonlySet<InfoHash>;
  /** Feed items by info-hash, banned ones and refused .torrent files left out. */
  merged: ReadonlyMap<InfoHash, MergedItem>;
  /** One per merged item, with the freshest counts known. */
  candidates: readonly Candidate[];
  /** Need signals beyond the counts; null = plan on counts alone. */
  signals: ObservedSignals | null;
  /** Free bytes of the download filesystem; null when the daemon could not say. */
  diskFreeBytes: number | null;
  /** Held torrents whose data lives on another filesystem (their unwritten bytes do not eat the reserve). */
  offDownloadFs: ReadonlySet<InfoHash>;
  /** Bytes incomplete torrents will still take from free space (allocation.ts); absent: all they lack. */
  unallocated?: ReadonlyMap<InfoHash, number>;
  /** What the integrity checks need: records, files on disk, content checks under way; null: not watched (a model of a swarm). */
  integrity: IntegrityObservation | null;
  /** Donated limits' inputs; null when the agent runs without them. */
  donated: { usage: TransferUsage; evictionConfirmed: boolean; reserveInForce?: number | null; localTime: LocalTime } | null;
  /** The observe memo for the next tick. */
  memo: ObserveMemo;
}

export interface IntegrityObservation {
  /** The integrity records as read this tick. */
  records: ReadonlyMap<InfoHash, IntegrityRecord>;
  /** For owned, complete torrents once seen complete: are their files on disk at full length? */
  presence: ReadonlyMap<InfoHash, 'present' | 'missing'>;
  /** File lists read from the .torrent of torrents completing now (null: too many to watch). */
  fileLists: ReadonlyMap<InfoHash, IntegrityRecord['files']>;
  /** Whether this agent can hash content in the background; without, feed digests are not checked. */
  checksDigests: boolean;
  /** Content checks queued, running or finished and not yet settled. */
  digestJobs: readonly DigestJobView[];
  /** The bandwidth schedule marks now as the owner's busy hours. */
  busy: boolean;
}

/** What a background content check needs: where the data is and what it must hash to. */
export interface DigestJobRequest {
  infoHash: InfoHash;
  name: string;
  /** The feed item whose .torrent lists the files, and the feed whose cookie fetches it. */
  source: { item: FeedItem; feedId: string };
  /** Where the daemon keeps the torrent's data. */
  downloadDir: string;
  expected: ContentDigests;
  algorithms: readonly DigestAlgorithm[];
  readRateBytesPerSec: number | null;
}

export type DigestJobView =
  | { jobId: number; infoHash: InfoHash; state: 'queued' | 'running' }
  | {
      jobId: number;
      infoHash: InfoHash;
      state: 'done';
      expected: ContentDigests;
      content: DigestSet;
      /** Per file, keyed by the path inside the torrent. */
      files: ReadonlyMap<string, DigestSet>;
      fileList: IntegrityRecord['files'];
    }
  | { jobId: number; infoHash: InfoHash; state: 'failed'; error: ErrorView };

/** One integrity step as apply carries it out, with what it needs. */
export type IntegrityApplyStep =
  | { kind: 'report'; infoHash: InfoHash; name: string; step: Extract<IntegrityStep, { kind: 'report' }> }
  /** A content check that could not run, with its error (reported as a failed `digest-check`). */
  | { kind: 'check-failed'; infoHash: InfoHash; name: string; error: ErrorView }
  /** Stopped until its content check passes; started again once it has. */
  | { kind: 'stop' | 'start'; infoHash: InfoHash }
  | { kind: 'verify'; infoHash: InfoHash }
  | { kind: 'digest'; request: DigestJobRequest }
  /** Removed and added again into `downloadDir` from `source` (null: no feed lists it any more). */
  | {
      kind: 'refetch';
      infoHash: InfoHash;
      name: string;
      source: { item: FeedItem; feedId: string } | null;
      currentDir: string;
      deleteData: boolean;
    }
  | { kind: 'ban'; infoHash: InfoHash; dataDir: string }
  /** A finished content check, taken into the records: the job runner may forget it. */
  | { kind: 'settle'; infoHash: InfoHash; jobId: number };

export interface IntegrityPlan {
  /** Written to agent state first, with `forget` dropped. */
  records: ReadonlyMap<InfoHash, IntegrityRecord>;
  forget: readonly InfoHash[];
  /** In apply's order: reports, stops, verifies, re-fetches, bans, starts, content checks, settles. */
  steps: readonly IntegrityApplyStep[];
}

export interface AddStep {
  action: Extract<Action, { kind: 'add' }>;
  /** The feed item whose .torrent is added, and the feed whose cookie fetches it. */
  source: { item: FeedItem; feedId: string };
  /** The feeds it is charged to in agent state. */
  feedIds: string[];
  /** `<downloadDir>/<infohash>`. */
  downloadDir: string;
}

export interface RemoveStep {
  action: Extract<Action, { kind: 'remove' }>;
  /** Where the daemon keeps its data once this tick's repairs are made. */
  dataDir: string | null;
}

export interface TickPlan {
  nowMs: number;
  plan: Plan;
  /** Every add and removal, in the plan's order. */
  actions: Action[];
  /** Ownership repairs, applied first (each op says why). */
  repairs: readonly OwnershipOp[];
  removes: RemoveStep[];
  adds: AddStep[];
  bandwidth: BandwidthPlan | null;
  /** Where each held torrent's data is once the repairs are made. */
  dataDirs: ReadonlyMap<InfoHash, string>;
  reserveBreached: boolean;
  reserveBreach: ReserveBreach | null;
  pendingEviction: PendingEviction | null;
  deferred: DeferredAdd[];
  /** What this node estimates of the other smartnodes (null: adaptive herd avoidance off). */
  population: PopulationView | null;
  /** Integrity decisions over the owned torrents, applied after the mirror's actions. */
  integrity: IntegrityPlan;
}

export interface Applied {
  appliedAdds: number;
  appliedRemoves: number;
  failed: number;
  /** Info-hashes actually added this tick (what the population memory learns from). */
  added: InfoHash[];
}
