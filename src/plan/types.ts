import type { InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/index.js';

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
  /** Web seeds (BEP 19 url-list, BEP 17 httpseeds) the .torrent names, when known: sources besides seeders. */
  webSeeds?: number;
  /** Why the volunteer's feed filters turn it away (then it is skipped with this as the reason). */
  filteredOut?: string;
  /**
   * Need signals beyond the counts (geography, download speed). The agent attaches
   * them with `withSignals` (score.ts), which is what the score reads.
   */
  signals?: SwarmSignals;
}

/**
 * Where the peers of a swarm sit. Built by the agent from addresses it resolved (the daemon's
 * peer list for torrents it holds, a tracker announce probe for candidates); only country
 * codes reach the planner.
 */
export interface GeoObservation {
  /**
   * Countries (ISO 3166 alpha-2) with at least one peer, and the peers in each: parallel
   * arrays (compact for 100,000 candidates). Private, loopback and unresolved are not here.
   */
  countries: readonly string[];
  peers: readonly number[];
  /** Peers whose address resolved to no country. */
  unknownPeers: number;
  /**
   * 'seeders': only complete peers were counted (the daemon knows each peer's progress);
   * 'peers': seeders and leechers together (an announce reply does not tell them apart).
   */
  peersAre: 'seeders' | 'peers';
  source: 'daemon' | 'announce';
  observedAtMs: number;
}

/** How fast the swarm's downloaders get the data. */
export type SlowObservation =
  | {
      /** From the daemon's peers: progress deltas between two polls, times the size. */
      kind: 'peers';
      /** Mean download rate of the leechers seen in both polls. */
      meanLeecherRateBytesPerSec: number;
      leechers: number;
      /** Our own upload rate to them, per leecher. */
      ourUploadPerLeecherBytesPerSec: number;
      /** Time between the two polls. */
      spanMs: number;
      observedAtMs: number;
    }
  | {
      /** Little's law over scrape history: W = L / lambda, rate = size / W. */
      kind: 'little';
      /** Mean leechers over the window (L). */
      leechers: number;
      /** Completed downloads per hour (lambda), from successive `downloaded` counts. */
      completionsPerHour: number;
      /** Mean time to download, W = L / lambda (Infinity when nothing completed). */
      meanDownloadMs: number;
      meanLeecherRateBytesPerSec: number;
      /** Samples and time the estimate spans (after any reset). */
      samples: number;
      spanMs: number;
      observedAtMs: number;
    };

/** What the score reads besides the counts, for one swarm. */
export interface SwarmSignals {
  infoHash: InfoHash;
  geo: GeoObservation | null;
  slow: SlowObservation | null;
  /** We hold it: herd avoidance never applies (we already are one of its seeders). */
  held?: boolean;
  /** What this node learnt of the other smartnodes for this swarm (agent/population.ts). */
  population?: PopulationObservation;
  /** Web seeds its .torrent names (BEP 19 url-list, BEP 17 httpseeds): sources besides the seeders. */
  webSeeds?: number;
}

export interface PopulationObservation {
  /** Leechers above the swarm's usual level: copies already on their way, taken off the deficit. */
  onTheirWay: number;
  /**
   * Slow start (an empty mirror, a newly seen feed): 'designated' = one of the few this node
   * takes now, drawn by deficit; 'waiting' = left for later ticks; null = no slow start.
   */
  slowStart: 'designated' | 'waiting' | null;
  /**
   * The swarm's take gate: the chance per open copy (deficit less copies on their way) that a
   * node takes it, from what this swarm alone showed. It starts small, doubles each hour the
   * deficit stays open with no new copy arriving, and halves when copies arrive; so the takers
   * of one swarm follow the evidence of that swarm, whatever else moves elsewhere. Absent: the
   * swarm was never counted by this node.
   */
  gate?: number;
}

