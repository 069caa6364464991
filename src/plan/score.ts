import type { SwarmCounts } from '../swarm/index.js';
import { geoFactor } from './geo.js';
import { herdFactor, herdFactorValue } from './herd.js';
import { slowFactor } from './slow.js';
import { sourcesFactor } from './sources.js';
import type {
  HeldTorrent,
  PopulationObservation,
  ScoreComponents,
  ScoreResult,
  ScoringPolicy,
  SignalScoring,
  SwarmSignals,
} from './types.js';

/**
 * Scoring, version 1.
 *
 *   s = seeders, l = leechers, T = targetSeeders (>= 1), w = leecherWeight
 *
 *   scarcity = max(0, (1/(s+1) - 1/(T+1)) / (1 - 1/(T+1)))
 *       1 at s = 0 (no complete copy: the data can be lost), 0 at s >= T, and hyperbolic in
 *       between so the first copies matter most. With T = 5: s=0 1.00, 1 0.40, 2 0.20,
 *       3 0.10, 4 0.04, 5 0.
 *   demand = 1 + w * log2(1 + l)
 *       Leechers multiply need (they only matter while seeders are scarce: a swarm at its
 *       seeder target serves its leechers without us). log2 so 100 leechers are not 100x one:
 *       w = 0.25 gives l=0 1.0, l=3 1.5, l=15 2.0, l=255 3.0: preservation dominates,
 *       demand can at most triple it for realistic swarms.
 *   need = scarcity * demand
 *   score = need / max(sizeGB, MIN_SIZE_GB)      (GB = 1e9 bytes)
 *       Need per GB, so a disk budget buys the most need (knapsack value density). The floor
 *       keeps tiny torrents from getting unbounded scores.
 *
 * Unknown counts (many feeds carry none and a scrape may not have answered yet) are treated
 * as moderately needy: scarcity UNKNOWN_SCARCITY = 0.3 and demand 1, i.e. between one and
 * two seeders for targets 3..10. An uncounted torrent then never outranks one known to have a
 * single seeder, but is not ignored either. Negative counts (Transmission's -1) are unknown.
 *
 * Defaults (DEFAULT_SCORING): targetSeeders 5 (Academic Torrents' own "well seeded" mark
 * is a handful of mirrors; five independent copies survive a few hosts leaving), replaceMargin
 * 0.2 (scrape counts jitter by one peer between polls; 20% keeps a held torrent from being
 * swapped for a near-equal one and its bytes re-downloaded), minSeedTimeMs 72 h (a replaced
 * torrent should first have had the chance to give back at least what it cost to fetch).
 *
 * Version 2 multiplies need by three more factors when the policy scores signals
 * (`scoring.signals`) and the counts carry them (`withSignals`):
 *
 *   need = scarcity * leechers * geo * slow * herd          (ScoreComponents.demand = all but scarcity)
 *
 *   geo  = 1 + geo.weight * (concentration + continentGap) / 2 + new-region bonus    (geo.ts)
 *   slow = 1 + slow.weight * max(0, 1 - downloadRate / targetRate)                   (slow.ts)
 *   herd = 1 for what we hold; else designated ? 1 - jitter * draw : 0             (herd.ts)
 *   sources = 1 when a download can finish; else just below one seeder's scarcity  (sources.ts)
 *       (only with an availability policy: scoring.availability)
 *
 * The factors multiply scarcity, so a swarm at its seeder target stays well seeded whatever
 * its geography (the target is the owner's word for "enough copies"); below it, they decide
 * which needy swarm a copy helps most. Default weights (DEFAULT_SIGNALS) are chosen so that
 * ONE signal never lifts a swarm over one with a seeder fewer (same size and leechers) at
 * targets up to 5: the scarcity ratio between s and s+1 seeders is then at least 2 for s >= 1,
 * and the largest geo factor is 1 + 0.5 + 0.2 = 1.7, the largest slow factor 1.5. (At higher
 * targets the first steps shrink, x1.7 for one vs two seeders at 10.) Two signals
 * together may: a two-seeder swarm in one country whose downloads crawl is needier than a
 * spread, fast one-seeder swarm. Missing signals (no peers resolved, no history) are factor 1,
 * never a penalty or a bonus.
 */
export const SCORING_VERSION = 2;
export const UNKNOWN_SCARCITY = 0.3;
export const MIN_SIZE_GB = 0.01;
const BYTES_PER_GB = 1e9;

