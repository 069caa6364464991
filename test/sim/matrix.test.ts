/**
 * `smartnode simulate --matrix` and `--world`, through the CLI in this process (smartnode's
 * nodes in this thread: --workers 1): every world gets a row with every strategy's figure, the
 * ratios follow from them, and a world's options give way to flags given explicitly.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { MATRIX_STRATEGIES, WORLDS } from '../../src/sim/index.js';
import { keepAtChance, seederFloorOf } from '../../src/sim/keep-at.js';
import { DEFAULT_SIM, createWorld, type SimOptions } from '../../src/sim/model.js';
import { runStrategy } from '../../src/sim/run.js';
import { createScript } from '../../src/sim/strategies.js';
import { smartnodeStrategy, type SimDecide } from '../../src/sim/smartnode.js';
import { defaultSimConfig } from '../../src/cli/simulate.js';
import { planTick } from '../../src/agent/index.js';
import type { MatrixRow } from '../../src/sim/matrix.js';

async function simulate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk: Buffer, _enc, done) {
        into.push(chunk.toString());
        done();
      },
    });
  const code = await main(['node', 'smartnode', 'simulate', '--workers', '1', ...args], { stdout: sink(out), stderr: sink(err), env: {} });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

const SMALL = ['--torrents', '30', '--days', '0.25', '--seed', '4'];

describe('simulate --matrix', () => {
  it('prints one row per world with every strategy, the ratios to uniform random and the best script (keep-at included), and the JSON', async () => {
    const text = await simulate(['--matrix', ...SMALL]);
    expect(text.code).toBe(0);
    const lines = text.stdout.split('\n');
    const header = lines.find((l) => l.startsWith('world '));
    expect(header).toBeDefined();
    for (const s of MATRIX_STRATEGIES) expect(header).toContain(s);
    expect(text.stdout).toContain('every node is given the whole feed, as the agent observes it; shared between the nodes of a tick');
    expect(text.stdout).toMatch(/shadow run: [1-9]\d* node-ticks decided both ways, decisions changed by a shortcut: 0\n/);
    for (const w of WORLDS) {
      const row = lines.find((l) => l.startsWith(`${w.name} `));
      expect(row, w.name).toBeDefined();
      // The world's name, a figure for each of the 7 strategies, and the ratios.
      expect(
        row
          ?.trim()
          .split(/\s+/)
          .slice(1, 1 + MATRIX_STRATEGIES.length)
          .every((c) => /^\d+$/.test(c)),
      ).toBe(true);
      expect(row).toMatch(/\d\.\d\dx +\d\.\d\dx \S+/);
    }

    const json = await simulate(['--matrix', '--json', ...SMALL]);
    const parsed = JSON.parse(json.stdout) as {
      rows: MatrixRow[];
      observation: { wholeFeed: boolean; shadowTicks: number; changedByShortcut: number };
    };
    expect(parsed.observation).toMatchObject({ wholeFeed: true, changedByShortcut: 0 });
    expect(parsed.observation.shadowTicks).toBeGreaterThan(0);
    expect(parsed.rows.map((r) => r.world)).toEqual(WORLDS.map((w) => w.name));
    for (const row of parsed.rows) {
      expect(row.metrics.map((m) => m.strategy)).toEqual(MATRIX_STRATEGIES);
      expect(row.shadow?.changed).toBe(0);
      const smart = row.metrics[0]!;
      const random = row.metrics.find((m) => m.strategy === 'uniform-random')!;
      expect(row.vsRandom).toBeCloseTo(smart.belowTargetAvg / random.belowTargetAvg, 9);
      const best = Math.min(
        ...row.metrics.filter((m) => !['smartnode', 'uniform-random'].includes(m.strategy)).map((m) => m.belowTargetAvg),
      );
      expect(row.vsBestScript?.ratio).toBeCloseTo(smart.belowTargetAvg / best, 9);
    }
    const few = parsed.rows.find((r) => r.world === 'few-5');
    expect(few?.options.nodes).toBe(5);
    expect(parsed.rows.find((r) => r.world === 'agent-tick')?.options.tickMinutes).toBe(15);
  }, 300_000);

  it('--world applies a preset, flags given explicitly win over it, and an unknown world is refused with a hint', async () => {
    const of = async (args: string[]) => {
      const r = await simulate([...args, ...SMALL, '--strategies', 'uniform-random', '--json']);
      return JSON.parse(r.stdout) as { options: { nodes: number; diskMultiple: number; churnPerDay: number } };
    };
    expect((await of(['--world', 'few-5'])).options).toMatchObject({ nodes: 5, diskMultiple: 1.5 });
    expect((await of(['--world', 'few-5', '--nodes', '7'])).options.nodes).toBe(7);
    expect((await of(['--world', 'churn'])).options).toMatchObject({ nodes: 200, churnPerDay: 0.05 });
    const bad = await simulate(['--world', 'nowhere', ...SMALL]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--world: expected one of many, late-joiners');
    expect(bad.stderr).toContain('hint:');
  }, 120_000);
});

describe("keep-at's gate", () => {
  it('takes a candidate with probability 0.6^max(0, seeders - x), x the p10 seeder floor (1 before any scan)', () => {
    expect(keepAtChance(1, 0)).toBe(1);
    expect(keepAtChance(3, 0)).toBeCloseTo(0.36, 12);
    expect(keepAtChance(5, 3)).toBeCloseTo(0.36, 12);
    expect(keepAtChance(2, 3)).toBe(1);
    expect(keepAtChance(0, 0)).toBe(1);
    // Nearest-rank p10 over the counts above zero: 20 seeded -> the 2nd smallest.
    expect(seederFloorOf([0, 0, ...Array.from({ length: 20 }, (_, i) => 20 - i)])).toBe(2);
    expect(seederFloorOf([0, 0])).toBe(0);
    expect(seederFloorOf([7])).toBe(7);
  });

  it('is what the keep-at baseline applies: on ample disk, each node takes a torrent at that rate, and never one without a seeder', () => {
    const options: SimOptions = { ...DEFAULT_SIM, nodes: 200, torrents: 300, days: 1 / 24, diskMultiple: 1e4, seed: 6, scrapeMinutes: 60 };
    const w = createWorld(options);
    const takers = new Int32Array(options.torrents);
    const inner = createScript('keep-at');
    runStrategy(options, {
      name: 'keep-at',
      tick(node, world, nowMs) {
        const choice = inner.tick(node, world, nowMs);
        for (const t of choice.add) takers[t] = (takers[t] ?? 0) + 1;
        return choice;
      },
    });
    // Every node ticks in the first hour on the first scrape; before any scan the floor is 1: 0.6^(seeders - 1).
    for (const s of [0, 1, 2, 3, 4]) {
      const of = [...w.sizes.keys()].filter((i) => w.scrape.seeders[i] === s);
      expect(of.length, `torrents with ${s} seeders`).toBeGreaterThan(5);
      const rate = of.reduce((a, i) => a + (takers[i] ?? 0), 0) / (of.length * options.nodes);
      expect(rate, `take rate at ${s} seeders`).toBeCloseTo(s === 0 ? 0 : keepAtChance(s, 0), 1);
    }
  });
});

describe('the shadow run', () => {
  const config = defaultSimConfig();
  const options: SimOptions = { ...DEFAULT_SIM, nodes: 8, torrents: 60, days: 0.5, seed: 2, shadowEvery: 1 };

  it("finds the simulator's decision the agent's own at every node-tick, and counts each node-tick where a decision is not", () => {
    const same = runStrategy(options, smartnodeStrategy(config, { torrents: 60, shadowEvery: 1 })).stats;
    expect(same?.decisions).toBeGreaterThan(0);
    expect(same).toMatchObject({ shadowTicks: same?.decisions, shadowChanged: 0 });
    // A decision that leaves out its last add: what the shadow run is there to catch.
    const dropping: SimDecide = (carried, obs, cfg, nowMs) => {
      const decided = planTick(carried, obs, cfg, nowMs, { decisions: 'actionable' });
      return { ...decided, plan: { ...decided.plan, adds: decided.plan.adds.slice(0, -1) } };
    };
    const other = runStrategy(options, smartnodeStrategy(config, { torrents: 60, shadowEvery: 1 }, dropping)).stats;
    expect(other?.shadowChanged).toBeGreaterThan(0);
    expect(other?.shadowChanged).toBeLessThanOrEqual(other?.shadowTicks ?? 0);
    // Off by default: no second decision.
    expect(runStrategy({ ...options, shadowEvery: 0 }, smartnodeStrategy(config, { torrents: 60 })).stats?.shadowTicks).toBe(0);
  }, 120_000);
});
