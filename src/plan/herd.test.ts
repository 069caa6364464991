import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HERD_SHARE, UNCOUNTED_SHARE, herdDraw, herdDrawFor, herdFactor, herdFactorValue, surplusRelease } from './herd.js';
import { DEFAULT_SIGNALS } from './score.js';
import { hashOf } from './testing.js';

const herd = { ...DEFAULT_SIGNALS.herd, nodeId: 'node-a' };

describe('herdDraw', () => {
  it('is deterministic per node and torrent, and differs across nodes', () => {
    expect(herdDraw('node-a', hashOf(1))).toBe(herdDraw('node-a', hashOf(1)));
    expect(herdDraw('node-a', hashOf(1))).not.toBe(herdDraw('node-b', hashOf(1)));
  });

  it('is about uniform on [0, 1)', () => {
    const buckets = new Array<number>(10).fill(0);
    for (let n = 0; n < 20_000; n++) {
      const u = herdDraw(`node-${n}`, hashOf(7));
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      buckets[Math.floor(u * 10)]! += 1;
    }
    for (const b of buckets) expect(Math.abs(b - 2000)).toBeLessThan(200);
  });
});

describe('herdFactor', () => {
  const args = { infoHash: hashOf(3), seeders: 2, targetSeeders: 5, held: false };

  it('designates about HERD_SHARE x deficit / expectedNodes of the nodes, and leaves the rest to them', () => {
    let designated = 0;
    for (let n = 0; n < 10_000; n++) {
      const f = herdFactor(args, { ...herd, nodeId: `n${n}`, expectedNodes: 100 });
      expect(f?.probability).toBeCloseTo((HERD_SHARE * 3) / 100, 12);
      if (f?.designated) designated++;
      else expect(f?.factor).toBe(0);
    }
    expect(designated / 10_000).toBeGreaterThan(0.012);
    expect(designated / 10_000).toBeLessThan(0.018);
  });

  it('falls as more nodes would take it, and rises with the deficit', () => {
    const p = (expectedNodes: number, seeders: number) => herdFactor({ ...args, seeders }, { ...herd, expectedNodes })?.probability ?? -1;
    expect(p(10, 2)).toBeGreaterThan(p(100, 2));
    expect(p(100, 0)).toBeGreaterThan(p(100, 4));
    expect(p(100, 5)).toBe(0);
  });

  it('keeps the same draw while the count stays, a new one when it changes', () => {
    const a = herdFactor(args, herd);
    expect(herdFactor(args, herd)?.draw).toBe(a?.draw);
    expect(herdFactor({ ...args, seeders: 3 }, herd)?.draw).not.toBe(a?.draw);
  });

  it('draws anew each redraw interval, so a deficit no node was drawn for is not left unfilled', () => {
    // A lone node that assumes 200 nodes: p = 0.5 x 3 / 200 per interval. With draws keyed on
    // the count alone it would be left out forever while the count stays; with the epoch it is
    // designated within a bounded number of intervals (the expected number is 1 / p, ~133).
    const lonely = { ...herd, expectedNodes: 200 };
    expect(herdFactor(args, { ...lonely, epoch: 0 })?.draw).not.toBe(herdFactor(args, { ...lonely, epoch: 1 })?.draw);
    let firstDesignated = -1;
    for (let epoch = 0; epoch < 2000 && firstDesignated < 0; epoch++) {
      if (herdFactor(args, { ...lonely, epoch })?.designated) firstDesignated = epoch;
    }
    expect(firstDesignated).toBeGreaterThanOrEqual(0);
    let designated = 0;
    for (let epoch = 0; epoch < 20_000; epoch++) if (herdFactor(args, { ...lonely, epoch })?.designated) designated++;
    expect(designated / 20_000).toBeCloseTo((HERD_SHARE * 3) / 200, 2);
  });

  it('with one expected node (the default) leaves nothing to others: only the jitter acts', () => {
    for (const seeders of [0, 1, 2, 3, 4]) {
      const f = herdFactor({ ...args, seeders }, herd);
      expect(f?.designated).toBe(true);
      expect(f!.factor).toBeGreaterThan(1 - herd.jitter);
      expect(f!.factor).toBeLessThanOrEqual(1);
    }
  });

  it('never applies to what we hold, nor when off', () => {
    const many = { ...herd, expectedNodes: 1000 };
    expect(herdFactor({ ...args, held: true }, many)).toMatchObject({ factor: 1, held: true });
    expect(herdFactor({ ...args, held: true, seeders: null }, many)).toMatchObject({ factor: 1, held: true });
    expect(herdFactor(args, { ...many, enabled: false })).toBeNull();
  });

  it('leaves an uncounted swarm to a small share of nodes, the same ones every tick, fewer the more nodes take the same torrents', () => {
    for (const [expectedNodes, share] of [
      [1, UNCOUNTED_SHARE],
      [100, (HERD_SHARE * 5) / 100],
    ] as const) {
      let takers = 0;
      for (let n = 0; n < 2000; n++) {
        const h = { ...herd, expectedNodes, nodeId: `node-${n}`, epoch: n % 7 };
        const f = herdFactor({ ...args, seeders: null }, h);
        expect(herdFactorValue(args.infoHash, null, 5, false, undefined, h)).toBe(f?.factor);
        expect(herdFactor({ ...args, seeders: null }, { ...h, epoch: h.epoch + 1 })?.designated).toBe(f?.designated);
        if (f?.designated) takers++;
      }
      expect(takers / 2000).toBeGreaterThan(share * 0.75);
      expect(takers / 2000).toBeLessThan(share * 1.25);
    }
  });
});

