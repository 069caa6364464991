/**
 * What a node's decisions carry from one tick to the next, and what it learns there of the
 * other smartnodes, pure. Kept as one value the tick returns and the loop passes back in.
 *
 * Herd avoidance calibrates itself from what one node can observe:
 * - copies on their way: a swarm's usual leecher level is remembered (it follows a fall at
 *   once and a rise at RISE_PER_HOUR), and leechers above it are downloads just started,
 *   taken off the deficit before the draw, so a redraw does not send more takers to a deficit
 *   that already has copies coming (a torrent with no source keeps its leechers, and so gets
 *   no new takers either);
 * - competing nodes: over all swarms, the copies (seeders and leechers) above their usual
 *   level against this node's own copies just taken among them. Nodes running the same decision add about as
 *   much as this one does, so others / mine + 1 estimates how many compete. The estimate rises
 *   at once and falls slowly (half-life a day; three days while there is nothing to measure);
 * - slow start: while the mirror starts empty, or a feed is newly seen, the node takes only a
 *   few of the needy torrents per tick (slowStartAdds, doubling each tick), drawn with weight
 *   deficit^2, so the first snapshot sends the nodes to different torrents and the estimate is
 *   measured before the node takes more.
 */
import { herdDraw, surplusRelease, type Candidate, type HeldTorrent, type PopulationObservation } from '../plan/index.js';
import type { InfoHash } from '../shared/index.js';
import { SwarmLevels, type Baseline, type SwarmLevelsBuilder } from './swarm-levels.js';

export type { Baseline } from './swarm-levels.js';

/** The usual copy level rises by at most this many copies an hour (the competitor estimate's window). */
export const RISE_PER_HOUR = 0.25;
/**
 * The usual leecher level rises by at most this many an hour: slowly, so downloads that cannot
 * finish (no source) keep counting as copies on their way instead of reopening the deficit.
 */
export const LEECHER_RISE_PER_HOUR = 1 / 24;
const HOUR_MS = 3_600_000;
const HALF_LIFE_MS = 24 * HOUR_MS;
const IDLE_HALF_LIFE_MS = 72 * HOUR_MS;
/** Ticks of slow start. */
export const SLOW_START_TICKS = 3;

export interface HerdMemory {
  /** Estimated smartnodes competing for the same torrents, this one included (>= 1). */
  competitors: number;
  updatedAtMs: number | null;
  /** Ticks decided so far. */
  ticks: number;
  /** The mirror was empty at the first tick: slow start for everything. */
  startedEmpty: boolean;
  /** Feed id -> the tick it was first seen. */
  feedsSeenAt: ReadonlyMap<string, number>;
  /** Usual leecher and copy (seeders + leechers) levels per swarm, with the excess over them at the last new count. */
  baselines: ReadonlyMap<InfoHash, Baseline>;
  /** The last measurement: leechers above the usual level, ours and others'. */
  lastSample: { others: number; mine: number; atMs: number } | null;
}

/**
 * A measurement needs at least one whole copy of ours among the excess: with less, the ratio
 * others / mine is dominated by unrelated churn (external seeders coming and going) and the
 * estimate, which rises at once, would jump on noise.
 */
const MIN_SAMPLE_COPIES = 1;
/** Our add shows in a count this long after it at most (a scrape interval and a tick, with room). */
const EPISODE_LAG_MS = 2 * HOUR_MS;

export interface AvailabilityMemory {
  /** Held downloads: bytes left and since when that has not moved. */
  progress: ReadonlyMap<InfoHash, { leftBytes: number; sinceMs: number }>;
  /** Torrents removed as stalled, not taken again before this time. */
  backoffUntil: ReadonlyMap<InfoHash, number>;
  /** The clock of the tick that left this memory (null: none yet), to bound the next gap. */
  observedAtMs: number | null;
}

export interface DecideMemory {
  /** The bandwidth rates last announced (an event goes out only when they change). */
  bandwidthSummary: string | null;
  herd: HerdMemory;
  availability: AvailabilityMemory;
}

