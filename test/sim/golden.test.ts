/**
 * The simulator's speed work must not change a single decision: smartnode's run over fixed
 * worlds gives exactly these metrics and this fingerprint of every add and remove, tick by
 * tick. A deliberate change of the decision (scoring, herd avoidance, selection) changes them
 * too; then print the new values with GOLDEN_PRINT=1 and update them here, in the same commit.
 */
import { describe, expect, it } from 'vitest';
import { defaultSimConfig } from '../../src/cli/simulate.js';
import type { Strategy } from '../../src/sim/baselines.js';
import { DEFAULT_SIM, type SimOptions, createWorld } from '../../src/sim/model.js';
import { runStrategy } from '../../src/sim/run.js';
import { createStrategy } from '../../src/sim/strategies.js';

const config = defaultSimConfig();

/** FNV-1a over every choice (node, time, adds, removes) in the order the run made them. */
function fingerprinted(strategy: Strategy): { strategy: Strategy; fingerprint: () => string } {
  let h = 0x811c9dc5;
  const mix = (n: number): void => {
    h = Math.imul(h ^ (n & 0xffff), 0x01000193);
    h = Math.imul(h ^ (n >>> 16), 0x01000193);
  };
  return {
    strategy: {
      name: strategy.name,
      tick(node, w, nowMs) {
        const choice = strategy.tick(node, w, nowMs);
        mix(node.index);
        mix(Math.floor(nowMs / 60_000));
        for (const t of choice.add) mix(t);
        mix(0xffffffff);
        for (const t of choice.remove) mix(t);
        mix(0xfffffffe);
        return choice;
      },
    },
    fingerprint: () => (h >>> 0).toString(16),
  };
}

function runSmartnode(options: SimOptions) {
  const { strategy, fingerprint } = fingerprinted(createStrategy('smartnode', config, createWorld(options)));
  const { wallMs: _, ...metrics } = runStrategy(options, strategy).metrics;
  const result = { fingerprint: fingerprint(), metrics };
  if (process.env.GOLDEN_PRINT === '1') console.log(JSON.stringify(result));
  return result;
}

describe('smartnode in the simulator decides exactly as before', () => {
  it('40 nodes x 300 torrents x 2 days, seed 3', () => {
    expect(runSmartnode({ ...DEFAULT_SIM, nodes: 40, torrents: 300, days: 2, seed: 3 })).toEqual(GOLDEN_PLAIN);
  }, 120_000);

  it('with web seeds on a fifth of the torrents and 20-minute scrapes, seed 11', () => {
    expect(runSmartnode({ ...DEFAULT_SIM, nodes: 25, torrents: 200, days: 1.5, seed: 11, webSeedShare: 0.2, scrapeMinutes: 20 })).toEqual(
      GOLDEN_WEB_SEEDS,
    );
  }, 120_000);
});

const GOLDEN_PLAIN = {
  fingerprint: '5a0b003a',
  metrics: {
    strategy: 'smartnode',
    belowTargetAvg: 85.875,
    belowTargetEnd: 78,
    atZeroAvg: 64.29166666666667,
    atZeroEnd: 56,
    over2xEnd: 1,
    over2xMax: 4,
    mostNodesOnOne: 9,
    firstHourMaxTakersPerTwiceDeficit: 0.5,
    firstHourTakersWithoutDeficit: 0,
    bytesDownloaded: 40820937908270,
    donatedBytes: 71332524248695.55,
    stalledDayShareAvg: 0.00021607696144404324,
    stalledDayShareMax: 0.0026788122748017625,
    noSourceShareAvg: 0.03094763611988789,
    adds: 1167,
    removes: 286,
    fillHours: null,
    diskInUseEnd: 0.6008632238823765,
    replacedNodes: 0,
    torrents: 300,
    nodes: 40,
  },
};

const GOLDEN_WEB_SEEDS = {
  fingerprint: '868019d3',
  metrics: {
    strategy: 'smartnode',
    belowTargetAvg: 55.388888888888886,
    belowTargetEnd: 44,
    atZeroAvg: 35.72222222222222,
    atZeroEnd: 30,
    over2xEnd: 2,
    over2xMax: 3,
    mostNodesOnOne: 9,
    firstHourMaxTakersPerTwiceDeficit: 0.5,
    firstHourTakersWithoutDeficit: 0,
    bytesDownloaded: 37920052827793,
    donatedBytes: 58223869256256.04,
    stalledDayShareAvg: 0.001310997772233698,
    stalledDayShareMax: 0.008375029235378504,
    noSourceShareAvg: 0.0319381581792777,
    adds: 723,
    removes: 113,
    fillHours: null,
    diskInUseEnd: 0.6674861464868067,
    replacedNodes: 0,
    torrents: 200,
    nodes: 25,
  },
};
