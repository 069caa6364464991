import { describe, expect, it } from 'vitest';
import { planMirror } from '../plan/index.js';
import { benchPlan, generatePlanInput, planBenchPassed } from './plan-bench.js';

describe('plan benchmark', () => {
  it('generates the same input every time, with the shape it describes', () => {
    const a = generatePlanInput(2000, 40);
    expect(generatePlanInput(2000, 40)).toEqual(a);
    expect(a.candidates).toHaveLength(2000);
    expect(a.held).toHaveLength(40);
    expect(a.policy.feeds).toHaveLength(20);
    const multiFeed = a.candidates.filter((c) => c.feedIds.length === 2).length;
    expect(multiFeed).toBeGreaterThan(100);
    expect(a.held.filter((h) => !h.isOwned).length).toBe(2);
  });

  it('reports figures for a small run (in this process when run from sources)', async () => {
    const figures = await benchPlan({ candidates: 3000, held: 50, runs: 2 });
    expect(figures).toMatchObject({ planCandidates: 3000, planHeld: 50, planRuns: 2, planRssMeasuredIn: 'this process' });
    expect(figures['planMedianMs']).toEqual(expect.any(Number));
    expect(figures['planBurstPeakRssMb']).toEqual(expect.any(Number));
    // Both modes are judged: each median and peak RSS against its target.
    for (const key of ['planMsVsTarget', 'planRssVsTarget', 'planBurstMsVsTarget', 'planBurstRssVsTarget']) {
      expect(figures[key]).toEqual(expect.any(Number));
    }
    expect(planBenchPassed(figures)).toBe(String(figures['planVerdict']) === 'within target (both modes)');
    const plan = planMirror(generatePlanInput(3000, 50));
    expect(figures['planDesired']).toBe(plan.desired.length);
  });
});
