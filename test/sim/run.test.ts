import { describe, expect, it } from 'vitest';
import { toAgentConfig } from '../../src/cli/runtime.js';
import { defaultSimConfig } from '../../src/cli/simulate.js';
import { parsePolicyText } from '../../src/policy/index.js';
import { DEFAULT_SIM, createWorld } from '../../src/sim/model.js';
import { plotBelowTarget, targetsOf } from '../../src/sim/report.js';
import { runStrategy } from '../../src/sim/run.js';
import { createStrategy, type StrategyName } from '../../src/sim/strategies.js';

const options = { ...DEFAULT_SIM, nodes: 30, torrents: 150, days: 1.5, seed: 7 };
const config = defaultSimConfig();
const run = (name: StrategyName, policy = config) => runStrategy(options, createStrategy(name, policy, createWorld(options))).metrics;

describe('the simulator', () => {
  it('gives the same world and seed the same result, and a world without nodes no copies', () => {
    const a = run('uniform-random');
    const b = run('uniform-random');
    expect({ ...a, wallMs: 0 }).toEqual({ ...b, wallMs: 0 });
    expect(run('no-smartnodes')).toMatchObject({ adds: 0, bytesDownloaded: 0, mostNodesOnOne: 0 });
  });

  it('smartnode with policy defaults does not herd: the first hour stays within twice each deficit, ' +
    'and fewer nodes pile on one torrent than with the scripts', () => {
    const smart = run('smartnode');
    const anna = run('annas-archive-daily');
    expect(smart.firstHourMaxTakersPerTwiceDeficit).toBeLessThanOrEqual(1);
    expect(smart.mostNodesOnOne).toBeLessThan(anna.mostNodesOnOne);
    expect(smart.stalledDayShareMax).toBeLessThanOrEqual(0.1);
    // Without self-calibration (today's decision with no node count), all 30 take the same torrents.
    const herding = toAgentConfig(
      parsePolicyText(
        `version: 1
daemon: { url: "http://127.0.0.1:9091/transmission/rpc" }
storage: { downloadDir: /srv/smartnode, maxBytes: 1 TB, minFreeBytes: 0 }
feeds: [{ id: sim, url: "http://sim.invalid/feed.csv" }]
scoring: { herd: { adaptive: false } }
`,
        'sim.yaml',
      ),
    );
    const today = run('smartnode', herding);
    expect(today.mostNodesOnOne).toBe(options.nodes);
    expect(smart.over2xMax).toBeLessThan(today.over2xMax);
  }, 60_000);

  it('prints the targets as ratios and plots every strategy', () => {
    const byName = new Map<StrategyName, ReturnType<typeof run>>([
      ['smartnode', run('smartnode')],
      ['uniform-random', run('uniform-random')],
      ['no-smartnodes', run('no-smartnodes')],
    ]);
    const targets = targetsOf(byName);
    expect(targets.map((t) => t.name)).toContain('below target vs uniform random (<= 0.8x)');
    for (const t of targets) expect(Number.isFinite(t.ratio)).toBe(true);
    const svg = plotBelowTarget([{ strategy: 'smartnode', series: { hours: [1, 2], belowTarget: [5, 3], atZero: [1, 0] } }], 'x < y');
    expect(svg).toMatch(/^<svg [^>]*viewBox/);
    expect(svg).toContain('x &lt; y');
    expect(svg).toContain('<polyline');
  }, 60_000);

  it('smartnode with policy defaults keeps no more torrents over twice the target than the world without it, over two weeks', () => {
    // Copies pile up over time (external seeders leave, nodes fill in, new ones arrive) unless
    // holders release a surplus: without the release this world had 5 such torrents against 2.
    const weeks: typeof options = { ...DEFAULT_SIM, nodes: 40, torrents: 200, days: 14, seed: 1 };
    const of = (name: StrategyName) => runStrategy(weeks, createStrategy(name, config, createWorld(weeks))).metrics;
    const smart = of('smartnode');
    const none = of('no-smartnodes');
    const over = targetsOf(
      new Map([
        ['smartnode', smart],
        ['no-smartnodes', none],
      ]),
    ).find((t) => t.name.startsWith('over twice'));
    expect(over?.ratio).toBeLessThanOrEqual(1);
    expect(smart.over2xEnd).toBeLessThanOrEqual(none.over2xMax);
  }, 120_000);
});