/** Everything the daemon holds, ours or not. */
export interface HeldTorrent {
  infoHash: InfoHash;
  name: string;
  /** Transmission `sizeWhenDone`: the bytes it occupies once complete. */
  sizeBytes: number;
  /** Transmission `leftUntilDone`: bytes not yet written. */
  leftUntilDoneBytes: number;
  /**
   * Of those, the bytes the filesystem has not reserved yet: what free space will still lose
   * (preallocation takes a whole file at once, so free space already excludes the rest).
   * Unknown (undefined) counts as leftUntilDoneBytes.
   */
  unallocatedBytes?: number;
  /**
   * Whether its data lives on the download directory's filesystem (same device). Only such
   * torrents' unwritten bytes are charged against that filesystem's free space; unknown
   * (undefined) counts as on it.
   */
  onDownloadFilesystem?: boolean;
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
  /** Fraction (0..1] of the plan's capacity this feed may occupy; with maxBytes the smaller wins. */
  share?: number | null;
  /** Priority: the feed's scores are multiplied by it (default 1; see feed-quotas.ts). */
  weight?: number;
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
  /** Geography, slow downloads and herd avoidance (score.ts); absent = counts only. */
  signals?: SignalScoring;
  /** Downloads that can finish (availability.ts); absent = every torrent counts as downloadable. */
  availability?: AvailabilityPolicy;
}

/** Weights and targets of the need signals beyond counts (defaults: DEFAULT_SIGNALS). */
export interface SignalScoring {
  geo: {
    enabled: boolean;
    /** How much a concentrated swarm multiplies need: factor 1 + weight * geoNeed. */
    weight: number;
    /** Seeders spread evenly over this many countries count as fully spread. */
    targetCountries: number;
    /** Complete copies on this many continents count as fully spread. */
    targetContinents: number;
    /** Added to the factor when this node's country would be new to the swarm. */
    newCountryBonus: number;
    /** Added instead when this node's continent would be new. */
    newContinentBonus: number;
    /** This node's country (ISO alpha-2), from the policy or detected; null when unknown. */
    selfCountry: string | null;
  };
  slow: {
    enabled: boolean;
    /** How much crawling downloads multiply need: factor 1 + weight * slowness. */
    weight: number;
    /** Downloads at or above this mean rate are not slow (slowness 0). */
    targetRateBytesPerSec: number;
  };
  herd: {
    enabled: boolean;
    /** The persistent id of this node (agent state): the seed of its per-torrent draws. */
    nodeId: string;
    /** How many independent smartnodes are assumed to see the same counts at once. */
    expectedNodes: number;
    /** Fraction by which the per-node draw lowers a score: breaks near-ties only. */
    jitter: number;
    /** How often draws renew (ms). */
    redrawIntervalMs: number;
    /** floor(now / redrawIntervalMs), set by the agent: part of the draw's key. */
    epoch: number;
    /** Estimate the competing nodes, copies on their way and slow start from what the node observes (agent/population.ts). */
    adaptive?: boolean;
    /** Slow start: needy torrents taken at the first tick (doubling each tick after). */
    slowStartAdds?: number;
  };
}

/**
 * What the planner needs from the user's policy; the agent maps the policy into it, so the
 * planner does not depend on the policy domain.
 */
/** Spare copies of well-seeded swarms into room the needy leave (spare.ts). */
export interface SpareFill {
  /** Spare copies fill the capacity up to this share of it (0..1). */
  fillShare: number;
  /** Spare copies go to swarms with fewer than this multiple of the target in copies. */
  copiesMultiple: number;
  /** The draw's inputs: this node, the herd epoch, and the nodes seen taking the same torrents (>= 1). */
  nodeId: string;
  epoch: number;
  nodes: number;
}

