import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidate, HeldTorrent } from '../plan/index.js';
import { FIXED_NOW_MS, GB, HOUR_MS, aCandidate, aCounts, aHeld, hashOf } from '../plan/testing.js';
import { initialDecideMemory, largestKeys, observePopulation, type HerdMemory } from './population.js';

const swarm = (n: number, seeders: number, leechers: number, atMs: number): Candidate =>
  aCandidate({ infoHash: hashOf(n), sizeBytes: GB, counts: aCounts({ seeders, leechers, observedAtMs: atMs }) });

function step(memory: HerdMemory, candidates: Candidate[], held: HeldTorrent[], nowMs: number) {
  return observePopulation(memory, { candidates, held, nodeId: 'node-a', targetSeeders: 5, slowStartAdds: 2, nowMs });
}

describe('observePopulation', () => {
  it('estimates the competing nodes from copies above the usual level against its own, rising at once and falling slowly', () => {
    const t0 = FIXED_NOW_MS;
    let m = step(
      initialDecideMemory().herd,
      [1, 2, 3, 4].map((n) => swarm(n, 1, 0, t0)),
      [],
      t0,
    ).next;
    // We took torrent 1; the next count shows 3 more copies there and 2 on each of the others
    // (less the usual rise of 0.25 an hour): 1.75 x 4 others for our 1, about 8 nodes.
    const held = [aHeld({ infoHash: hashOf(1), addedAtMs: t0 + 1, leftUntilDoneBytes: GB })];
    const t1 = t0 + HOUR_MS;
    const r = step(m, [swarm(1, 1, 3, t1), swarm(2, 1, 2, t1), swarm(3, 1, 2, t1), swarm(4, 1, 2, t1)], held, t1 + 1);
    expect(r.view.mineOnTheirWay).toBe(1);
    expect(r.view.competitors).toBeCloseTo(8);
    m = r.next;
    // A quiet swarm later: the estimate falls, but slowly (half-life of a day).
    const t2 = t1 + 6 * HOUR_MS;
    const quiet = step(
      m,
      [swarm(1, 2, 3, t2), swarm(2, 1, 2, t2), swarm(3, 1, 2, t2), swarm(4, 1, 2, t2)],
      [{ ...held[0]!, addedAtMs: t2 - 1, leftUntilDoneBytes: GB }],
      t2 + 1,
    );
    expect(quiet.view.competitors).toBeLessThan(r.view.competitors);
    expect(quiet.view.competitors).toBeGreaterThan(r.view.competitors * 0.8);
  });

  it('measures its own copy as long as the copies that came with it, so a steady population reads steady', () => {
    // Every hour 4 new swarms get 5 copies each, one of them ours: 20 nodes, each taking one.
    // Their excess fades over some 20 hours while new ones arrive; each count must say about 20.
    const t0 = FIXED_NOW_MS;
    const at = (h: number) => t0 + h * HOUR_MS;
    let m = step(initialDecideMemory().herd, [], [], t0).next;
    const held: HeldTorrent[] = [];
    const estimates: number[] = [];
    for (let h = 1; h <= 16; h++) {
      // Swarms of batch b (4b .. 4b+3) are first counted empty at hour b, full from hour b + 1.
      const swarms: Candidate[] = [];
      for (let b = 0; b <= h; b++) for (let i = 0; i < 4; i++) swarms.push(swarm(4 * b + i, 0, b < h ? 5 : 0, at(h)));
      held.push(aHeld({ infoHash: hashOf(4 * (h - 1)), addedAtMs: at(h - 1) + 1, leftUntilDoneBytes: GB }));
      const r = step(m, swarms, held, at(h) + 1);
      estimates.push(r.view.competitors);
      m = r.next;
    }
    // Counting ours only for a few hours while the others' copies stay in the excess would
    // have read 40 and more by the end.
    for (const e of estimates.slice(1)) {
      expect(e).toBeGreaterThan(15);
      expect(e).toBeLessThan(25);
    }
  });

  it('takes no measurement from less than one copy of its own: unrelated churn does not move the estimate', () => {
    const t0 = FIXED_NOW_MS;
    let m = step(
      initialDecideMemory().herd,
      [1, 2, 3].map((n) => swarm(n, 2, 0, t0)),
      [],
      t0,
    ).next;
    // External seeders arrive on swarms we do not hold: no copy of ours, no sample, only the slow idle decay.
    const r = step(
      m,
      [1, 2, 3].map((n) => swarm(n, 6, 0, t0 + HOUR_MS)),
      [],
      t0 + HOUR_MS + 1,
    );
    expect(r.view.competitors).toBe(1);
    expect(r.next.lastSample).toBeNull();
    m = r.next;
  });

  it('counts leechers above the usual level as copies on their way, and keeps counting them while they cannot finish', () => {
    const t0 = FIXED_NOW_MS;
    let m = step(initialDecideMemory().herd, [swarm(1, 0, 1, t0)], [aHeld({ infoHash: hashOf(9) })], t0).next;
    for (let h = 1; h <= 12; h++) {
      const r = step(m, [swarm(1, 0, 4, t0 + h * HOUR_MS)], [aHeld({ infoHash: hashOf(9) })], t0 + h * HOUR_MS + 1);
      m = r.next;
      expect(r.observations.get(hashOf(1))?.onTheirWay).toBeGreaterThanOrEqual(3 - Math.ceil(h / 24));
    }
  });

  it('counts every leecher of a swarm with no source as a copy waiting in place, however long it waits', () => {
    const t0 = FIXED_NOW_MS;
    let m = step(initialDecideMemory().herd, [swarm(1, 0, 4, t0)], [aHeld({ infoHash: hashOf(9) })], t0).next;
    for (let h = 1; h <= 48; h++)
      m = step(m, [swarm(1, 0, 4, t0 + h * HOUR_MS)], [aHeld({ infoHash: hashOf(9) })], t0 + h * HOUR_MS + 1).next;
    const late = step(
      m,
      [swarm(1, 0, 4, t0 + 49 * HOUR_MS), swarm(2, 1, 4, t0 + 49 * HOUR_MS)],
      [aHeld({ infoHash: hashOf(9) })],
      t0 + 49 * HOUR_MS + 1,
    );
    expect(late.observations.get(hashOf(1))?.onTheirWay).toBe(4);
    // A seeder is a source: its leechers are ordinary demand, not copies on their way.
    expect(late.observations.get(hashOf(2))?.onTheirWay ?? 0).toBe(0);
  });

  it("does not take its own download, or the tracker's memory of it after a removal, for another's copy on its way", () => {
    const t0 = FIXED_NOW_MS;
    const none: HeldTorrent[] = [];
    let m = step(initialDecideMemory().herd, [swarm(1, 3, 0, t0)], none, t0).next;
    // Held: the tracker lists our copy as a leecher (downloading, or an entry it has not dropped yet).
    const held = [aHeld({ infoHash: hashOf(1), addedAtMs: t0 + 1, leftUntilDoneBytes: 0 })];
    m = step(m, [swarm(1, 4, 1, t0 + HOUR_MS)], held, t0 + HOUR_MS + 1).next;
    // Removed, and the next scrape still has the leecher entry: no copy of anyone else is coming.
    const after = step(m, [swarm(1, 3, 1, t0 + 2 * HOUR_MS)], none, t0 + 2 * HOUR_MS + 1);
    expect(after.observations.get(hashOf(1))?.onTheirWay ?? 0).toBe(0);
    // A leecher that arrives after that is another's download again.
    const later = step(after.next, [swarm(1, 3, 3, t0 + 3 * HOUR_MS)], none, t0 + 3 * HOUR_MS + 1);
    expect(later.observations.get(hashOf(1))?.onTheirWay).toBe(2);
  });

  it('an empty mirror starts slowly: a few needy torrents drawn, the rest wait; a lone node with some held does not', () => {
    const candidates = Array.from({ length: 20 }, (_, i) => swarm(i + 1, i % 5, 0, FIXED_NOW_MS));
    const empty = step(initialDecideMemory().herd, candidates, [], FIXED_NOW_MS);
    const states = [...empty.observations.values()].map((o) => o.slowStart);
    expect(states.filter((s) => s === 'designated')).toHaveLength(2);
    expect(states.filter((s) => s === 'waiting').length).toBeGreaterThan(10);
    expect(empty.view.slowStartAdds).toBe(2);
    const restarted = step(initialDecideMemory().herd, candidates, [aHeld({ infoHash: hashOf(99) })], FIXED_NOW_MS);
    expect([...restarted.observations.values()].some((o) => o.slowStart !== null)).toBe(false);
  });
});

describe('largestKeys', () => {
  it('is the first keys of a stable sort, largest first', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 })), fc.nat(12), (values, count) => {
        const keys = values.map((key, i) => ({ key, i }));
        const sorted = [...keys].sort((a, b) => b.key - a.key).slice(0, count);
        expect(largestKeys(keys, count)).toEqual(sorted);
      }),
    );
  });
});
