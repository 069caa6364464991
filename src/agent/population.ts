/**
 * What a node's decisions carry from one tick to the next, and what it learns there of the
 * other smartnodes, pure. Kept as one value the tick returns and the loop passes back in.
 *
 * Herd avoidance rests on what the swarms at hand show:
 * - copies on their way: a swarm's usual leecher level is remembered (it follows a fall at
 *   once and a rise at LEECHER_RISE_PER_HOUR), and leechers above it are downloads just
 *   started, taken off the deficit before the draw. With a source, such an excess that has not
 *   become seeders within ON_THEIR_WAY_MS was an outside crowd, not copies: it becomes the
 *   usual level and the deficit opens again. Without one, leechers wait in place and stay.
 *   Leechers already there when a swarm is first seen are its usual level: a lone node is not
 *   kept from a sourceless torrent by the downloaders waiting on it;
 * - nodes like this one: only on the swarms this node just took, the copies that arrived in
 *   the same interval besides its own, over the chances it took them with, estimate how many
 *   nodes take the same torrents (each swarm's share capped: a crowd is not nodes). Growth on
 *   swarms it did not take (outside leechers, other tools, seeders coming and going) moves
 *   nothing. The estimate rises at once and falls with a half-life of HALF_LIFE_MS;
 * - the take gate: per swarm, a chance per open copy (herd.ts, nextGate), small for a swarm
 *   first seen, doubled each half hour its deficit stays open with no copy arriving, halved
 *   when copies arrive; the chance to take is the larger of the estimate's share and the
 *   gate's, so a deficit nobody fills gets takers whatever the estimate says;
 * - slow start: while the mirror starts empty, or a feed is newly seen, and before the first
 *   estimate, the node takes a few needy torrents by its own draw weighted by deficit squared
 *   (slowStartAdds, doubling each tick), for SLOW_START_TICKS at most.
 */
import {
  GATE_START,
  HERD_SHARE,
  herdDraw,
  nextGate,
  surplusRelease,
  type Candidate,
  type HeldTorrent,
  type PopulationObservation,
} from '../plan/index.js';
import type { InfoHash } from '../shared/index.js';
import { SwarmLevels, type Baseline, type SwarmLevelsBuilder } from './swarm-levels.js';

export type { Baseline } from './swarm-levels.js';

/** The usual copy level rises by at most this many copies an hour. */
export const RISE_PER_HOUR = 0.25;
/**
 * The usual leecher level rises by at most this many an hour: slowly, so downloads that cannot
 * finish (no source) keep counting as copies on their way instead of reopening the deficit.
 */
export const LEECHER_RISE_PER_HOUR = 1 / 24;
/** Leechers above the usual level of a swarm with a source count as copies on their way this long at most. */
export const ON_THEIR_WAY_MS = 12 * 3_600_000;
const HOUR_MS = 3_600_000;
const HALF_LIFE_MS = 6 * HOUR_MS;
const IDLE_HALF_LIFE_MS = 72 * HOUR_MS;
/** Others' copies beside one pick of ours count up to this multiple of the target: more is an outside crowd. */
const MAX_OTHERS_PER_PICK = 2;
/** The chance of a pick is taken as at least this (a jitter pick can fall below any computed chance). */
const MIN_PICK_CHANCE = 0.001;

/** About the chance this node had of taking a swarm at the last count (herd.ts, takeProbability). */
function pickChance(open: number, competitors: number, gate: number): number {
  if (open <= 0) return 1;
  const byCount = competitors <= 1 ? 1 : (HERD_SHARE * open) / competitors;
  return Math.max(MIN_PICK_CHANCE, Math.min(1, Math.max(byCount, gate * open)));
}
/** Ticks of slow start at most (slowStartAdds x 2^ticks picks by then). */
export const SLOW_START_TICKS = 3;
export interface HerdMemory {
  /** Nodes seen taking the same torrents as this one, this one included (>= 1): for the screens only. */
  competitors: number;
  updatedAtMs: number | null;
  /** Slow start's picks per unit of open deficit squared at the last tick (null: no slow start). */
  slowStartRate: number | null;
  /** When the first tick was decided (null before it). */
  startedAtMs: number | null;
  /** Ticks decided so far. */
  ticks: number;
  /** The mirror was empty at the first tick: slow start for everything. */
  startedEmpty: boolean;
  /** Feed id -> the tick it was first seen. */
  feedsSeenAt: ReadonlyMap<string, number>;
  /** Usual leecher and copy (seeders + leechers) levels per swarm, the excess over them and the swarm's take gate. */
  baselines: ReadonlyMap<InfoHash, Baseline>;
  /** The last measurement beside this node's recent picks: others' new copies and the picks. */
  lastSample: { others: number; mine: number; atMs: number } | null;
}