export interface PlanPolicy {
  /** The total bytes smartnode may occupy (owned torrents, committed size). */
  maxBytes: number;
  /** Bytes to leave free on the download filesystem. */
  minFreeBytes: number;
  feeds: PlanFeedQuota[];
  scoring: ScoringPolicy;
  /** At most this many adds per tick; the rest wait (ADD_LIMIT) and are reconsidered next tick. */
  maxAddsPerTick: number;
  /** Spare copies of well-seeded swarms into the room the needy leave (spare.ts); absent: none. */
  spare?: SpareFill;
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
export type ChosenReasonCode =
  | 'NEEDED'
  | 'KEPT'
  | 'PINNED'
  | 'MIN_SEED_TIME'
  /** At the target, taken with room the needy leave: the least-replicated first (spare.ts). */
  | 'SPARE';

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
  /** Herd avoidance: needed, but other smartnodes are expected to take it this interval. */
  | 'LEFT_TO_OTHERS'
  /** No complete seeder nor web seed, and the share of the budget that may wait on such torrents is used. */
  | 'NO_SOURCE'
  /** A download that made no progress for scoring.availability.stalledAfter: removed, and backed off. */
  | 'STALLED'
  /** More than twice the target in copies: this node was drawn to release its copy. */
  | 'SURPLUS'
  | 'BANNED'
  /** The volunteer's per-feed filter (category, patterns, size, minimum age) turns it away. */
  | 'FILTERED'
  /** Donated-limit holds (limits.ts): the plan wanted it, a limit defers it. */
  | 'DISK_RESERVE'
  | 'DAILY_BUDGET'
  | 'TRANSFER_CAP'
  | 'AWAITING_CONFIRMATION';

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
  /**
   * Every multiplier besides scarcity: need = scarcity * demand. Without signals it is the
   * leecher demand (>= 1); with them, leecher demand x geography x slow downloads x herd
   * (`factors` has each).
   */
  demand: number;
  /** Present when signals were scored: each factor with its inputs. */
  factors?: ScoreFactors;
}

/** The factors of `demand`, each with the inputs it came from (source and observation time). */
export interface ScoreFactors {
  /** 1 + leecherWeight * log2(1 + leechers). */
  leechers: number;
  geo: GeoFactor | null;
  slow: SlowFactor | null;
  herd: HerdFactor | null;
  /** Whether a download can finish (sources.ts); absent without an availability policy. */
  sources?: SourcesFactor | null;
}

export interface SourcesFactor {
  factor: number;
  /** Complete seeders (our own copy not counted), and web seeds the .torrent names (BEP 19, BEP 17). */
  seeders: number;
  webSeeds: number;
  /** Leechers that may hold pieces between them. */
  partialCopies: number;
  /** A complete seeder, a web seed, or our own copy: a download can finish. */
  canFinish: boolean;
}

export interface GeoFactor {
  factor: number;
  /** 1 - normalised entropy of peers over countries (0 = evenly spread, 1 = one country). */
  concentration: number;
  /** Share of targetContinents without a copy (0..1). */
  continentGap: number;
  countries: number;
  continents: number;
  knownPeers: number;
  unknownPeers: number;
  /** The largest country and its share of known peers. */
  topCountry: string;
  topShare: number;
  /** This node would bring a new country or continent to the swarm. */
  newRegion: 'country' | 'continent' | null;
  peersAre: GeoObservation['peersAre'];
  source: GeoObservation['source'];
  observedAtMs: number;
}

export interface SlowFactor {
  factor: number;
  /** 0..1: 1 - rate / targetRate, with our own upload taken out for held torrents. */
  slowness: number;
  rateBytesPerSec: number;
  observation: SlowObservation;
}

export interface HerdFactor {
  factor: number;
  /** Seeders still needed: target - current (we count ourselves once we hold it). */
  deficit: number;
  /** Copies already on their way (leechers above the usual level), taken off the deficit. */
  onTheirWay: number;
  /** The competing smartnodes the policy says to expect (`scoring.herd.expectedNodes`, 1 = unknown). */
  expectedNodes: number;
  /** The swarm's take gate (PopulationObservation.gate), or null when it has none. */
  gate: number | null;
  /** Slow start decided instead of the draw. */
  slowStart: 'designated' | 'waiting' | null;
  /** Probability that a node takes it: min(1, HERD_SHARE x (deficit - onTheirWay) / expectedNodes), 1 for a lone node. */
  probability: number;
  /** This node's deterministic draw in [0, 1) for this torrent (rendezvous hash). */
  draw: number;
  /** draw < probability: this node is one of those expected to take it (else factor p / draw). */
  designated: boolean;
  held: boolean;
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
  /**
   * leftUntilDone of every torrent held now (ours or not) whose data is on the download
   * filesystem: free space does not see it yet.
   */
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

export interface AvailabilityPolicy {
  /** Fraction (0..1) of maxBytes that may wait on torrents with no source. */
  noSourceShare: number;
  stalledAfterMs: number;
  backoffMs: number;
}
