/**
 * Herd avoidance. Pure and deterministic: no coordinator, no randomness at run time.
 *
 * Many smartnodes read the same feeds and see the same counts at about the same time. If each
 * took every needy torrent, a swarm with one seeder would get a thousand. Instead:
 *
 * - deficit d = targetSeeders - seeders: the copies the swarm still needs. A node counts itself
 *   once it holds a torrent (the planner excludes our own copy from the counts, and a held
 *   torrent is never subject to the draw: we already are one of its seeders).
 * - each node draws u = hash(nodeId, infoHash, seeders, epoch) in [0, 1): the same draw every
 *   tick while the swarm's count stays the same within a redraw interval, different across
 *   nodes (rendezvous hashing), and a fresh one once the count changes or the interval turns,
 *   so a deficit left after one interval gets new takers.
 * - with E = expectedNodes (smartnodes assumed to see the same counts in the same interval,
 *   this one included), a node takes the torrent when u < p = min(1, HERD_SHARE x d / E):
 *   about half the deficit is taken per interval. The probability falls as more nodes would
 *   also take it.
 * - factor = designated ? 1 - jitter x u : 0. A node that is not designated leaves the torrent
 *   to the others this interval (a small positive value would not do: a node with room to
 *   spare takes anything of positive value, and all such nodes would take the same ones). The
 *   small jitter breaks exact ties differently on every node.
 *
 * E = 1 (the default) means "no other smartnode is known": p = 1, nothing is left to others and
 * only the jitter acts, so a lone node decides as without herd avoidance (ties aside). Set E to
 * the number of smartnodes expected on the same feeds; erring high only slows filling (the
 * simulation in test/sim/herd.test.ts: E at 2x the true count still spreads, at 1/2 a few
 * swarms overshoot 2x their target, at 1/4 many do).
 */
import type { HerdFactor, PopulationObservation, SignalScoring } from './types.js';

/** FNV-1a over the UTF-16 code units, then murmur3's fmix32 for avalanche; [0, 1). */
export function herdDraw(nodeId: string, infoHash: string): number {
  return finish(fnv(nodePrefix(nodeId), infoHash));
}

/** herdDraw(nodeId, `${key}:${seeders}:${epoch}`) without building the string (one per candidate per tick). */
export function herdDrawFor(nodeId: string, key: string, seeders: number, epoch: number): number {
  let h = fnv(nodePrefix(nodeId), key);
  h = Math.imul(h ^ 0x3a, 0x01000193);
  h = fnvNumber(h, seeders);
  h = Math.imul(h ^ 0x3a, 0x01000193);
  return finish(fnvNumber(h, epoch));
}

/** fnv(state, String(n)), a whole number's decimal digits read without building the string. */
const digits = new Uint8Array(16);
function fnvNumber(state: number, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) return fnv(state, String(n));
  let count = 0;
  let rest = n;
  // Small numbers (counts, hourly epochs) in 32-bit integer steps.
  if (rest <= 0x7fffffff) {
    rest |= 0;
    do {
      const q = (rest / 10) | 0;
      digits[count++] = rest - q * 10;
      rest = q;
    } while (rest > 0);
  } else {
    do {
      const d = rest % 10;
      digits[count++] = d;
      rest = (rest - d) / 10;
    } while (rest > 0);
  }
  let h = state;
  while (count > 0) h = Math.imul(h ^ (48 + (digits[--count] as number)), 0x01000193);
  return h;
}

// The node id's part of the hash is the same for every draw of a node: kept for the last id.
let lastNodeId: string | null = null;
let lastNodeState = 0;
function nodePrefix(nodeId: string): number {
  if (nodeId !== lastNodeId) {
    lastNodeState = Math.imul(fnv(0x811c9dc5, nodeId) ^ 0x3a, 0x01000193);
    lastNodeId = nodeId;
  }
  return lastNodeState;
}