export const DEFAULT_SCORING: ScoringPolicy = {
  targetSeeders: 5,
  leecherWeight: 0.25,
  replaceMargin: 0.2,
  minSeedTimeMs: 72 * 60 * 60 * 1000,
};

/**
 * Defaults of the need signals (the policy schema repeats them):
 * - geo.weight 0.5: a swarm in one country and one continent is worth 1.5x a spread one with
 *   the same counts: enough to decide among equals, never more than one seeder (see above).
 *   targetCountries 5 / targetContinents 3: spread over five countries on three continents
 *   is "spread" (Academic Torrents' mirrors are mostly in North America and Europe; a third
 *   continent is what a regional outage cannot take). Bonuses 0.1 (new country) and 0.2 (new
 *   continent): a copy somewhere new is worth a little more, less than concentration itself.
 * - slow.weight 0.5, target 1 MB/s: a swarm whose downloaders get nothing is worth 1.5x; at
 *   1 MB/s a 100 GB dataset takes a day, which research users put up with; faster is not slow.
 * - herd.expectedNodes 1, jitter 0.02: see herd.ts. With 1 (no other smartnode known) nothing
 *   is left to others, so a lone node (and the end-to-end tests, which run one) decides as
 *   before; operators set it to the number of smartnodes on the same feeds. The 2% jitter is
 *   far below the replace margin (20%) and any step between one seeder count and the next
 *   (at least x1.3 at any target), so it only breaks near-ties.
 */
export const DEFAULT_SIGNALS: SignalScoring = {
  geo: {
    enabled: true,
    weight: 0.5,
    targetCountries: 5,
    targetContinents: 3,
    newCountryBonus: 0.1,
    newContinentBonus: 0.2,
    selfCountry: null,
  },
  slow: { enabled: true, weight: 0.5, targetRateBytesPerSec: 1_000_000 },
  herd: { enabled: true, nodeId: '', expectedNodes: 1, jitter: 0.02, redrawIntervalMs: 6 * 3_600_000, epoch: 0 },
};

/** Counts as the score reads them: with the swarm's other signals when the agent attached them. */
export type CountsWithSignals = Pick<SwarmCounts, 'seeders' | 'leechers'> & { signals?: SwarmSignals };

/**
 * Candidates whose counts carry their signals, which is how the planner's scoring
 * (NeedCache.get, called with each candidate's counts) sees them. Candidates without counts
 * keep no signals: without a seeder count there is no deficit, and geography or speed alone
 * does not make a torrent needed.
 */
export function withSignals<C extends { counts: SwarmCounts | null; signals?: SwarmSignals }>(candidates: readonly C[]): C[] {
  // Object.assign is the spread { ...c.counts, signals }: several times faster in V8 when it adds a
  // key, and the results share one hidden class (a spread gives each its own: memory).
  return candidates.map((c) =>
    c.signals === undefined || c.counts === null ? c : { ...c, counts: Object.assign({}, c.counts, { signals: c.signals }) },
  );
}

/**
 * Need with the signal factors: scarcity as in version 1, `demand` the product of the
 * leecher, geography, slow-download and herd factors (each kept in `factors`).
 */
export function composeNeed(
  counts: CountsWithSignals | null,
  scoring: ScoringPolicy,
  selfExcluded: ScoreComponents['selfExcluded'],
  signals: SwarmSignals,
  config: SignalScoring,
): ScoreComponents {
  const base = swarmNeed(counts, scoring, selfExcluded);
  const geo = geoFactor(signals.geo, config.geo);
  const slow = slowFactor(signals.slow, config.slow);
  const herd = herdFactor(
    {
      infoHash: signals.infoHash,
      seeders: base.seeders,
      targetSeeders: scoring.targetSeeders,
      held: signals.held === true,
      // Absent or undefined reads the same in herdFactor; a literal key costs no spread per candidate.
      population: signals.population,
    },
    config.herd,
  );
  const sources =
    scoring.availability === undefined
      ? undefined
      : sourcesFactor({
          seeders: base.seeders,
          leechers: base.leechers,
          webSeeds: signals.webSeeds ?? 0,
          targetSeeders: scoring.targetSeeders,
          oneSeederScarcity: seederScarcity(1, scoring.targetSeeders),
          held: signals.held === true,
        });
  const leechers = base.demand;
  // base is a fresh object (swarmNeed does not cache): completed in place, no copy per candidate.
  base.demand = leechers * (geo?.factor ?? 1) * (slow?.factor ?? 1) * (herd?.factor ?? 1) * (sources?.factor ?? 1);
  base.factors = sources === undefined ? { leechers, geo, slow, herd } : { leechers, geo, slow, herd, sources };
  return base;
}