/** A measurement needs at least this many picks of ours the counts show. */
const MIN_SAMPLE_PICKS = 1;

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
      startedAtMs: null,
      slowStartRate: null,
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
  const startedAtMs = memory.startedAtMs ?? nowMs;
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
  const n = input.candidates.length;
  const observationAt: Array<PopulationObservation | undefined> = new Array(n).fill(undefined);
  // Copies that arrived beside this node's own recent picks: the evidence that others take
  // the same torrents as it does, measured only on the torrents at hand.
  let others = 0;
  let mine = 0;
  let picks = 0;
  for (let i = 0; i < n; i++) {
    const c = input.candidates[i] as Candidate;
    if (c.counts === null) continue;
    const { leechers, seeders, observedAtMs } = c.counts;
    const copies = leechers + seeders;
    const deficit = targetSeeders - seeders;
    const hasSource = seeders > 0 || (c.webSeeds ?? 0) > 0;
    const prev = levels.prevSlot(i);
    let usualLeechers = leechers;
    let usualCopies = copies;
    let excessLeechers = 0;
    let excessCopies = 0;
    let at = observedAtMs;
    let gate = GATE_START;
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
        gate = prevLevels.gate(prev);
        excessSinceMs = prevLevels.excessSinceMs(prev);
      } else {
        const elapsedMs = observedAtMs - prevLevels.observedAtMs(prev);
        const hours = elapsedMs / HOUR_MS;
        usualLeechers = Math.min(leechers, wasLeechers + LEECHER_RISE_PER_HOUR * hours);
        usualCopies = Math.min(copies, wasCopies + RISE_PER_HOUR * hours);
        excessLeechers = Math.max(0, leechers - wasLeechers - LEECHER_RISE_PER_HOUR * hours);
        excessCopies = Math.max(0, copies - wasCopies - RISE_PER_HOUR * hours);
        // An episode of leechers above the usual level, from the count where it first showed.
        excessSinceMs = excessLeechers === 0 ? 0 : prevLevels.excessLeechers(prev) > 0 ? prevLevels.excessSinceMs(prev) : observedAtMs;
        // A download with a source completes, or it was not a copy on its way (an outside
        // crowd that comes and goes): past ON_THEIR_WAY_MS the excess is the usual level.
        // Without a source, leechers wait in place for one, and stay on their way.
        if (excessLeechers > 0 && hasSource && observedAtMs - excessSinceMs >= ON_THEIR_WAY_MS) {
          usualLeechers = leechers;
          excessLeechers = 0;
          excessSinceMs = 0;
        }
        // Any copy more than at the last count is an arrival: the gate's evidence is the raw count.
        const arrived = copies - (wasCopies + prevLevels.excessCopies(prev)) >= 1;
        // Without a source more copies only wait: a sourceless deficit's gate does not grow.
        const open = hasSource && deficit - Math.min(deficit, Math.round(excessLeechers)) > 0;
        gate = nextGate(prevLevels.gate(prev), { arrived, open, elapsedMs });
      }
    }
    const mark = heldAt[i] as number;
    const h = mark & OWNED ? owned.get(c.infoHash) : undefined;
    // While this node holds the swarm, its leechers may be our own download, or the tracker's
    // entry for it that outlives our "completed" or "stopped": none of it can be told from
    // another's copy, so the usual leecher level follows the count and nothing is on its way.
    // After a removal the level then falls at once with the count, and only leechers that
    // arrive later are others' downloads.
    if (h !== undefined && renewed) {
      usualLeechers = leechers;
      excessLeechers = 0;
      excessSinceMs = 0;
    }
    levels.set(i, usualLeechers, usualCopies, excessLeechers, excessCopies, at, gate, excessSinceMs);
    if (h !== undefined) {
      // A pick of ours made between the last count and this one: the copies that arrived with
      // it in the same interval, less our own, are others taking the same torrent at once.
      if (renewed && prev >= 0 && h.addedAtMs >= prevLevels.observedAtMs(prev) && h.addedAtMs < observedAtMs) {
        const wasCopies = prevLevels.copies(prev) + prevLevels.excessCopies(prev);
        const wasLeechers = prevLevels.leechers(prev) + prevLevels.excessLeechers(prev);
        const wasOpen = targetSeeders - (wasCopies - wasLeechers) - prevLevels.excessLeechers(prev);
        // Slow start drew its picks with weight open^2: each at rate x open^2.
        const rate = memory.slowStartRate;
        mine +=
          rate !== null
            ? Math.min(1, Math.max(MIN_PICK_CHANCE, rate * wasOpen * wasOpen))
            : pickChance(wasOpen, memory.competitors, prevLevels.gate(prev));
        picks++;
        others += Math.min(MAX_OTHERS_PER_PICK * targetSeeders, Math.max(0, copies - wasCopies - 1));
      }
      continue;
    }
    if (mark & OWNED) continue;
    observationAt[i] = { onTheirWay: Math.round(excessLeechers), slowStart: null, gate };
  }
  const baselines = levels.build();

  let competitors = memory.competitors;
  let lastSample = memory.lastSample;
  const dt = memory.updatedAtMs === null ? 0 : Math.max(0, nowMs - memory.updatedAtMs);
  if (picks >= MIN_SAMPLE_PICKS) {
    // Others take a swarm at about the chance this node took it with: their copies beside its
    // picks, over the sum of those chances, count the nodes like it (rising at once, falling
    // with a half-life, so a quiet hour does not unlearn them).
    const sample = 1 + others / mine;
    competitors = sample >= competitors ? sample : Math.max(sample, competitors * 2 ** (-dt / HALF_LIFE_MS));
    lastSample = { others, mine, atMs: nowMs };
  } else {
    competitors = Math.max(1, competitors * 2 ** (-dt / IDLE_HALF_LIFE_MS));
  }

  // Slow start: a few draws by deficit among the needy torrents of new feeds (all feeds when the mirror started empty).
  let slowFeed: string | undefined;
  let slowFirst = 0;
  const slowAge = (c: Candidate): number | null => {
    if (c.feedIds.length === 0) return null;
    // When any of its feeds was first seen (a loop: this runs for every needy candidate).
    let first = Number.POSITIVE_INFINITY;
    if (c.feedIds.length === 1 && c.feedIds[0] === slowFeed) first = slowFirst;
    else {
      for (const f of c.feedIds) first = Math.min(first, feedsSeenAt.get(f) ?? tick);
      // A lone feed's first sight, for the next candidate of the same feed.
      if (c.feedIds.length === 1) {
        slowFeed = c.feedIds[0];
        slowFirst = first;
      }
    }
    const isNew = startedEmpty || first > 0;
    const age = tick - first;
    return isNew && lastSample === null && age < SLOW_START_TICKS ? age : null;
  };
  const keys: Array<{ i: number; key: number; age: number }> = [];
  let openSquares = 0;
  for (let i = 0; i < n; i++) {
    const o = observationAt[i];
    if (o === undefined) continue;
    const c = input.candidates[i] as Candidate;
    const counts = c.counts as NonNullable<Candidate['counts']>;
    const deficit = targetSeeders - counts.seeders;
    const age = deficit > 0 ? slowAge(c) : null;
    if (age === null) continue;
    // The deficit not already met by copies on their way: slow start draws only among those.
    const open = deficit - o.onTheirWay;
    // One key per swarm for the whole slow start: the picks of a later hour include the earlier ones.
    if (open > 0) {
      const u = Math.max(1e-12, herdDraw(input.nodeId, `${c.infoHash}:slow-start`));
      keys.push({ i, key: Math.log(u) / (open * open), age });
      openSquares += open * open;
    }
    o.slowStart = 'waiting';
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
  let slowStartRate: number | null = null;
  if (keys.length > 0) {
    const age = Math.min(...keys.map((k) => k.age));
    slowStartAdds = input.slowStartAdds * 2 ** age;
    slowStartRate = openSquares > 0 ? slowStartAdds / openSquares : null;
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
    next: {
      competitors,
      updatedAtMs: nowMs,
      startedAtMs,
      slowStartRate,
      ticks: tick + 1,
      startedEmpty,
      feedsSeenAt,
      baselines,
      lastSample,
    },
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
