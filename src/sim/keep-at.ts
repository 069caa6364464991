/**
 * keep-at's selection (github.com/tweedge/keep-at, docs/DESIGN.md and internal/selector) as a
 * baseline strategy. Each scan (at start, then weekly: its default scan interval) it takes the
 * catalogue torrents it does not hold whose scrape answered, keeps those with a live seeder,
 * and walks them fewest seeders first (then smallest; ties in a shuffled catalogue order). A
 * candidate that fits the free disk is taken with probability
 * aggressiveness ^ max(0, seeders - x), aggressiveness 0.6, x the 10th-percentile (nearest
 * rank) seeder count over the candidates with a seeder in the previous scan (1 before any
 * scan). One that does not fit, or lost its roll, may displace held torrents that each have at
 * least 2 (the seed margin) more seeders than it, most seeded first until their sizes cover
 * it, after a roll of its own. A held download with no seeder and no progress for two weeks
 * is dropped at a scan; nothing else is released. Left out: the RAM-bound torrent cap (ample
 * memory assumed), compression, the moderation delay (every torrent is old enough).
 */
import { periodic, type Strategy, type TickChoice } from './baselines.js';
import { seenSeeders, type World } from './model.js';
import type { SimNode } from './nodes.js';

export const KEEP_AT_AGGRESSIVENESS = 0.6;
const SCAN_MS = 7 * 86_400_000;
const SEED_MARGIN = 2;
const STALL_MS = 14 * 86_400_000;

/** keep-at's gate: the chance it takes a candidate with `seeders`, given the floor x (both read as at least 1). */
export function keepAtChance(seeders: number, floor: number, aggressiveness = KEEP_AT_AGGRESSIVENESS): number {
  return aggressiveness ** Math.max(0, Math.max(1, seeders) - Math.max(1, floor));
}

/** The p10 seeder floor: the nearest-rank 10th percentile of the counts above zero (0 when none is). */
export function seederFloorOf(counts: readonly number[]): number {
  const seeded = counts.filter((c) => c > 0).sort((a, b) => a - b);
  if (seeded.length === 0) return 0;
  return seeded[Math.ceil(seeded.length / 10) - 1] as number;
}

interface Held {
  torrent: number;
  size: number;
  seeders: number;
}

export function keepAt(): Strategy {
  const floors = new Map<number, number>();
  const lastKnown = new Map<number, Map<number, number>>();
  const scans = periodic('keep-at', SCAN_MS, (node, w, nowMs) => {
    const known = lastKnown.get(node.index) ?? new Map<number, number>();
    lastKnown.set(node.index, known);
    const { choice, floor } = scan(node, w, nowMs, floors.get(node.index) ?? 0, known);
    floors.set(node.index, floor);
    return choice;
  });
  return {
    name: 'keep-at',
    tick: (node, w, nowMs) => scans.tick(node, w, nowMs),
    forget(nodeIndex) {
      scans.forget?.(nodeIndex);
      floors.delete(nodeIndex);
      lastKnown.delete(nodeIndex);
    },
  };
}

/** One scan of one node: what it adds and removes, and the floor its next scan gates with. */
function scan(node: SimNode, w: World, nowMs: number, floor: number, known: Map<number, number>): { choice: TickChoice; floor: number } {
  const held = new Map<number, Held>();
  const remove: number[] = [];
  for (const c of node.copies.values()) {
    const s = seenSeeders(w, c.torrent);
    if (s !== null) known.set(c.torrent, s);
    const seeders = known.get(c.torrent) ?? 0;
    if (!c.complete && seeders === 0 && nowMs - c.lastProgressAtMs >= STALL_MS) remove.push(c.torrent);
    else held.set(c.torrent, { torrent: c.torrent, size: w.sizes[c.torrent] ?? 0, seeders });
  }
  // The catalogue in a shuffled order; the torrents whose scrape answered are evaluated.
  const order = Array.from({ length: w.sizes.length }, (_, i) => i);
  for (let k = order.length - 1; k > 0; k--) {
    const j = Math.floor(node.rnd() * (k + 1));
    [order[k], order[j]] = [order[j] as number, order[k] as number];
  }
  const evaluated: Held[] = [];
  for (const i of order) {
    const s = seenSeeders(w, i);
    if (s !== null && !node.copies.has(i)) evaluated.push({ torrent: i, size: w.sizes[i] ?? 0, seeders: s });
  }
  const ranked = evaluated.filter((c) => c.seeders >= 1).sort((a, b) => a.seeders - b.seeders || a.size - b.size);
  let free = node.budgetBytes - node.usedBytes + remove.reduce((a, t) => a + (w.sizes[t] ?? 0), 0);
  const added = new Set<number>();
  for (const c of ranked) {
    if (c.size <= free && node.rnd() < keepAtChance(c.seeders, floor)) {
      held.set(c.torrent, c);
      added.add(c.torrent);
      free -= c.size;
      continue;
    }
    const displaced = displaceable([...held.values()], c);
    if (displaced === null || node.rnd() >= keepAtChance(c.seeders, floor)) continue;
    for (const d of displaced) {
      held.delete(d.torrent);
      if (added.has(d.torrent)) added.delete(d.torrent);
      else remove.push(d.torrent);
      free += d.size;
    }
    held.set(c.torrent, c);
    added.add(c.torrent);
    free -= c.size;
  }
  for (const t of remove) known.delete(t);
  for (const t of added) known.set(t, held.get(t)?.seeders ?? 0);
  return { choice: { add: [...added], remove }, floor: seederFloorOf(evaluated.map((c) => c.seeders)) };
}

/** Held torrents with at least the seed margin more seeders than the candidate, most seeded first, until they cover its size. */
function displaceable(held: Held[], candidate: Held): Held[] | null {
  const qualifying = held.filter((h) => h.seeders - SEED_MARGIN >= candidate.seeders).sort((a, b) => b.seeders - a.seeders);
  const out: Held[] = [];
  let covered = 0;
  for (const h of qualifying) {
    if (covered >= candidate.size) break;
    out.push(h);
    covered += h.size;
  }
  return covered >= candidate.size && out.length > 0 ? out : null;
}
