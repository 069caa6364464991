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
  fingerprint: '30e7d588',
  metrics: {
    strategy: 'smartnode',
    belowTargetAvg: 71.375,
    belowTargetEnd: 61,
    atZeroAvg: 64.16666666666667,
    atZeroEnd: 53,
    over2xEnd: 29,
    over2xMax: 29,
    mostNodesOnOne: 27,
    firstHourMaxTakersPerTwiceDeficit: 0.5,
    firstHourTakersWithoutDeficit: 0,
    bytesDownloaded: 85301492740430.62,
    donatedBytes: 90289012692151.48,
    stalledDayShareAvg: 0.0013129562970457984,
    stalledDayShareMax: 0.01135527830816697,
    noSourceShareAvg: 0.2022770684521644,
    adds: 2429,
    removes: 859,
    fillHours: 8,
    torrents: 300,
    nodes: 40,
  },
};

const GOLDEN_WEB_SEEDS = {
  fingerprint: '8fb6374f',
  metrics: {
    strategy: 'smartnode',
    belowTargetAvg: 43,
    belowTargetEnd: 40,
    atZeroAvg: 41.94444444444444,
    atZeroEnd: 39,
    over2xEnd: 9,
    over2xMax: 11,
    mostNodesOnOne: 17,
    firstHourMaxTakersPerTwiceDeficit: 0.5,
    firstHourTakersWithoutDeficit: 0,
    bytesDownloaded: 34225777964860.367,
    donatedBytes: 42854198110648.5,
    stalledDayShareAvg: 0.009282911398516218,
    stalledDayShareMax: 0.08586547699012156,
    noSourceShareAvg: 0.33899365654605507,
    adds: 1301,
    removes: 376,
    fillHours: 10,
    torrents: 200,
    nodes: 25,
  },
};
