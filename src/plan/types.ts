import type { InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/types.js';

/**
 * One torrent some feed offers. A torrent listed by several feeds is ONE candidate whose
 * `feedIds` names every feed (the planner also merges duplicates it is given).
 */
export interface Candidate {
  infoHash: InfoHash;
  name: string;
  /** Total payload bytes; null (or not a positive finite number) when the feed did not say. */
  sizeBytes: number | null;
  /** Every feed that lists it. */
  feedIds: string[];
  /** The freshest swarm counts known, or null when nothing has counted this swarm yet. */
  counts: SwarmCounts | null;
}

/** Everything the daemon holds, ours or not. */
export interface HeldTorrent {
  infoHash: InfoHash;
  name: string;
  /** Transmission `sizeWhenDone`: the bytes it occupies once complete. */
  sizeBytes: number;
  /** Transmission `leftUntilDone`: bytes not yet written (free space does not see them). */
  leftUntilDoneBytes: number;
  /** Carries our ownership label. Torrents that are not ours are never acted on. */
  isOwned: boolean;
  /** When it was added (ms since epoch): its held time is now - addedAtMs. */
  addedAtMs: number;
  /** Pinned torrents are never removed by the planner. */
  pinned?: boolean;
  /** Banned by the owner: an owned one is removed at once (before pins and the minimum seed time). */
  banned?: boolean;
  /** The feeds it was added for (from its labels); used when no feed lists it any more. */
  feedIds: string[];
  /** Counts the daemon itself sees (trackerStats); used only when no candidate carries counts. */
  counts?: SwarmCounts | null;
}

export interface PlanFeedQuota {
  id: string;
  /** Bytes this feed may occupy in total; null = no per-feed byte limit. */
  maxBytes: number | null;
  /** Torrents this feed may have held; null = no per-feed count limit. */
  maxTorrents: number | null;
}

export interface ScoringPolicy {
  /** Seeders at which a swarm counts as healthy: its need is 0 there and above. */
  targetSeeders: number;
  /** How strongly waiting leechers multiply need (0 = ignore leechers). */
  leecherWeight: number;
  /** A candidate must beat an incumbent's score by this fraction to replace it (0.2 = 20%). */
  replaceMargin: number;
  /** An incumbent is not replaced by a better candidate before it has been held this long. */
  minSeedTimeMs: number;
}

/**
 * What the planner needs from the user's policy; the agent maps the policy into it, so the
 * planner does not depend on the policy domain.
 */
export interface PlanPolicy {
  /** The total bytes smartnode may occupy (owned torrents, committed size). */
  maxBytes: number;
  /** Bytes to leave free on the download filesystem. */
  minFreeBytes: number;
  feeds: PlanFeedQuota[];
  scoring: ScoringPolicy;
  /** At most this many adds per tick; the rest wait (ADD_LIMIT) and are reconsidered next tick. */
  maxAddsPerTick: number;
}

export interface PlanInput {
  candidates: readonly Candidate[];
  held: readonly HeldTorrent[];
  policy: PlanPolicy;
  nowMs: number;
  /** Daemon `free-space` of the download directory; null when unknown (then maxBytes alone). */
  diskFreeBytes: number | null;
}

/** Reasons a torrent is held (add/keep). */
export type ChosenReasonCode = 'NEEDED' | 'KEPT' | 'PINNED' | 'MIN_SEED_TIME';

/** Reasons a torrent is not held (skip/remove). */
export type NotChosenReasonCode =
  | 'WELL_SEEDED'
  | 'OVER_FEED_QUOTA'
  | 'NO_DISK_BUDGET'
  | 'LARGER_THAN_BUDGET'
  | 'OUTSCORED'
  | 'SIZE_UNKNOWN'
  | 'HELD_NOT_OWNED'
  | 'ADD_LIMIT'
  | 'NO_LONGER_IN_FEED'
  | 'REPLACED'
  | 'BANNED';

export type ReasonCode = ChosenReasonCode | NotChosenReasonCode;

export interface Reason {
  code: ReasonCode;
  /** One short human sentence with the numbers. */
  text: string;
  /** The numbers and names behind `text`, for JSON output and tests. */
  details: Record<string, number | string>;
}

export type DecisionAction = 'add' | 'keep' | 'remove' | 'skip';

/** How a score was reached (see score.ts for the formula). */
export interface ScoreComponents {
  /** Seeders and leechers used, after excluding ourselves; null when counts are unknown. */
  seeders: number | null;
  leechers: number | null;
  /** Which of our own peers was excluded from the counts, if any. */
  selfExcluded: 'seeder' | 'leecher' | null;
  /** 0..1: how far below the seeder target the swarm is (hyperbolic, steep at 0-1 seeders). */
  scarcity: number;
  /** >= 1: the multiplier for waiting leechers. need = scarcity * demand. */
  demand: number;
}

export interface ScoreResult {
  /** Need per GB: what the knapsack ranks by. 0 when the size is unknown. */
  score: number;
  /** scarcity * demand: how much the swarm needs one more complete copy. */
  need: number;
  /** Size in GB (1e9 bytes) used as the divisor, floored at MIN_SIZE_GB; null if unknown. */
  sizeGB: number | null;
  components: ScoreComponents;
}

export interface Decision {
  infoHash: InfoHash;
  name: string;
  action: DecisionAction;
  /** Need per GB (see score.ts); 0 when the size is unknown. */
  score: number;
  need: number;
  components: ScoreComponents;
  reason: Reason;
  sizeBytes: number | null;
  /** The feed it is charged to (or would be); null when it has none. */
  feedId: string | null;
  /** The counts the score used (before excluding ourselves). */
  counts: SwarmCounts | null;
  /** Whether the daemon holds it now (owned or not). */
  isHeld: boolean;
  /** Whether the daemon holds it with our label. */
  isOwned: boolean;
}

export interface PlanCapacity {
  /** The budget the desired set must fit in. */
  capacityBytes: number;
  limitedBy: 'maxBytes' | 'disk';
  maxBytes: number;
  diskFreeBytes: number | null;
  /** sizeWhenDone of every owned torrent held now. */
  heldCommittedBytes: number;
  /** leftUntilDone of every torrent held now (ours or not): free space does not see it yet. */
  pendingWriteBytes: number;
  minFreeBytes: number;
}

export interface FeedUsage {
  feedId: string;
  usedBytes: number;
  usedTorrents: number;
  maxBytes: number | null;
  maxTorrents: number | null;
}

export interface Plan {
  nowMs: number;
  /** Owned torrents to hold after this tick, sorted by info-hash. */
  desired: InfoHash[];
  /** One per candidate and per owned held torrent, best score first (ties by info-hash). */
  decisions: Decision[];
  capacityBytes: number;
  /** Total size of `desired`. */
  committedBytes: number;
  capacity: PlanCapacity;
  /** Usage per policy feed once `desired` is held. */
  feeds: FeedUsage[];
}
