/**
 * Herd avoidance, simulated: 200 independent planners (different node ids, no coordinator)
 * read the same 1,000 torrents. Each round every node plans from the same snapshot of one
 * shared swarm model (as nodes do that scrape the same tracker in the same interval), then the
 * model is updated with every node's adds and removes (a node's copy is complete at once).
 * With herd avoidance on, seeders end up spread: no torrent over twice its target while others
 * sit at 0. With it off, every node picks the same torrents and they are piled onto.
 */
import { describe, expect, it } from 'vitest';
import { planMirror } from '../../src/plan/index.js';
import { DEFAULT_SIGNALS, withSignals } from '../../src/plan/score.js';
import { FIXED_NOW_MS, GB, aPlanPolicy, hashOf } from '../../src/plan/testing.js';
import type { Candidate, HeldTorrent, PlanPolicy } from '../../src/plan/types.js';
import type { InfoHash } from '../../src/shared/index.js';
import { seededRandom } from '../../src/shared/random.js';

const NODES = 200;
const TORRENTS = 1000;
const TARGET = 5;
const ROUNDS = 4;

const prng = seededRandom;

interface World {
  hashes: InfoHash[];
  sizes: number[];
  seeders: number[];
  leechers: number[];
}

function makeWorld(seed: number): World {
  const rnd = prng(seed);
  const hashes: InfoHash[] = [];
  const sizes: number[] = [];
  const seeders: number[] = [];
  const leechers: number[] = [];
  for (let i = 0; i < TORRENTS; i++) {
    hashes.push(hashOf(i + 1));
    sizes.push(Math.round(GB * Math.exp(rnd() * Math.log(20)))); // 1..20 GB, log-uniform
    seeders.push(Math.floor(rnd() * TARGET)); // 0..4
    leechers.push(Math.floor(rnd() * 10));
  }
  return { hashes, sizes, seeders, leechers };
}

function simulate(herdOn: boolean, expectedNodes: number, seed = 1): number[] {
  const world = makeWorld(seed);
  const seeders = [...world.seeders];
  const holdings: Set<number>[] = Array.from({ length: NODES }, () => new Set<number>());
  const index = new Map(world.hashes.map((h, i) => [h, i]));
  for (let round = 0; round < ROUNDS; round++) {
    const nowMs = FIXED_NOW_MS + round * 3_600_000;
    const snapshot = [...seeders];
    const changes: { node: number; add: number[]; remove: number[] }[] = [];
    for (let n = 0; n < NODES; n++) {
      const policy: PlanPolicy = aPlanPolicy({
        maxBytes: 40 * GB,
        maxAddsPerTick: 100,
        scoring: {
          targetSeeders: TARGET,
          leecherWeight: 0.25,
          replaceMargin: 0.2,
          minSeedTimeMs: 72 * 3_600_000,
          signals: {
            ...DEFAULT_SIGNALS,
            herd: { enabled: herdOn, nodeId: `node-${n}`, expectedNodes, jitter: 0.02, redrawIntervalMs: 3_600_000, epoch: round },
          },
        },
      });
      const candidates: Candidate[] = world.hashes.map((infoHash, i) => ({
        infoHash,
        name: `t${i}`,
        sizeBytes: world.sizes[i] ?? GB,
        feedIds: ['feed-a'],
        counts: {
          seeders: snapshot[i] ?? 0,
          leechers: world.leechers[i] ?? 0,
          completed: null,
          source: 'scrape',
          observedAtMs: nowMs - 1,
          origin: 'sim',
        },
        signals: { infoHash, geo: null, slow: null },
      }));
      const held: HeldTorrent[] = [...(holdings[n] ?? [])].map((i) => ({
        infoHash: world.hashes[i] as InfoHash,
        name: `t${i}`,
        sizeBytes: world.sizes[i] ?? GB,
        leftUntilDoneBytes: 0,
        isOwned: true,
        addedAtMs: nowMs - 3_600_000 / 2,
        feedIds: ['feed-a'],
      }));
      const plan = planMirror({ candidates: withSignals(candidates), held, policy, nowMs, diskFreeBytes: null });
      const desired = new Set(plan.desired.map((h) => index.get(h) ?? -1));
      const mine = holdings[n] ?? new Set<number>();
      changes.push({ node: n, add: [...desired].filter((i) => !mine.has(i)), remove: [...mine].filter((i) => !desired.has(i)) });
    }
    for (const c of changes) {
      const mine = holdings[c.node] ?? new Set<number>();
      for (const i of c.add) {
        mine.add(i);
        seeders[i] = (seeders[i] ?? 0) + 1;
      }
      for (const i of c.remove) {
        mine.delete(i);
        seeders[i] = (seeders[i] ?? 0) - 1;
      }
    }
  }
  return seeders;
}

function summary(seeders: readonly number[]) {
  return {
    over2x: seeders.filter((s) => s > 2 * TARGET).length,
    atZero: seeders.filter((s) => s === 0).length,
    max: Math.max(...seeders),
    copiesAdded: seeders.reduce((a, b) => a + b, 0),
  };
}

describe('herd avoidance over 200 independent planners and 1,000 torrents', () => {
  it('spreads the seeders: no torrent over 2x its target while others sit at 0', () => {
    const before = summary(makeWorld(1).seeders);
    const after = summary(simulate(true, NODES));
    expect(before.atZero).toBeGreaterThan(100);
    // Nodes used their room: most of the zero-seeder torrents got copies.
    expect(after.atZero).toBeLessThan(before.atZero / 4);
    expect(after.copiesAdded - before.copiesAdded).toBeGreaterThan(NODES * 3);
    if (after.atZero > 0) expect(after.over2x).toBe(0);
    expect(after.max).toBeLessThanOrEqual(2 * TARGET);
  }, 120_000);

  it('still spreads when the nodes overestimate their number twice', () => {
    const after = summary(simulate(true, 2 * NODES));
    expect(after.over2x).toBe(0);
    expect(after.atZero).toBeLessThan(summary(makeWorld(1).seeders).atZero / 2);
  }, 120_000);

  it('without it, the nodes pile onto the same torrents while others sit at 0', () => {
    const after = summary(simulate(false, NODES));
    expect(after.over2x).toBeGreaterThan(0);
    expect(after.atZero).toBeGreaterThan(0);
    expect(after.max).toBeGreaterThan(4 * TARGET);
  }, 120_000);
});
