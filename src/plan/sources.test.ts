import { describe, expect, it } from 'vitest';
import { explainDecision } from './explain-decision.js';
import { planMirror } from './select.js';
import { DEFAULT_SIGNALS, seederScarcity, withSignals } from './score.js';
import { sourcesFactor } from './sources.js';
import { GB, aCandidate, aCounts, aPlanInput, aPlanPolicy, hashOf } from './testing.js';
import type { Candidate, ScoringPolicy } from './types.js';

const scoring: ScoringPolicy = {
  ...aPlanPolicy().scoring,
  signals: { ...DEFAULT_SIGNALS, herd: { ...DEFAULT_SIGNALS.herd, nodeId: 'n1' } },
  availability: { noSourceShare: 0.1, stalledAfterMs: 24 * 3_600_000, backoffMs: 72 * 3_600_000 },
};

const swarm = (n: number, seeders: number, leechers: number, webSeeds?: number): Candidate =>
  aCandidate({
    infoHash: hashOf(n),
    name: `t${n}`,
    sizeBytes: GB,
    counts: aCounts({ seeders, leechers }),
    signals: { infoHash: hashOf(n), geo: null, slow: null, ...(webSeeds === undefined ? {} : { webSeeds }) },
  });

describe('sourcesFactor', () => {
  const args = { leechers: 0, webSeeds: 0, targetSeeders: 5, oneSeederScarcity: seederScarcity(1, 5), held: false };

  it('is 1 when a download can finish: a complete seeder, a web seed, or our own copy', () => {
    expect(sourcesFactor({ ...args, seeders: 1 })).toMatchObject({ factor: 1, canFinish: true });
    expect(sourcesFactor({ ...args, seeders: 0, webSeeds: 2 })).toMatchObject({ factor: 1, canFinish: true, webSeeds: 2 });
    expect(sourcesFactor({ ...args, seeders: 0, held: true })).toMatchObject({ factor: 1, canFinish: true });
    expect(sourcesFactor({ ...args, seeders: null })).toBeNull();
  });

  it('without a source: just under one seeder, partial copies lifting it, over two seeders at every target', () => {
    for (const target of [2, 3, 5, 8, 10]) {
      const one = seederScarcity(1, target);
      const at = (leechers: number) =>
        sourcesFactor({ ...args, seeders: 0, leechers, targetSeeders: target, oneSeederScarcity: one })?.factor ?? Number.NaN;
      expect(at(0)).toBeCloseTo(0.75 * one);
      expect(at(target)).toBeCloseTo(0.95 * one);
      expect(at(100)).toBeCloseTo(0.95 * one);
      expect(at(1)).toBeGreaterThan(at(0));
      // Scarcity at 0 seeders is 1: the factor is the need itself, and it lands between one and two seeders.
      expect(at(100)).toBeLessThan(one);
      expect(at(0)).toBeGreaterThan(seederScarcity(2, target));
    }
  });

  it('at a target of one seeder, a torrent with no copy at all still has a need (one seeder has none)', () => {
    const one = seederScarcity(1, 1);
    expect(one).toBe(0);
    const factor = sourcesFactor({ ...args, seeders: 0, targetSeeders: 1, oneSeederScarcity: one })?.factor ?? 0;
    expect(factor).toBeGreaterThan(0);
    expect(factor).toBeLessThan(0.1);
  });
});

describe('sources in the score', () => {
  const candidates = withSignals([swarm(1, 0, 3), swarm(2, 1, 3), swarm(3, 2, 3), swarm(4, 0, 3, 1)]);
  const plan = planMirror(aPlanInput({ candidates, policy: aPlanPolicy({ maxBytes: 2 * GB, scoring }) }));
  const byName = (name: string) => plan.decisions.find((d) => d.name === name);

  it('ranks a deficit whose download can finish above one that cannot; a web seed is a source', () => {
    expect(plan.decisions.map((d) => d.name)).toEqual(['t4', 't2', 't1', 't3']);
    expect(plan.desired.sort()).toEqual([hashOf(2), hashOf(4)].sort());
    expect(byName('t1')?.components.factors?.sources).toMatchObject({ canFinish: false, partialCopies: 3 });
  });

  it('is a score factor in explain and the top factors', () => {
    const d = byName('t1');
    if (d === undefined) throw new Error('t1 not planned');
    const text = explainDecision(d, plan.nowMs, scoring).join('\n');
    expect(text).toMatch(/need +scarcity 1 \* leechers x1\.5 \* geo x1 \* slow x1 \* herd x0\.9\d+ \* sources x0\.3\d+/);
    expect(text).toMatch(
      /sources +0 complete seeders, 0 web seeds, 3 partial copies: nothing can complete a download now; ranked just below a swarm with one/,
    );
    const webSeeded = explainDecision(byName('t4') ?? d, plan.nowMs, scoring).join('\n');
    expect(webSeeded).toMatch(/sources +0 complete seeders, 1 web seed, 3 partial copies: a download can finish/);
  });

  it('changes nothing without an availability policy', () => {
    const { availability: _, ...plain } = scoring;
    const without = planMirror(aPlanInput({ candidates, policy: aPlanPolicy({ maxBytes: 2 * GB, scoring: plain }) }));
    expect(without.decisions[0]?.name).toMatch(/^t[14]$/);
    expect(without.decisions.find((d) => d.name === 't1')?.components.factors?.sources).toBeUndefined();
  });
});