describe('herdDrawFor', () => {
  it('is herdDraw of the joined key, for any node id, hash, count and epoch', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.oneof(fc.nat(1000), fc.maxSafeNat(), fc.double()),
        fc.oneof(fc.nat(1_000_000), fc.maxSafeInteger(), fc.double()),
        (node, key, seeders, epoch) => herdDrawFor(node, key, seeders, epoch) === herdDraw(node, `${key}:${seeders}:${epoch}`),
      ),
    );
  });
});

describe('surplusRelease', () => {
  const swarm = { infoHash: hashOf(5), countsIncludeUs: true, targetSeeders: 5, epoch: 0 };
  const holders = (over: { seeders: number; leechers: number; complete: boolean }, n = 10_000) =>
    Array.from({ length: n }, (_, k) => surplusRelease({ ...swarm, ...over, nodeId: `node-${k}` }));

  it("releases about the copies above 1.5x the target when every copy is a smartnode's, and nothing at or below 2x", () => {
    // 14 complete copies of a target of 5: (14 - 7.5) / 14 of the holders go, about 6.5 of 14.
    const drawn = holders({ seeders: 14, leechers: 0, complete: true });
    const share = drawn.filter((r) => r?.release === true).length / drawn.length;
    expect(share).toBeGreaterThan(0.43);
    expect(share).toBeLessThan(0.5);
    expect(surplusRelease({ ...swarm, nodeId: 'a', seeders: 10, leechers: 0, complete: true })).toBeNull();
    // A count older than our copy does not include it: 10 seen + ours is over.
    expect(surplusRelease({ ...swarm, nodeId: 'a', seeders: 10, leechers: 0, complete: true, countsIncludeUs: false })?.copies).toBe(11);
  });

  it('keeps the seeders at the target: five seeders and fifty leechers release no seeder, but shed downloads once seeded', () => {
    expect(holders({ seeders: 5, leechers: 50, complete: true }, 100).every((r) => r === null)).toBe(true);
    expect(holders({ seeders: 3, leechers: 50, complete: false }, 100).every((r) => r === null)).toBe(true);
    const seeded = holders({ seeders: 5, leechers: 50, complete: false }, 1000);
    expect(seeded.filter((r) => r?.release === true).length).toBeGreaterThan(800);
    // Seven seeders and five leechers: at most 2 of the 7 seeders' holders in expectation.
    const seeders = holders({ seeders: 7, leechers: 5, complete: true });
    const share = seeders.filter((r) => r?.release === true).length / seeders.length;
    expect(share * 7).toBeLessThan(2.1);
  });

  it('draws again when the count changes, the same while it does not', () => {
    const a = surplusRelease({ ...swarm, nodeId: 'n', seeders: 12, leechers: 0, complete: true });
    expect(surplusRelease({ ...swarm, nodeId: 'n', seeders: 12, leechers: 0, complete: true })).toEqual(a);
    expect(surplusRelease({ ...swarm, nodeId: 'n', seeders: 13, leechers: 0, complete: true })?.draw).not.toBe(a?.draw);
  });
});