export function initialDecideMemory(): DecideMemory {
  return {
    bandwidthSummary: null,
    herd: {
      competitors: 1,
      updatedAtMs: null,
      ticks: 0,
      startedEmpty: false,
      feedsSeenAt: new Map(),
      baselines: SwarmLevels.empty(),
      lastSample: null,
    },
    availability: { progress: new Map(), backoffUntil: new Map(), observedAtMs: null },
  };
}

/** What this tick learnt, for the plan, `explain` and the dashboard. */
export interface PopulationView {
  competitors: number;
  /** Copies above the usual level over all swarms: others', and this node's own. */
  othersOnTheirWay: number;
  mineOnTheirWay: number;
  /** Slow start this tick: how many needy torrents may be taken, or null. */
  slowStartAdds: number | null;
  /** Held copies released this tick because their swarms have over twice the target in copies. */
  releasing: number;
}

export function observePopulation(
  memory: HerdMemory,
  input: {
    candidates: readonly Candidate[];
    held: readonly HeldTorrent[];
    nodeId: string;
    targetSeeders: number;
    slowStartAdds: number;
    nowMs: number;
  },
): { next: HerdMemory; readonly observations: Map<InfoHash, PopulationObservation>; view: PopulationView; positions: CandidatePositions } {
  const { nowMs, targetSeeders } = input;
  const owned = new Map(input.held.filter((h) => h.isOwned).map((h) => [h.infoHash, h]));
  const tick = memory.ticks;
  const startedEmpty = tick === 0 ? owned.size === 0 : memory.startedEmpty;
  // The feeds map is copied only when a feed is new: an unchanged one is shared with the previous memory.
  let feedsSeenAt = memory.feedsSeenAt;
  // Most candidates list one feed, the same as the one before: a feed just looked up needs no second lookup.
  let lastFeed: string | undefined;
  for (const c of input.candidates) {
    if (c.feedIds.length === 1 && c.feedIds[0] === lastFeed) continue;
    for (const f of c.feedIds)
      if (!feedsSeenAt.has(f)) {
        if (feedsSeenAt === memory.feedsSeenAt) feedsSeenAt = new Map(memory.feedsSeenAt);
        (feedsSeenAt as Map<string, number>).set(f, tick);
      }
    lastFeed = c.feedIds.length === 1 ? c.feedIds[0] : undefined;
  }

  // Usual levels and the excess over them: leechers (downloads under way) and copies (taken at all).
  const prevLevels = SwarmLevels.of(memory.baselines);
  const levels = prevLevels.next(input.candidates.map((c) => (c.counts === null ? null : c.infoHash)));
  const heldAt = heldPositions(input.candidates, input.held, levels);
  let others = 0;
  let mine = 0;
  for (let i = 0; i < input.candidates.length; i++) {
    const c = input.candidates[i] as Candidate;
    if (c.counts === null) continue;
    const { leechers, observedAtMs } = c.counts;
    const copies = leechers + c.counts.seeders;
    const prev = levels.prevSlot(i);
    let usualLeechers = leechers;
    let usualCopies = copies;
    let excessLeechers = 0;
    let excessCopies = 0;
    let at = observedAtMs;
    let peakExcessCopies = 0;
    let excessSinceMs = 0;
    // A count no newer than the level's keeps the level as it is.
    const renewed = prev < 0 || observedAtMs > prevLevels.observedAtMs(prev);
    if (prev >= 0) {
      const wasLeechers = prevLevels.leechers(prev);
      const wasCopies = prevLevels.copies(prev);
      if (!renewed) {
        usualLeechers = wasLeechers;
        usualCopies = wasCopies;
        excessLeechers = prevLevels.excessLeechers(prev);
        excessCopies = prevLevels.excessCopies(prev);
        at = prevLevels.observedAtMs(prev);
        peakExcessCopies = prevLevels.peakExcessCopies(prev);
        excessSinceMs = prevLevels.excessSinceMs(prev);
      } else {
        const hours = (observedAtMs - prevLevels.observedAtMs(prev)) / HOUR_MS;
        const rise = RISE_PER_HOUR * hours;
        const leecherRise = LEECHER_RISE_PER_HOUR * hours;
        usualLeechers = Math.min(leechers, wasLeechers + leecherRise);
        usualCopies = Math.min(copies, wasCopies + rise);
        excessLeechers = Math.max(0, leechers - wasLeechers - leecherRise);
        excessCopies = Math.max(0, copies - wasCopies - rise);
        // An episode: the excess since it last was 0, its peak and when it first showed.
        const continues = excessCopies > 0 && prevLevels.excessCopies(prev) > 0;
        peakExcessCopies = excessCopies === 0 ? 0 : Math.max(excessCopies, continues ? prevLevels.peakExcessCopies(prev) : 0);
        excessSinceMs = excessCopies === 0 ? 0 : continues ? prevLevels.excessSinceMs(prev) : observedAtMs;
      }
    }
    const h = (heldAt[i] as number) & OWNED ? owned.get(c.infoHash) : undefined;
    // While this node holds the swarm, its leechers may be our own download, or the tracker's
    // entry for it that outlives our "completed" or "stopped": none of it can be told from
    // another's copy, so the usual leecher level follows the count and nothing is on its way.
    // After a removal the level then falls at once with the count, and only leechers that
    // arrive later are others' downloads.
    if (h !== undefined && renewed) {
      usualLeechers = leechers;
      excessLeechers = 0;
    }
    levels.set(i, usualLeechers, usualCopies, excessLeechers, excessCopies, at, peakExcessCopies, excessSinceMs);
    if (excessCopies === 0) continue;
    // Our own copy counts for as long as the copies that arrived with it, in the same measure: an
    // episode's excess falls as the usual level rises, and our share of it with it (excess / peak).
    // Counting ours for a shorter time than the others' copies would overstate the competitors.
    const inEpisode = h !== undefined && observedAtMs > h.addedAtMs && h.addedAtMs >= excessSinceMs - EPISODE_LAG_MS;
    const ours = inEpisode ? excessCopies / Math.max(1, peakExcessCopies) : 0;
    mine += ours;
    others += Math.max(0, excessCopies - ours);
  }
  const baselines = levels.build();

  let competitors = memory.competitors;
  const dt = memory.updatedAtMs === null ? 0 : Math.max(0, nowMs - memory.updatedAtMs);
  let lastSample = memory.lastSample;
  if (mine >= MIN_SAMPLE_COPIES) {
    const sample = 1 + others / mine;
    competitors = sample >= competitors ? sample : Math.max(sample, competitors * 2 ** (-dt / HALF_LIFE_MS));
    lastSample = { others, mine, atMs: nowMs };
  } else {
    competitors = Math.max(1, competitors * 2 ** (-dt / IDLE_HALF_LIFE_MS));
  }

  // Slow start: a few draws by deficit among the needy torrents of new feeds (all feeds when the mirror started empty).
  let slowFeed: string | undefined;
  let slowFirst = 0;
  const slowTick = (c: Candidate): number | null => {
    if (c.feedIds.length === 0) return null;
    // The earliest tick any of its feeds was seen (a loop: this runs for every needy candidate).
    let first = Number.POSITIVE_INFINITY;
    if (c.feedIds.length === 1 && c.feedIds[0] === slowFeed) first = slowFirst;
    else {
      for (const f of c.feedIds) first = Math.min(first, feedsSeenAt.get(f) ?? tick);
      // A lone feed's first tick, for the next candidate of the same feed.
      if (c.feedIds.length === 1) {
        slowFeed = c.feedIds[0];
        slowFirst = first;
      }
    }
    // Until the first measurement of the others: after it, the draw with the estimate takes over.
    const isNew = (startedEmpty && memory.lastSample === null) || first > 0;
    const age = tick - first;
    return isNew && age < SLOW_START_TICKS ? age : null;
  };
  const n = input.candidates.length;
  const observationAt: Array<PopulationObservation | undefined> = new Array(n).fill(undefined);
  const keys: Array<{ i: number; key: number; age: number }> = [];
  for (let i = 0; i < input.candidates.length; i++) {
    const c = input.candidates[i] as Candidate;
    if (c.counts === null || (heldAt[i] as number) & OWNED) continue;
    // With no source, every leecher is a copy waiting in place for a seeder's return: more takers would only wait with it.
    const waitingInPlace = c.counts.seeders === 0 && (c.webSeeds ?? 0) === 0 ? c.counts.leechers : 0;
    // The level last set for this swarm (a swarm listed twice: its last listing's).
    const onTheirWay = Math.max(Math.round(levels.excessLeechers(i)), waitingInPlace);
    const deficit = targetSeeders - c.counts.seeders;
    const age = deficit > 0 ? slowTick(c) : null;
    // The deficit not already met by copies on their way: slow start draws only among those.
    const open = deficit - onTheirWay;
    if (age !== null && open > 0) {
      const u = Math.max(1e-12, herdDraw(input.nodeId, `${c.infoHash}:slow-start:${tick}`));
      keys.push({ i, key: Math.log(u) / (open * open), age });
    }
    if (onTheirWay > 0 || age !== null) observationAt[i] = { onTheirWay, slowStart: age !== null && open <= 0 ? 'waiting' : null };
  }
  if (!levels.unique) {
    // An info-hash listed twice has one observation, its last listing's, at each of its positions.
    const last = new Map<InfoHash, PopulationObservation>();
    for (let i = 0; i < n; i++) {
      const o = observationAt[i];
      if (o !== undefined) last.set((input.candidates[i] as Candidate).infoHash, o);
    }
    for (let i = 0; i < n; i++) observationAt[i] = last.get((input.candidates[i] as Candidate).infoHash);
  }
  let slowStartAdds: number | null = null;
  if (keys.length > 0) {
    const age = Math.min(...keys.map((k) => k.age));
    slowStartAdds = input.slowStartAdds * 2 ** age;
    const adds = slowStartAdds;
    if (levels.unique && adds <= MAX_PICKED) {
      // One observation per key: only which keys rank among the first `adds` matters, not their order.
      const picked = new Set(largestKeys(keys, Math.ceil(adds)));
      for (const k of keys) {
        const o = observationAt[k.i];
        if (o !== undefined) o.slowStart = picked.has(k) ? 'designated' : 'waiting';
      }
    } else {
      keys.sort((a, b) => b.key - a.key);
      keys.forEach((k, rank) => {
        const o = observationAt[k.i];
        if (o !== undefined) o.slowStart = rank < adds ? 'designated' : 'waiting';
      });
    }
  }

  let observations: Map<InfoHash, PopulationObservation> | null = null;
  return {
    next: { competitors, updatedAtMs: nowMs, ticks: tick + 1, startedEmpty, feedsSeenAt, baselines, lastSample },
    // By info-hash, built when first read (a caller planning with every candidate; a simulator reads positions).
    get observations() {
      if (observations === null) {
        observations = new Map();
        for (let i = 0; i < n; i++) {
          const o = observationAt[i];
          if (o !== undefined) observations.set((input.candidates[i] as Candidate).infoHash, o);
        }
      }
      return observations;
    },
    positions: { heldAt, unique: levels.unique, observationAt },
    view: { competitors, othersOnTheirWay: others, mineOnTheirWay: mine, slowStartAdds, releasing: 0 },
  };
}