/**
 * The planner (NeedCache.get in buildPool) finds a need of zero or less for a candidate this
 * node does not hold with these counts and signals (those withSignals puts in its counts): it
 * is skipped before selection, whatever else is planned.
 */
export function hasZeroNeed(
  counts: Pick<SwarmCounts, 'seeders' | 'leechers'> | null,
  signals: SwarmSignals | undefined,
  scoring: ScoringPolicy,
): boolean {
  const config = scoring.signals;
  if (signals !== undefined && config !== undefined && signals.geo === null && signals.slow === null)
    return hasZeroNeedUnobserved(counts, signals.infoHash, signals.held === true, signals.population, scoring, config);
  const c =
    signals !== undefined && scoring.signals !== undefined
      ? composeNeed(counts, scoring, null, signals, scoring.signals)
      : swarmNeed(counts, scoring, null);
  return c.scarcity * c.demand <= 0;
}

/**
 * hasZeroNeed for signals with no geography or speed observed, given by their parts (no
 * signals object to build per candidate): composeNeed without its objects, those factors being
 * 1 (geoFactor and slowFactor give null) and multiplying by them changing nothing, exactly.
 */
export function hasZeroNeedUnobserved(
  counts: Pick<SwarmCounts, 'seeders' | 'leechers'> | null,
  infoHash: string,
  held: boolean,
  population: PopulationObservation | undefined,
  scoring: ScoringPolicy,
  config: SignalScoring,
): boolean {
  const known = counts !== null && isCount(counts.seeders) && isCount(counts.leechers);
  const seeders = known ? counts.seeders : null;
  const scarcity = seeders === null ? UNKNOWN_SCARCITY : seederScarcity(seeders, scoring.targetSeeders);
  // The other factors are finite and the leechers' at least 1: no scarcity is no need, whatever they are.
  if (scarcity <= 0) return true;
  const leechers = known ? leecherDemand(counts.leechers, scoring.leecherWeight) : 1;
  const herd = herdFactorValue(infoHash, seeders, scoring.targetSeeders, held, population, config.herd);
  return scarcity * (leechers * (herd ?? 1)) <= 0;
}

function isCount(n: number): boolean {
  return Number.isFinite(n) && n >= 0;
}

/** Scarcity of a swarm with `seeders` complete peers against `target` (see the formula). */
export function seederScarcity(seeders: number, target: number): number {
  const t = Math.max(1, target);
  const floor = 1 / (t + 1);
  const value = (1 / (Math.max(0, seeders) + 1) - floor) / (1 - floor);
  return Math.max(0, value);
}

export function leecherDemand(leechers: number, leecherWeight: number): number {
  return 1 + Math.max(0, leecherWeight) * Math.log2(1 + Math.max(0, leechers));
}

/** A torrent size a plan can use: positive and finite. */
export function isKnownSize(sizeBytes: number | null | undefined): sizeBytes is number {
  return typeof sizeBytes === 'number' && Number.isFinite(sizeBytes) && sizeBytes > 0;
}

/** What the swarm's counts say about need, independent of size (see the formula above). */
export function swarmNeed(
  counts: Pick<SwarmCounts, 'seeders' | 'leechers'> | null,
  scoring: ScoringPolicy,
  selfExcluded: ScoreComponents['selfExcluded'] = null,
): ScoreComponents {
  const known = counts !== null && isCount(counts.seeders) && isCount(counts.leechers);
  const seeders = known ? counts.seeders : null;
  const leechers = known ? counts.leechers : null;
  return {
    seeders,
    leechers,
    selfExcluded: known ? selfExcluded : null,
    scarcity: seeders === null ? UNKNOWN_SCARCITY : seederScarcity(seeders, scoring.targetSeeders),
    demand: leechers === null ? 1 : leecherDemand(leechers, scoring.leecherWeight),
  };
}

/** Need per GB: the score the knapsack ranks by; 0 when the size is unknown. */
export function needPerGB(need: number, sizeBytes: number | null): number {
  return isKnownSize(sizeBytes) ? need / Math.max(sizeBytes / BYTES_PER_GB, MIN_SIZE_GB) : 0;
}

