/**
 * The simulated nodes and what they hold, pure: copies start as leechers, progress while the
 * torrent has a source (the node's download rate shared by its downloads that can progress),
 * and count as seeders once complete. These functions change only the node; the world's
 * per-torrent counts follow from what they return (shard.ts reports it, run.ts applies it),
 * so nodes can live in other threads than the world.
 */
import { seededRandom } from '../shared/index.js';
import { SIM_START_MS, type World } from './model.js';

export interface Copy {
  torrent: number;
  doneBytes: number;
  addedAtMs: number;
  /** Last time it made progress (its add time until it first does). */
  lastProgressAtMs: number;
  complete: boolean;
  /** Increases with every copy added: a copy's place in its node's `copies` (insertion order). */
  seq: number;
}

export interface SimNode {
  index: number;
  nodeId: string;
  budgetBytes: number;
  /** The step (mod steps per tick) this node ticks at: a random phase. */
  phase: number;
  /** When the node first ticks (its volunteer's arrival), and how many times its place was taken by a new, empty node. */
  startMs: number;
  generation: number;
  copies: Map<number, Copy>;
  /**
   * The copies not yet complete, in any order: a step moves only these on, so its cost follows
   * the downloads under way, not everything the node holds. Kept in the order the last step
   * sorted them, so the next step's sort finds them (almost) in order.
   */
  downloading: Copy[];
  usedBytes: number;
  rnd: () => number;
}

export function createNodes(w: World, seed: number, stepsPerTick: number): SimNode[] {
  const rnd = seededRandom(seed ^ 0x5bd1e995);
  const arrivals = seededRandom(seed * 977 + 3);
  const budget = (w.needBytes * w.options.diskMultiple) / Math.max(1, w.options.nodes);
  return Array.from({ length: w.options.nodes }, (_, index) => ({
    index,
    nodeId: nodeIdOf(seed, index, 0),
    budgetBytes: budget,
    phase: Math.floor(rnd() * stepsPerTick),
    startMs: SIM_START_MS + Math.floor(arrivals() * w.options.arrivalDays * 86_400_000),
    generation: 0,
    copies: new Map(),
    downloading: [],
    usedBytes: 0,
    rnd: seededRandom(seed * 7919 + index + 1),
  }));
}

/** In a mixed population, whether node `index` runs the other strategy: `share` of the nodes, spread evenly over the indexes. */
export function runsOther(options: Pick<World['options'], 'mixed'>, index: number): boolean {
  const share = options.mixed?.share ?? 0;
  return share > 0 && Math.floor((index + 1) * share) > Math.floor(index * share);
}

function nodeIdOf(seed: number, index: number, generation: number): string {
  return generation === 0 ? `sim-node-${seed}-${index}` : `sim-node-${seed}-${index}-${generation}`;
}

/**
 * The node leaves with its data and an empty node takes its place from `nowMs` (a new volunteer:
 * a new id, nothing held); returns the copies that went.
 */
export function replaceNode(node: SimNode, seed: number, nowMs: number): Copy[] {
  const gone = [...node.copies.values()];
  node.copies.clear();
  node.downloading.length = 0;
  node.usedBytes = 0;
  node.generation++;
  node.nodeId = nodeIdOf(seed, node.index, node.generation);
  node.startMs = nowMs;
  return gone;
}

let nextSeq = 0;

/** Starts a download; false when the node already holds the torrent. */
export function addCopy(sizes: Float64Array, node: SimNode, torrent: number, nowMs: number): boolean {
  if (node.copies.has(torrent)) return false;
  const copy: Copy = { torrent, doneBytes: 0, addedAtMs: nowMs, lastProgressAtMs: nowMs, complete: false, seq: nextSeq++ };
  node.copies.set(torrent, copy);
  node.downloading.push(copy);
  node.usedBytes += sizes[torrent] ?? 0;
  return true;
}

/** Drops a copy; returns it (complete or not), or undefined when the node did not hold it. */
export function removeCopy(sizes: Float64Array, node: SimNode, torrent: number): Copy | undefined {
  const copy = node.copies.get(torrent);
  if (copy === undefined) return undefined;
  node.copies.delete(torrent);
  if (!copy.complete) node.downloading.splice(node.downloading.indexOf(copy), 1);
  node.usedBytes -= sizes[torrent] ?? 0;
  return copy;
}

/** The active downloads of the node being stepped: one array reused, no garbage per node-step. */
const ACTIVE: Copy[] = [];

function byLeft(a: Copy, b: Copy, sizes: Float64Array): number {
  const la = (sizes[a.torrent] ?? 0) - a.doneBytes;
  const lb = (sizes[b.torrent] ?? 0) - b.doneBytes;
  return la < lb ? -1 : la > lb ? 1 : a.seq - b.seq;
}

function inOrder(copies: readonly Copy[], sizes: Float64Array): boolean {
  for (let k = 1; k < copies.length; k++) if (byLeft(copies[k - 1] as Copy, copies[k] as Copy, sizes) > 0) return false;
  return true;
}

/**
 * Moves one node's downloads on by one step (`sourced[t]` = 1: torrent t has a source now);
 * pushes the torrents it completed onto `finished` and returns the bytes downloaded.
 */
export function stepNodeDownloads(
  sizes: Float64Array,
  node: SimNode,
  sourced: Uint8Array,
  rateBytesPerSec: number,
  nowMs: number,
  stepMs: number,
  finished: number[],
): number {
  const downloading = node.downloading;
  if (downloading.length === 0) return 0;
  // The downloads with a source, the others after them (a step changes only the first ones).
  const active = ACTIVE;
  active.length = 0;
  let waiting = 0;
  for (let k = 0; k < downloading.length; k++) {
    const c = downloading[k] as Copy;
    if (sourced[c.torrent] === 1) active.push(c);
    else downloading[waiting++] = c;
  }
  if (active.length === 0) return 0;
  // Smallest left first, by bytes left and then by place among the node's copies: the order a
  // stable sort of them in the node's order by bytes left gives. Usually in that order already.
  if (!inOrder(active, sizes)) active.sort((a, b) => byLeft(a, b, sizes));
  let total = 0;
  // The node's rate, shared; what one download cannot use goes to the others.
  let budget = rateBytesPerSec * (stepMs / 1000);
  for (let k = 0; k < active.length; k++) {
    const c = active[k] as Copy;
    const share = budget / (active.length - k);
    const left = (sizes[c.torrent] ?? 0) - c.doneBytes;
    const got = Math.min(left, share);
    c.doneBytes += got;
    budget -= got;
    total += got;
    if (got > 0) c.lastProgressAtMs = nowMs;
    if (c.doneBytes >= (sizes[c.torrent] ?? 0)) {
      c.complete = true;
      finished.push(c.torrent);
    }
  }
  // The waiting ones moved to the front; the active ones that did not complete follow, in order.
  downloading.length = waiting;
  for (let k = 0; k < active.length; k++) {
    const c = active[k] as Copy;
    if (!c.complete) downloading.push(c);
  }
  active.length = 0;
  return total;
}
