import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Candidate, HeldTorrent } from '../plan/index.js';
import { FIXED_NOW_MS, GB, HOUR_MS, aCandidate, aCounts, aHeld, hashOf } from '../plan/testing.js';
import { GATE_DOUBLING_MS, GATE_START } from '../plan/index.js';
import { ON_THEIR_WAY_MS, initialDecideMemory, largestKeys, observePopulation, type HerdMemory } from './population.js';

const swarm = (n: number, seeders: number, leechers: number, atMs: number): Candidate =>
  aCandidate({ infoHash: hashOf(n), sizeBytes: GB, counts: aCounts({ seeders, leechers, observedAtMs: atMs }) });

function step(memory: HerdMemory, candidates: Candidate[], held: HeldTorrent[], nowMs: number) {
  return observePopulation(memory, { candidates, held, nodeId: 'node-a', targetSeeders: 5, slowStartAdds: 2, nowMs });
}

describe('observePopulation', () => {
  it('gives a new swarm a small take gate that doubles each half hour its deficit stays open with nothing arriving, and halves when copies arrive', () => {
    const t0 = FIXED_NOW_MS;
    const first = step(initialDecideMemory().herd, [swarm(1, 1, 0, t0), swarm(2, 6, 0, t0)], [], t0);
    expect(first.observations.get(hashOf(1))?.gate).toBe(GATE_START);
    let m = first.next;
    // Two hours open with no copy arriving: four doublings.
    const open = step(m, [swarm(1, 1, 0, t0 + 2 * HOUR_MS), swarm(2, 6, 0, t0 + 2 * HOUR_MS)], [], t0 + 2 * HOUR_MS + 1);
    expect(open.observations.get(hashOf(1))?.gate).toBeCloseTo(GATE_START * 2 ** ((2 * HOUR_MS) / GATE_DOUBLING_MS));
    // A swarm at its target has no open deficit: its gate stays.
    expect(open.observations.get(hashOf(2))?.gate).toBe(GATE_START);
    m = open.next;
    // Two copies arrive (leechers above the usual level): the gate halves and they are on their way.
    const came = step(m, [swarm(1, 1, 2, t0 + 3 * HOUR_MS)], [], t0 + 3 * HOUR_MS + 1);
    const o = came.observations.get(hashOf(1));
    expect(o?.gate).toBeCloseTo((GATE_START * 2 ** ((2 * HOUR_MS) / GATE_DOUBLING_MS)) / 2);
    expect(o?.onTheirWay).toBe(2);
  });

  it("reads a gate from its own swarm alone: an outside crowd elsewhere moves no other swarm's gate", () => {
    const t0 = FIXED_NOW_MS;
    let m = step(initialDecideMemory().herd, [swarm(1, 1, 0, t0), swarm(2, 1, 0, t0)], [], t0).next;
    const r = step(m, [swarm(1, 1, 200, t0 + HOUR_MS), swarm(2, 1, 0, t0 + HOUR_MS)], [], t0 + HOUR_MS + 1);
    expect(r.observations.get(hashOf(2))?.gate).toBeCloseTo(GATE_START * 2 ** (HOUR_MS / GATE_DOUBLING_MS));
    expect(r.observations.get(hashOf(1))?.gate).toBe(GATE_START);
    m = r.next;
  });

  it('measures others only beside its own recent picks: churn on swarms it did not take moves nothing', () => {
    const t0 = FIXED_NOW_MS;
    const m = step(
      initialDecideMemory().herd,
      [1, 2, 3].map((n) => swarm(n, 2, 0, t0)),
      [],
      t0,
    ).next;
    // External seeders and leechers arrive on swarms we do not hold: no pick of ours, no sample.
    const r = step(
      m,
      [1, 2, 3].map((n) => swarm(n, 6, 30, t0 + HOUR_MS)),
      [],
      t0 + HOUR_MS + 1,
    );
    expect(r.view.competitors).toBe(1);
    expect(r.next.lastSample).toBeNull();
    // Beside a pick of ours, two other new copies: two others took the same torrent.
    const held = [aHeld({ infoHash: hashOf(1), addedAtMs: t0 + HOUR_MS + 2, leftUntilDoneBytes: GB })];
    const beside = step(r.next, [swarm(1, 6, 33, t0 + 2 * HOUR_MS)], held, t0 + 2 * HOUR_MS + 1);
    expect(beside.next.lastSample).toMatchObject({ mine: 1 });
    expect(beside.next.lastSample?.others).toBe(2);
  });

  it('counts leechers above the usual level as copies on their way; with a source, an excess that never becomes seeders is an outside crowd', () => {
    const t0 = FIXED_NOW_MS;
    let m = step(initialDecideMemory().herd, [swarm(1, 1, 0, t0)], [], t0).next;
    const onTheirWay: number[] = [];
    for (let h = 1; h <= 14; h++) {
      const r = step(m, [swarm(1, 1, 3, t0 + h * HOUR_MS)], [], t0 + h * HOUR_MS + 1);
      onTheirWay.push(r.observations.get(hashOf(1))?.onTheirWay ?? 0);
      m = r.next;
    }
    // On their way while a download could have finished; after ON_THEIR_WAY_MS the deficit opens again.
    const within = Math.floor(ON_THEIR_WAY_MS / HOUR_MS);
    expect(onTheirWay.slice(0, within).every((n) => n === 3)).toBe(true);
    expect(onTheirWay.at(-1)).toBe(0);
  });

  it('takes the leechers of a sourceless swarm at first sight for its usual level, and later arrivals for copies waiting in place, however long', () => {
    const t0 = FIXED_NOW_MS;
    // A lone node sees a torrent with no seeder and nine leechers: none of them is a copy on its way.
    const first = step(initialDecideMemory().herd, [swarm(1, 0, 9, t0)], [aHeld({ infoHash: hashOf(9) })], t0);
    expect(first.observations.get(hashOf(1))?.onTheirWay).toBe(0);
    let m = first.next;
    // Four more arrive and wait with no source: they stay copies on their way for days.
    for (let h = 1; h <= 48; h++)
      m = step(m, [swarm(1, 0, 13, t0 + h * HOUR_MS)], [aHeld({ infoHash: hashOf(9) })], t0 + h * HOUR_MS + 1).next;
    const late = step(m, [swarm(1, 0, 13, t0 + 49 * HOUR_MS)], [aHeld({ infoHash: hashOf(9) })], t0 + 49 * HOUR_MS + 1);
    expect(late.observations.get(hashOf(1))?.onTheirWay).toBeGreaterThanOrEqual(4 - Math.ceil(49 / 24));
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