function fnv(state: number, text: string): number {
  let h = state;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

function finish(state: number): number {
  let h = state;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/**
 * Each interval the nodes aim to fill this share of the deficit: the draws are independent,
 * so the number of takers varies (about Poisson with mean share x d); aiming at half keeps
 * the chance of more than doubling the target small, and the rest is filled in the next
 * intervals, when new counts give new draws.
 */
export const HERD_SHARE = 0.5;

/**
 * The take gate of a swarm never counted before (PopulationObservation.gate): the chance per
 * open copy that a node takes it. Small, so that when many nodes see a new torrent at once
 * (a feed's new item, a fleet started together) few take it in the first hour: with 200 nodes,
 * about a tenth of a taker per open copy.
 */
export const GATE_START = 1 / 4096;
/** An open deficit that no new copy reaches doubles its gate this often: ~11 h from GATE_START to 1. */
export const GATE_DOUBLING_MS = 1_800_000;

/**
 * The gate after a new count of its swarm: halved (never below the start) when copies
 * arrived since the last count, doubled per GATE_DOUBLING_MS while the deficit stayed open and
 * nothing arrived, as it was otherwise. Every node reading the same counts moves its gates
 * alike, so the takers of a swarm track what that swarm shows, not any count of nodes.
 */
export function nextGate(gate: number, args: { arrived: boolean; open: boolean; elapsedMs: number }): number {
  if (args.arrived) return Math.max(GATE_START, gate / 2);
  if (!args.open || args.elapsedMs <= 0) return gate;
  return Math.min(1, gate * 2 ** (args.elapsedMs / GATE_DOUBLING_MS));
}

export interface HerdArgs {
  infoHash: string;
  seeders: number | null;
  targetSeeders: number;
  held: boolean;
  population?: PopulationObservation;
}

/**
 * A swarm never counted is uncertain, not most needed: until a scrape or an announce probe
 * counts it, a node takes it only when its own fixed draw falls under a small share: at most
 * UNCOUNTED_SHARE, and no more than half the target spread over the nodes taking the same
 * torrents, so however many read the same uncounted feed, a few commit to each torrent.
 */
export const UNCOUNTED_SHARE = 0.1;

function uncountedProbability(targetSeeders: number, expectedNodes: number): number {
  return Math.min(UNCOUNTED_SHARE, (HERD_SHARE * Math.max(1, targetSeeders)) / Math.max(1, expectedNodes));
}

/** The draw for an uncounted swarm: fixed per node and swarm, so the same nodes stay its takers. */
function uncountedDraw(nodeId: string, infoHash: string): number {
  return herdDrawFor(nodeId, infoHash, -1, 0);
}

/** The herd factor for one swarm; null when herd avoidance is off. */
export function herdFactor(args: HerdArgs, herd: SignalScoring['herd']): HerdFactor | null {
  if (!herd.enabled) return null;
  if (args.seeders === null) {
    const draw = uncountedDraw(herd.nodeId, args.infoHash);
    const probability = args.held ? 1 : uncountedProbability(args.targetSeeders, herd.expectedNodes);
    const designated = draw < probability;
    const factor = args.held ? 1 : designated ? designatedFactor(draw, herd.jitter) : 0;
    return {
      deficit: 0,
      onTheirWay: 0,
      expectedNodes: herd.expectedNodes,
      gate: null,
      slowStart: null,
      factor,
      probability,
      draw,
      designated,
      held: args.held,
    };
  }
  const deficit = Math.max(0, args.targetSeeders - args.seeders);
  const onTheirWay = onTheirWayOf(deficit, args.population);
  const slowStart = args.population?.slowStart ?? null;
  const gate = args.population?.gate ?? null;
  const expected = herd.expectedNodes;
  // Keyed on the observed count too: the same draw while the swarm does not change, a new
  // one (a new set of designated nodes) once it does or the redraw interval turns.
  const draw = herdDrawFor(herd.nodeId, args.infoHash, args.seeders, herd.epoch);
  // Object literals, not a spread of a shared base plus new keys: V8 clones such a spread
  // slowly (microseconds each) and gives each result a hidden class of its own (tens of MB
  // over a large feed), and this runs for every candidate of every tick.
  if (args.held) {
    return { deficit, onTheirWay, expectedNodes: expected, gate, slowStart, factor: 1, probability: 1, draw, designated: true, held: true };
  }
  const probability = takeProbability(expected, deficit, onTheirWay, gate);
  const designated = isDesignated(slowStart, draw, probability);
  const factor = designated ? designatedFactor(draw, herd.jitter) : 0;
  return { deficit, onTheirWay, expectedNodes: expected, gate, slowStart, factor, probability, draw, designated, held: false };
}

/** Copies on their way count against the deficit, never beyond it. */
function onTheirWayOf(deficit: number, population: PopulationObservation | undefined): number {
  return Math.max(0, Math.min(deficit, population?.onTheirWay ?? 0));
}

/** Slow start's own pick replaces the draw; otherwise the draw falls under the take probability. */
function isDesignated(slowStart: PopulationObservation['slowStart'], draw: number, probability: number): boolean {
  return slowStart !== null ? slowStart === 'designated' : draw < probability;
}

/** A designated node's factor: 1, less a jitter that spreads equal scores apart. */
function designatedFactor(draw: number, jitter: number): number {
  return 1 - Math.max(0, Math.min(1, jitter)) * draw;
}

/**
 * The chance to take a swarm: half its open deficit (the deficit less copies on their way)
 * shared among the nodes seen taking the same torrents (1 for a lone node: it takes what is
 * open), or, when more, its gate times the open deficit: a deficit that no copy reaches gets
 * takers whatever the count of nodes says. Without a gate (herd memory off), only the count.
 */
function takeProbability(expected: number, deficit: number, onTheirWay: number, gate: number | null): number {
  const open = deficit - onTheirWay;
  const byCount = expected <= 1 ? 1 : Math.min(1, (HERD_SHARE * Math.max(0, open)) / expected);
  if (gate === null) return byCount;
  if (open <= 0) return 0;
  // The gate raises the count's share at most GATE_OVER_COUNT-fold: a gate grown while no
  // node had room must not send every node at once when room appears.
  return Math.max(byCount, Math.min(1, gate * open, GATE_OVER_COUNT * byCount));
}

/** How far a swarm's gate may lift its take chance above the node count's share. */
export const GATE_OVER_COUNT = 2;

/**
 * herdFactor(args, herd)?.factor, without building the factor or its arguments, and without the draw when
 * nothing can be designated (the draw is in [0, 1): never below a probability of 0). For
 * telling, for every candidate of a tick, which ones the draw leaves to others.
 */
export function herdFactorValue(
  infoHash: string,
  seeders: number | null,
  targetSeeders: number,
  held: boolean,
  population: PopulationObservation | undefined,
  herd: SignalScoring['herd'],
): number | null {
  if (!herd.enabled) return null;
  if (held) return 1;
  if (seeders === null) {
    const draw = uncountedDraw(herd.nodeId, infoHash);
    return draw < uncountedProbability(targetSeeders, herd.expectedNodes) ? designatedFactor(draw, herd.jitter) : 0;
  }
  const deficit = Math.max(0, targetSeeders - seeders);
  const onTheirWay = onTheirWayOf(deficit, population);
  const slowStart = population?.slowStart ?? null;
  const gate = population?.gate ?? null;
  const probability = takeProbability(herd.expectedNodes, deficit, onTheirWay, gate);
  if (slowStart === 'waiting' || (slowStart === null && probability <= 0)) return 0;
  const draw = herdDrawFor(herd.nodeId, infoHash, seeders, herd.epoch);
  return isDesignated(slowStart, draw, probability) ? designatedFactor(draw, herd.jitter) : 0;
}

/**
 * Copies (seeders and leechers) above this multiple of the target are a surplus: the holders
 * release some of them, so no swarm keeps twice its target while others need copies.
 */
export const SURPLUS_MULTIPLE = 2;
/** Releases aim at this multiple of the target, so one new seeder does not bring it back over. */
export const RELEASE_TO_MULTIPLE = 1.5;

export interface SurplusRelease {
  /** Seeders and leechers, this node's copy included. */
  copies: number;
  /** Seeders, this node's copy included when complete. */
  seeders: number;
  /** Chance that this holder releases now (see surplusRelease). */
  probability: number;
  draw: number;
  release: boolean;
}

/**
 * Whether this node releases its copy of a swarm with more than twice the target in copies
 * (seeders and leechers). No holder knows how many of the copies are smartnodes, so each
 * draws its own u (rendezvous hash of node, swarm, count, epoch) and releases when u < p:
 * - p = (copies - 1.5 x target) / copies releases about the excess when every copy is a
 *   smartnode's, fewer when some are not; a count that stays over gets new draws as it changes
 *   or the redraw interval turns, so it comes down over a few ticks without a crowd leaving;
 * - a complete copy also at most p = (seeders - target) / seeders: the seeders left stay at
 *   the target (a swarm of five seeders and fifty leechers needs every seeder it has);
 * - a download only when the seeders alone meet the target (it would only add a surplus).
 * Null: not over, or nothing this node may release.
 */
export function surplusRelease(args: {
  nodeId: string;
  infoHash: string;
  seeders: number;
  leechers: number;
  /** The count was observed after this node's copy was added: it includes us. */
  countsIncludeUs: boolean;
  complete: boolean;
  targetSeeders: number;
  epoch: number;
}): SurplusRelease | null {
  const mine = args.countsIncludeUs ? 0 : 1;
  const seeders = Math.max(0, args.seeders) + (args.complete ? mine : 0);
  const copies = seeders + Math.max(0, args.leechers) + (args.complete ? 0 : mine);
  const target = Math.max(1, args.targetSeeders);
  if (copies <= SURPLUS_MULTIPLE * target) return null;
  const excess = (copies - RELEASE_TO_MULTIPLE * target) / copies;
  const probability = args.complete ? Math.min(excess, (seeders - target) / seeders) : seeders >= target ? excess : 0;
  if (probability <= 0) return null;
  const draw = herdDrawFor(args.nodeId, `${args.infoHash}:release`, copies, args.epoch);
  return { copies, seeders, probability, draw, release: draw < probability };
}
