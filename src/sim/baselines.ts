/**
 * The shipped scripts smartnode is compared with, as their documentation describes them,
 * each seeing the same tracker counts (the last scrape) a node sees:
 * - add-all-that-fits (Academic Torrents' script): in feed order, size < 100 GB and free space
 *   > 2x the size; daily; never removes.
 * - Anna's Archive's list generator: score = (seeders + 0.1 x leechers) x avg_size / size +
 *   U(0, 2) over torrents with seeders > 0, greedy to the budget; daily (the list replaces what
 *   is held) or once.
 * - libgen-seedtools: 1 <= seeders <= 3 in feed order, greedy; daily; never removes.
 * - uniform random: a random order, greedy to the budget, once; never removes.
 * A torrent whose scrape fails (never counted) is one the scripts that read counts skip.
 */
import { seenSeeders, type World } from './model.js';
import type { SimNode } from './nodes.js';

export interface TickChoice {
  add: number[];
  remove: number[];
}

export interface Strategy {
  name: string;
  tick(node: SimNode, w: World, nowMs: number): TickChoice;
  /** The node left and an empty one took its place: drop what was kept for it. */
  forget?(nodeIndex: number): void;
}

const DAY_MS = 86_400_000;
const NOTHING: TickChoice = { add: [], remove: [] };

/** Runs `decide` at a node's first tick and then once per `everyMs` (Infinity: once). */
export function periodic(name: string, everyMs: number, decide: (node: SimNode, w: World, nowMs: number) => TickChoice): Strategy {
  const last = new Map<number, number>();
  return {
    name,
    tick(node, w, nowMs) {
      const at = last.get(node.index);
      if (at !== undefined && nowMs - at < everyMs) return NOTHING;
      last.set(node.index, nowMs);
      return decide(node, w, nowMs);
    },
    forget(nodeIndex) {
      last.delete(nodeIndex);
    },
  };
}

function greedy(node: SimNode, w: World, order: readonly number[], fits: (i: number, free: number) => boolean): number[] {
  let free = node.budgetBytes - node.usedBytes;
  const add: number[] = [];
  for (const i of order) {
    if (node.copies.has(i)) continue;
    const size = w.sizes[i] ?? 0;
    if (!fits(i, free)) continue;
    add.push(i);
    free -= size;
  }
  return add;
}

const feedOrder = (w: World): number[] => Array.from({ length: w.sizes.length }, (_, i) => i);

export function addAllThatFits(): Strategy {
  return periodic('add-all-that-fits', DAY_MS, (node, w) => ({
    add: greedy(node, w, feedOrder(w), (i, free) => (w.sizes[i] ?? 0) < 100e9 && free > 2 * (w.sizes[i] ?? 0)),
    remove: [],
  }));
}

export function annasArchive(mode: 'daily' | 'once'): Strategy {
  return periodic(mode === 'daily' ? 'annas-archive-daily' : 'annas-archive-once', mode === 'daily' ? DAY_MS : Infinity, (node, w) => {
    const n = w.sizes.length;
    let avg = 0;
    for (let i = 0; i < n; i++) avg += (w.sizes[i] ?? 0) / n;
    const scored: Array<{ i: number; score: number }> = [];
    for (let i = 0; i < n; i++) {
      const s = seenSeeders(w, i);
      if (s === null || s <= 0) continue;
      scored.push({ i, score: ((s + 0.1 * (w.scrape.leechers[i] ?? 0)) * avg) / (w.sizes[i] ?? 1) + 2 * node.rnd() });
    }
    scored.sort((a, b) => b.score - a.score);
    // The list is the whole budget: what is held and not on it goes.
    const list = new Set<number>();
    let room = node.budgetBytes;
    for (const { i } of scored) {
      const size = w.sizes[i] ?? 0;
      if (size > room) continue;
      list.add(i);
      room -= size;
    }
    return { add: [...list].filter((i) => !node.copies.has(i)), remove: [...node.copies.keys()].filter((i) => !list.has(i)) };
  });
}

export function libgenSeedtools(): Strategy {
  return periodic('libgen-seedtools', DAY_MS, (node, w) => ({
    add: greedy(node, w, feedOrder(w), (i, free) => {
      const s = seenSeeders(w, i);
      return s !== null && s >= 1 && s <= 3 && (w.sizes[i] ?? 0) <= free;
    }),
    remove: [],
  }));
}

export function uniformRandom(): Strategy {
  return periodic('uniform-random', Infinity, (node, w) => {
    const order = feedOrder(w);
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(node.rnd() * (k + 1));
      [order[k], order[j]] = [order[j] as number, order[k] as number];
    }
    return { add: greedy(node, w, order, (i, free) => (w.sizes[i] ?? 0) <= free), remove: [] };
  });
}

export function noNodes(): Strategy {
  return { name: 'no-smartnodes', tick: () => NOTHING };
}
