/**
 * The simulated nodes and what they hold, pure: copies start as leechers, progress while the
 * torrent has a source (the node's download rate shared by its downloads that can progress),
 * and count as seeders once complete.
 */
import { seededRandom } from '../shared/index.js';
import { hasSource, type World } from './model.js';

export interface Copy {
  torrent: number;
  doneBytes: number;
  addedAtMs: number;
  /** Last time it made progress (its add time until it first does). */
  lastProgressAtMs: number;
  complete: boolean;
}

export interface SimNode {
  index: number;
  nodeId: string;
  budgetBytes: number;
  /** The step (mod steps per tick) this node ticks at: a random phase. */
  phase: number;
  copies: Map<number, Copy>;
  usedBytes: number;
  rnd: () => number;
}

export function createNodes(w: World, seed: number, stepsPerTick: number): SimNode[] {
  const rnd = seededRandom(seed ^ 0x5bd1e995);
  const budget = (w.needBytes * w.options.diskMultiple) / Math.max(1, w.options.nodes);
  return Array.from({ length: w.options.nodes }, (_, index) => ({
    index,
    nodeId: `sim-node-${seed}-${index}`,
    budgetBytes: budget,
    phase: Math.floor(rnd() * stepsPerTick),
    copies: new Map(),
    usedBytes: 0,
    rnd: seededRandom(seed * 7919 + index + 1),
  }));
}

export function addCopy(w: World, node: SimNode, torrent: number, nowMs: number): boolean {
  if (node.copies.has(torrent)) return false;
  node.copies.set(torrent, { torrent, doneBytes: 0, addedAtMs: nowMs, lastProgressAtMs: nowMs, complete: false });
  node.usedBytes += w.sizes[torrent] ?? 0;
  w.nodeLeeching[torrent] = (w.nodeLeeching[torrent] ?? 0) + 1;
  return true;
}

export function removeCopy(w: World, node: SimNode, torrent: number): boolean {
  const copy = node.copies.get(torrent);
  if (copy === undefined) return false;
  node.copies.delete(torrent);
  node.usedBytes -= w.sizes[torrent] ?? 0;
  if (copy.complete) w.nodeComplete[torrent] = (w.nodeComplete[torrent] ?? 0) - 1;
  else w.nodeLeeching[torrent] = (w.nodeLeeching[torrent] ?? 0) - 1;
  return true;
}

/** Moves every download on by one step; returns the bytes downloaded. */
export function stepDownloads(w: World, nodes: readonly SimNode[], nowMs: number, stepMs: number): number {
  const sourced = new Uint8Array(w.sizes.length);
  for (let i = 0; i < sourced.length; i++) sourced[i] = hasSource(w, i) ? 1 : 0;
  let total = 0;
  const finished: number[] = [];
  for (const node of nodes) {
    const active: Copy[] = [];
    for (const c of node.copies.values()) if (!c.complete && sourced[c.torrent] === 1) active.push(c);
    if (active.length === 0) continue;
    // The node's rate, shared; what one download cannot use goes to the others.
    let budget = w.options.nodeDownloadBytesPerSec * (stepMs / 1000);
    active.sort((a, b) => (w.sizes[a.torrent] ?? 0) - a.doneBytes - ((w.sizes[b.torrent] ?? 0) - b.doneBytes));
    for (let k = 0; k < active.length; k++) {
      const c = active[k] as Copy;
      const share = budget / (active.length - k);
      const left = (w.sizes[c.torrent] ?? 0) - c.doneBytes;
      const got = Math.min(left, share);
      c.doneBytes += got;
      budget -= got;
      total += got;
      if (got > 0) c.lastProgressAtMs = nowMs;
      if (c.doneBytes >= (w.sizes[c.torrent] ?? 0)) {
        c.complete = true;
        finished.push(c.torrent);
      }
    }
  }
  for (const t of finished) {
    w.nodeLeeching[t] = (w.nodeLeeching[t] ?? 0) - 1;
    w.nodeComplete[t] = (w.nodeComplete[t] ?? 0) + 1;
    w.completed[t] = (w.completed[t] ?? 0) + 1;
  }
  return total;
}
