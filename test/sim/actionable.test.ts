/**
 * The simulator plans each node's tick with `decisions: 'actionable'` (planTick leaves out the
 * candidates it would skip before selection). Over a generated world, every tick of every node
 * is planned both ways from the same memory and observation: the adds, removes, desired set
 * and next memory must be the same, and every decision left out must be a skip of zero need.
 */
import { describe, expect, it } from 'vitest';
import { planTick } from '../../src/agent/plan-tick.js';
import { defaultSimConfig } from '../../src/cli/simulate.js';
import { DEFAULT_SIM, type SimOptions } from '../../src/sim/model.js';
import { runStrategy } from '../../src/sim/run.js';
import { smartnodeStrategy, type SimDecide } from '../../src/sim/smartnode.js';

function compareOver(options: SimOptions): { ticks: number; adds: number; leftOut: number } {
  const seen = { ticks: 0, adds: 0, leftOut: 0 };
  const bothWays: SimDecide = (carried, obs, config, nowMs) => {
    const full = planTick(carried, obs, config, nowMs);
    const actionable = planTick(carried, obs, config, nowMs, { decisions: 'actionable' });
    expect(actionable.plan.actions).toEqual(full.plan.actions);
    expect(actionable.plan.adds).toEqual(full.plan.adds);
    expect(actionable.plan.removes).toEqual(full.plan.removes);
    expect(actionable.plan.plan.desired).toEqual(full.plan.plan.desired);
    expect(actionable.plan.population).toEqual(full.plan.population);
    expect(actionable.next).toEqual(full.next);
    const kept = new Map(actionable.plan.plan.decisions.map((d) => [d.infoHash, d]));
    for (const d of full.plan.plan.decisions) {
      const k = kept.get(d.infoHash);
      if (k !== undefined) expect(k).toEqual(d);
      else {
        expect(d.action).toBe('skip');
        expect(d.need).toBeLessThanOrEqual(0);
        seen.leftOut++;
      }
    }
    seen.ticks++;
    seen.adds += full.plan.adds.length;
    return actionable;
  };
  runStrategy(options, smartnodeStrategy(defaultSimConfig(), { torrents: options.torrents }, bothWays));
  return seen;
}

describe("planTick's actionable decisions", () => {
  it('act exactly as the full plan at every tick of a generated world, with web seeds', () => {
    const seen = compareOver({ ...DEFAULT_SIM, nodes: 30, torrents: 250, days: 2, seed: 17, webSeedShare: 0.2 });
    expect(seen.ticks).toBe(30 * 48);
    // The comparison means something: nodes added torrents and left many others to each other.
    expect(seen.adds).toBeGreaterThan(100);
    expect(seen.leftOut).toBeGreaterThan(10 * seen.ticks);
  }, 300_000);
});