export function scoreCandidate(
  counts: Pick<SwarmCounts, 'seeders' | 'leechers'> | null,
  sizeBytes: number | null,
  scoring: ScoringPolicy,
  selfExcluded: ScoreComponents['selfExcluded'] = null,
): ScoreResult {
  const components = swarmNeed(counts, scoring, selfExcluded);
  const need = components.scarcity * components.demand;
  return {
    score: needPerGB(need, sizeBytes),
    need,
    sizeGB: isKnownSize(sizeBytes) ? Math.max(sizeBytes / BYTES_PER_GB, MIN_SIZE_GB) : null,
    components,
  };
}

/**
 * One ScoreComponents object per distinct (seeders, leechers, self) within a plan: with
 * 100,000 candidates most swarms share their counts, and the components are immutable.
 */
export class NeedCache {
  private readonly byKey = new Map<number, ScoreComponents>();
  constructor(private readonly scoring: ScoringPolicy) {}

  get(counts: CountsWithSignals | null, selfExcluded: ScoreComponents['selfExcluded'] = null): ScoreComponents {
    const signals = counts?.signals;
    if (signals !== undefined && this.scoring.signals !== undefined) {
      return composeNeed(counts, this.scoring, selfExcluded, signals, this.scoring.signals);
    }
    const s = counts?.seeders ?? -1;
    const l = counts?.leechers ?? -1;
    const small = Number.isInteger(s) && Number.isInteger(l) && s < 1 << 20 && l < 1 << 20;
    if (!small) return swarmNeed(counts, this.scoring, selfExcluded);
    const self = selfExcluded === 'seeder' ? 1 : selfExcluded === 'leecher' ? 2 : 0;
    // s and l are >= -1 (anything below is unknown as well and maps to -1).
    const key = ((Math.max(s, -1) + 1) * 2 ** 21 + (Math.max(l, -1) + 1)) * 3 + self;
    let c = this.byKey.get(key);
    if (c === undefined) {
      c = swarmNeed(counts, this.scoring, selfExcluded);
      this.byKey.set(key, c);
    }
    return c;
  }
}

/**
 * The swarm counts include us once we hold the torrent: a complete copy we seed is one of the
 * seeders, an incomplete one is a leecher. Judging our own seeding as "well seeded" would evict
 * the copy that keeps the swarm healthy, so for a held torrent we subtract ourselves, but only
 * when the count was observed after we added it (an older count cannot include us).
 */
export function countsExcludingSelf(
  counts: (SwarmCounts & { signals?: SwarmSignals }) | null,
  held: Pick<HeldTorrent, 'leftUntilDoneBytes' | 'addedAtMs'>,
): { counts: CountsWithSignals | null; selfExcluded: ScoreComponents['selfExcluded'] } {
  const signals = counts?.signals;
  if (signals !== undefined && counts !== null) {
    // We hold it: herd avoidance does not apply (we already are one of its peers).
    const excluded = countsExcludingSelfPlain(counts, held);
    return {
      // Object.assign is the spread { ...counts, signals: { ...signals, held } }: several times faster in V8 (one per held torrent per plan).
      counts: excluded.counts === null ? null : Object.assign({}, excluded.counts, { signals: Object.assign({}, signals, { held: true }) }),
      selfExcluded: excluded.selfExcluded,
    };
  }
  return countsExcludingSelfPlain(counts, held);
}

function countsExcludingSelfPlain(
  counts: SwarmCounts | null,
  held: Pick<HeldTorrent, 'leftUntilDoneBytes' | 'addedAtMs'>,
): { counts: Pick<SwarmCounts, 'seeders' | 'leechers'> | null; selfExcluded: ScoreComponents['selfExcluded'] } {
  if (counts === null || !isCount(counts.seeders) || !isCount(counts.leechers)) {
    return { counts, selfExcluded: null };
  }
  if (counts.observedAtMs < held.addedAtMs) return { counts, selfExcluded: null };
  if (held.leftUntilDoneBytes <= 0) {
    if (counts.seeders < 1) return { counts, selfExcluded: null };
    return {
      counts: { seeders: counts.seeders - 1, leechers: counts.leechers },
      selfExcluded: 'seeder',
    };
  }
  if (counts.leechers < 1) return { counts, selfExcluded: null };
  return {
    counts: { seeders: counts.seeders, leechers: counts.leechers - 1 },
    selfExcluded: 'leecher',
  };
}
