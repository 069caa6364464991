import { describe, expect, it } from 'vitest';
import { herdDraw, herdFactor } from './herd.js';
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
  it('designates about deficit / expectedNodes of the nodes', () => {
    let designated = 0;
    for (let n = 0; n < 10_000; n++) {
      const f = herdFactor({ infoHash: hashOf(3), seeders: 2, targetSeeders: 5, held: false }, { ...herd, nodeId: `n${n}`, expectedNodes: 100 });
      if (f?.designated) designated++;
    }
    expect(designated / 10_000).toBeGreaterThan(0.025);
    expect(designated / 10_000).toBeLessThan(0.035);
  });

  it('takes everything needed when the deficit reaches the expected nodes: only the jitter is left', () => {
    const f = herdFactor({ infoHash: hashOf(3), seeders: 1, targetSeeders: 5, held: false }, herd);
    expect(f?.probability).toBe(1);
    expect(f?.designated).toBe(true);
    expect(f!.factor).toBeGreaterThan(1 - herd.jitter);
  });

  it('values a torrent it is not designated for at its share p, and never what it holds', () => {
    const args = { infoHash: hashOf(9), seeders: 4, targetSeeders: 5, held: false };
    const many = { ...herd, expectedNodes: 1000 };
    const f = herdFactor(args, many);
    expect(f?.designated).toBe(f!.draw < 0.001);
    if (!f!.designated) expect(f!.factor).toBeLessThanOrEqual(0.001);
    expect(herdFactor({ ...args, held: true }, many)).toMatchObject({ factor: 1, held: true });
    expect(herdFactor({ ...args, seeders: null }, many)).toBeNull();
    expect(herdFactor(args, { ...many, enabled: false })).toBeNull();
  });
});