/** Slow-start adds up to this many are picked by largestKeys rather than a sort of every key. */
const MAX_PICKED = 64;

/**
 * The first `count` of these keys in a stable sort by key, largest first: the largest keys, an
 * earlier one first among equal ones. One pass keeping the best `count` in order.
 */
export function largestKeys<T extends { key: number }>(keys: readonly T[], count: number): T[] {
  const best: T[] = [];
  if (count <= 0) return best;
  for (const k of keys) {
    if (best.length === count && !(k.key > (best[count - 1] as T).key)) continue;
    // After every kept key at least as large: a later key ranks after an equal earlier one.
    let at = best.length;
    while (at > 0 && (best[at - 1] as T).key < k.key) at--;
    best.splice(at, 0, k);
    if (best.length > count) best.pop();
  }
  return best;
}

/** Marks of a candidate position (CandidatePositions.heldAt): held at all, and held as this node's own. */
export const HELD = 1;
export const OWNED = 2;

/**
 * What observePopulation learnt of its candidates' positions, for the rest of the tick's
 * per-candidate loops over the same list: which are held (HELD, OWNED marks), whether the list
 * is unique (every candidate counted, no info-hash twice), and each one's observation.
 */
export interface CandidatePositions {
  heldAt: Uint8Array;
  unique: boolean;
  /** The population observation of each position (`observations` by position). */
  observationAt: ReadonlyArray<PopulationObservation | undefined>;
}

