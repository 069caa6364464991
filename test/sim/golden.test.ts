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
  fingerprint: '51d7031f',
  metrics: {
    strategy: 'smartnode',
    belowTargetAvg: 65.04166666666667,
    belowTargetEnd: 56,
    atZeroAvg: 64.29166666666667,
    atZeroEnd: 56,
    over2xEnd: 1,
    over2xMax: 6,
    mostNodesOnOne: 10,
    firstHourMaxTakersPerTwiceDeficit: 0.5,
    firstHourTakersWithoutDeficit: 0,
    bytesDownloaded: 55558929649113.65,
    donatedBytes: 71332524248695.55,
    stalledDayShareAvg: 0.000698714492997605,
    stalledDayShareMax: 0.008072708548927181,
    noSourceShareAvg: 0.09004733786155766,
    adds: 1715,
    removes: 398,
    fillHours: null,
    diskInUseEnd: 0.8482814019131047,
    replacedNodes: 0,
    torrents: 300,
    nodes: 40,
  },
};

const GOLDEN_WEB_SEEDS = {
  fingerprint: '414a654',
  metrics: {
    strategy: 'smartnode',
    belowTargetAvg: 47.77777777777778,
    belowTargetEnd: 31,
    atZeroAvg: 35.72222222222222,
    atZeroEnd: 30,
    over2xEnd: 2,
    over2xMax: 5,
    mostNodesOnOne: 12,
    firstHourMaxTakersPerTwiceDeficit: 0.5,
    firstHourTakersWithoutDeficit: 0,
    bytesDownloaded: 53014486639700.69,
    donatedBytes: 58223869256256.04,
    stalledDayShareAvg: 0.0018389465278346193,
    stalledDayShareMax: 0.009866415456823582,
    noSourceShareAvg: 0.0803818645809628,
    adds: 1067,
    removes: 196,
    fillHours: 19,
    diskInUseEnd: 0.930089489543025,
    replacedNodes: 0,
    torrents: 200,
    nodes: 25,
  },
};
