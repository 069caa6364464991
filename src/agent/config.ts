/**
 * What a tick is given: the configuration the policy maps to (AgentConfig) and the injected
 * dependencies it does its IO through (AgentDeps). Neither is written to by a tick: what one
 * tick hands the next is the CarriedState value it returns (tick-types.ts).
 */
import type { DaemonPort } from '../daemon/index.js';
import type { PlanPolicy } from '../plan/index.js';
import type { DonatedConfig } from './bandwidth-plan.js';
import type { DonatedLimits } from './bandwidth.js';
import type { DigestJobs } from './digest-jobs.js';
import type { FeedFilter } from './feed-filter.js';
import type { EventBus } from './events.js';
import type { SignalSource } from './observe-signals.js';
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
  /** Bandwidth caps, transfer caps, daily budget, eviction confirmation, policy pins. */
  donated?: DonatedConfig;
  /** Scheduled re-verification and its read budget; content digests are checked whenever a feed states them. */
  integrity?: IntegrityConfig;
  /** The volunteer's per-feed filters, by feed id (a feed without one accepts everything). */
  feedFilters?: ReadonlyMap<string, FeedFilter>;
}

export interface AgentDeps {
  daemon: DaemonPort;
  state: AgentStateStore;
  bus: EventBus;
  feeds: FeedSource;
  counts: CountSource;
  torrents: TorrentSource;
  clock: () => number;
  /** Removes an empty per-torrent directory after its data was deleted (best effort). */
  removeEmptyDir?: (path: string) => Promise<void>;
  /** Transfer accounting and the eviction guard; without it only the disk reserve applies. */
  donated?: DonatedLimits;
  /** Geography, slow downloads; without it the plan scores counts alone. */
  signals?: SignalSource;
  /** Content checks hashed in the background; without it no content digest is checked. */
  digestJobs?: DigestJobs;
}

/** Scheduled re-verification of owned data and the read rate it may use. */
export interface IntegrityConfig {
  /** 0 = scheduled re-verification off. */
  reverifyEveryMs: number;
  readRateBytesPerSec: number | null;
}