/**
 * The HELD and OWNED marks of each candidate position: by the swarms' slots (a lookup per held
 * torrent, none per candidate), and by info-hash for a candidate without a slot (not counted).
 */
function heldPositions(candidates: readonly Candidate[], held: readonly HeldTorrent[], levels: SwarmLevelsBuilder): Uint8Array {
  const bySlot = new Uint8Array(levels.slotCount);
  const byHash = new Map<InfoHash, number>();
  for (const h of held) {
    const mark = h.isOwned ? HELD | OWNED : HELD;
    byHash.set(h.infoHash, (byHash.get(h.infoHash) ?? 0) | mark);
    const slot = levels.slotOf(h.infoHash);
    if (slot >= 0) bySlot[slot] = (bySlot[slot] as number) | mark;
  }
  const out = new Uint8Array(candidates.length);
  for (let i = 0; i < candidates.length; i++) {
    const slot = levels.slotAt(i);
    out[i] = slot >= 0 ? (bySlot[slot] as number) : (byHash.get((candidates[i] as Candidate).infoHash) ?? 0);
  }
  return out;
}

/**
 * The held copies this node releases this tick: their swarms have more than twice the target
 * in copies, and this node's draw says it is one of the holders that go (herd.ts,
 * surplusRelease). Pinned copies stay. Info-hash -> the swarm's copies, for the reason.
 * `positions`: observePopulation's marks for these same candidates, in place of a lookup each.
 */
export function surplusOf(
  held: readonly HeldTorrent[],
  candidates: readonly Candidate[],
  args: { nodeId: string; targetSeeders: number; epoch: number },
  positions?: CandidatePositions,
): Map<InfoHash, number> {
  // Only the held torrents' counts are read: a map of those alone (the last listing wins, as in new Map(entries)).
  const counts = new Map<InfoHash, Candidate['counts']>();
  if (positions !== undefined) {
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i] as Candidate;
      if ((positions.heldAt[i] as number) & HELD) counts.set(c.infoHash, c.counts);
    }
  } else {
    const isHeld = new Set<InfoHash>();
    for (const h of held) isHeld.add(h.infoHash);
    for (const c of candidates) if (isHeld.has(c.infoHash)) counts.set(c.infoHash, c.counts);
  }
  const out = new Map<InfoHash, number>();
  for (const h of held) {
    if (!h.isOwned || h.pinned === true || h.banned === true) continue;
    const c = counts.get(h.infoHash) ?? h.counts ?? null;
    if (c === null || c === undefined || c.seeders < 0 || c.leechers < 0) continue;
    const release = surplusRelease({
      nodeId: args.nodeId,
      infoHash: h.infoHash,
      seeders: c.seeders,
      leechers: c.leechers,
      countsIncludeUs: c.observedAtMs >= h.addedAtMs,
      complete: h.leftUntilDoneBytes <= 0,
      targetSeeders: args.targetSeeders,
      epoch: args.epoch,
    });
    if (release?.release === true) out.set(h.infoHash, release.copies);
  }
  return out;
}
