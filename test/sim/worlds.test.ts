/**
 * The named worlds do what their sentence says, on the model itself: arrivals, churn, counts,
 * the flash crowd, outside leechers that need a source, the disk, the mixed population, the
 * agent's tick; and a run is a function of its options and seed.
 */
import { describe, expect, it } from 'vitest';
import { defaultSimConfig } from '../../src/cli/simulate.js';
import { planTick } from '../../src/agent/index.js';
import { parsePolicyText } from '../../src/policy/index.js';
import type { Strategy } from '../../src/sim/baselines.js';
import { DEFAULT_SIM, SIM_START_MS, createWorld, stepExternal, type SimOptions } from '../../src/sim/model.js';
import { createNodes, runsOther } from '../../src/sim/nodes.js';
import { runStrategy, stepsPerTickOf } from '../../src/sim/run.js';
import { smartnodeStrategy } from '../../src/sim/smartnode.js';
import { createScript, createStrategy } from '../../src/sim/strategies.js';
import { WORLDS, worldNamed, worldOptions } from '../../src/sim/worlds.js';

const DAY = 86_400_000;
const small: SimOptions = { ...DEFAULT_SIM, nodes: 40, torrents: 200, days: 2, seed: 9 };
const world = (name: string, over: Partial<SimOptions> = {}): SimOptions => worldOptions(small, worldNamed(name) ?? WORLDS[0]!, over);

/** A strategy that records every tick it is asked for, and every forget. */
function watched(inner: Strategy): {
  strategy: Strategy;
  ticks: Array<{ node: number; nodeId: string; nowMs: number; held: number }>;
  forgot: number[];
} {
  const ticks: Array<{ node: number; nodeId: string; nowMs: number; held: number }> = [];
  const forgot: number[] = [];
  return {
    ticks,
    forgot,
    strategy: {
      name: inner.name,
      tick(node, w, nowMs) {
        ticks.push({ node: node.index, nodeId: node.nodeId, nowMs, held: node.copies.size });
        return inner.tick(node, w, nowMs);
      },
      forget(i) {
        forgot.push(i);
        inner.forget?.(i);
      },
    },
  };
}

describe('the simulator worlds', () => {
  it('late joiners start spread over the first week, and a node ticks only from its start', () => {
    const options = world('late-joiners', { days: 3 });
    const w = createWorld(options);
    const starts = createNodes(w, options.seed, stepsPerTickOf(options)).map((n) => n.startMs - SIM_START_MS);
    expect(starts.every((s) => s >= 0 && s < 7 * DAY)).toBe(true);
    expect(Math.min(...starts)).toBeLessThan(DAY);
    expect(Math.max(...starts)).toBeGreaterThan(6 * DAY);
    const { strategy, ticks } = watched(createScript('uniform-random'));
    runStrategy(options, strategy);
    for (const node of new Set(ticks.map((t) => t.node))) {
      const first = Math.min(...ticks.filter((t) => t.node === node).map((t) => t.nowMs));
      expect(first - SIM_START_MS).toBeGreaterThanOrEqual(starts[node] as number);
      expect(first - SIM_START_MS).toBeLessThan((starts[node] as number) + 60 * 60_000);
    }
    // Three days of a week's arrivals: about three sevenths of the nodes have come.
    const arrived = new Set(ticks.map((t) => t.node)).size;
    expect(arrived).toBeGreaterThan(options.nodes * 0.2);
    expect(arrived).toBeLessThan(options.nodes * 0.7);
  });

  it('churn replaces 5 % of the nodes a day: each leaves with its data and an empty node with a new id takes its place', () => {
    const options = world('churn', { days: 4 });
    const { strategy, ticks, forgot } = watched(createScript('uniform-random'));
    const run = runStrategy(options, strategy);
    expect(run.metrics.replacedNodes).toBe(0.05 * options.nodes * 4);
    expect(forgot.length).toBe(run.metrics.replacedNodes);
    // The first tick of a replaced node: nothing held, a new id, and uniform random fills it again.
    let checked = 0;
    for (const node of new Set(forgot)) {
      const own = ticks.filter((t) => t.node === node);
      const ids = [...new Set(own.map((t) => t.nodeId))];
      // A node replaced after its last tick of the run is not seen again.
      for (const id of ids.slice(1)) {
        expect(own.find((t) => t.nodeId === id)?.held).toBe(0);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(run.metrics.replacedNodes / 2);
    // Without churn, no node is replaced and no node's id changes.
    expect(runStrategy({ ...options, churnPerDay: 0 }, createScript('uniform-random')).metrics.replacedNodes).toBe(0);
  });

  it('no-counts: 30 % of torrents are never counted; their feed items carry null counts and the count-reading scripts skip them', () => {
    const options = world('no-counts', { nodes: 4, days: 0.5 });
    const w = createWorld(options);
    const uncounted = [...w.counted].filter((c) => c === 0).length;
    expect(uncounted / options.torrents).toBeGreaterThan(0.22);
    expect(uncounted / options.torrents).toBeLessThan(0.38);
    const seen: Array<{ nulls: number; listed: number }> = [];
    const smart = smartnodeStrategy(defaultSimConfig(), { torrents: options.torrents }, (carried, obs, config, nowMs) => {
      seen.push({
        nulls: [...obs.merged.values()].filter((m) => m.item.counts === null).length,
        listed: obs.candidates.length,
      });
      return planTick(carried, obs, config, nowMs, { decisions: 'actionable' });
    });
    runStrategy(options, smart);
    expect(seen.length).toBeGreaterThan(0);
    // Every node is given the whole feed (every torrent), and the uncounted ones without counts.
    expect(seen.every((s) => s.nulls === uncounted && s.listed === options.torrents)).toBe(true);
    for (const name of ['keep-at', 'libgen-seedtools', 'annas-archive-once'] as const) {
      const adds: number[] = [];
      const inner = createScript(name);
      runStrategy(options, {
        name,
        tick(node, world, nowMs) {
          const choice = inner.tick(node, world, nowMs);
          adds.push(...choice.add);
          return choice;
        },
      });
      expect(adds.length).toBeGreaterThan(0);
      expect(adds.filter((t) => w.counted[t] === 0)).toEqual([]);
    }
  });

  it('flash crowd: 50 torrents hold 200 extra outside leechers for 2 days from day 2, and the crowd is gone from replacement after', () => {
    const options = world('flash-crowd', { torrents: 400 });
    const w = createWorld(options);
    const crowd = w.outside.crowdTorrents;
    expect(new Set(crowd).size).toBe(50);
    const stepMs = 10 * 60_000;
    let nowMs = SIM_START_MS;
    const leechersAt = (day: number): number[] => {
      for (; nowMs < SIM_START_MS + day * DAY; nowMs += stepMs) stepExternal(w, nowMs, stepMs);
      return crowd.map((i) => w.extLeechers[i] ?? 0);
    };
    expect(Math.max(...leechersAt(1.9))).toBeLessThan(200);
    expect(Math.min(...leechersAt(3.1))).toBeGreaterThanOrEqual(200);
    expect(Math.min(...crowd.map((i) => w.outside.crowd[i] ?? 0))).toBe(200);
    const after = leechersAt(5.1); // none replaced since day 4; those with a source completed and left
    expect(Math.min(...crowd.map((i) => w.outside.crowd[i] ?? 0))).toBeLessThan(200);
    expect(after.filter((n) => n >= 200).length).toBeLessThan(50);
  });

  it('outside leechers of a torrent with no source never complete; with a source they complete and leave or seed briefly', () => {
    // No external seeder ever: a torrent has a source only when it names a web seed.
    const options: SimOptions = { ...small, torrents: 300, seederArrivalsPerDay: 0, leecherArrivalsPerDay: 2, webSeedShare: 0.5 };
    const w = createWorld(options);
    const sourceless = [...w.sizes.keys()].filter((i) => w.webSeed[i] === 0);
    const sourced = [...w.sizes.keys()].filter((i) => w.webSeed[i] === 1);
    expect(sourceless.length).toBeGreaterThan(10);
    const stepMs = 10 * 60_000;
    for (let t = 0; t < (2 * DAY) / stepMs; t++) stepExternal(w, SIM_START_MS + t * stepMs, stepMs);
    expect(sourceless.every((i) => (w.completed[i] ?? 0) === 0 && (w.outside.briefSeeders[i] ?? 0) === 0)).toBe(true);
    expect(sourceless.reduce((a, i) => a + (w.extLeechers[i] ?? 0), 0)).toBeGreaterThan(0);
    expect(sourced.reduce((a, i) => a + (w.completed[i] ?? 0), 0)).toBeGreaterThan(0);
    expect(sourced.some((i) => (w.outside.briefSeeders[i] ?? 0) > 0)).toBe(true);
  });

  it('the disk worlds donate their multiple of the need, and the few-volunteer worlds the same total disk as many', () => {
    const donated = (name: string) => {
      const options = world(name, { days: 1 / 24 });
      return runStrategy(options, createScript('no-smartnodes')).metrics.donatedBytes / createWorld(options).needBytes;
    };
    expect(donated('scarce')).toBeCloseTo(0.3, 6);
    expect(donated('abundant')).toBeCloseTo(5, 6);
    expect(donated('many')).toBeCloseTo(1.5, 6);
    expect(donated('few-5')).toBeCloseTo(1.5, 6);
    expect(world('few-5').nodes).toBe(5);
    expect(world('few-20').nodes).toBe(20);
  });

  it("mixed: half the nodes run Academic Torrents' add-all script beside the strategy under test", () => {
    const options = world('mixed', { nodes: 200, days: 1 / 24, torrents: 100 });
    const others = Array.from({ length: options.nodes }, (_, i) => runsOther(options, i)).filter(Boolean).length;
    expect(others).toBe(100);
    // Under test: no nodes at all; so every copy is the add-all half's, and it added its fill.
    const run = runStrategy(options, createScript('no-smartnodes')).metrics;
    expect(run.adds).toBeGreaterThan(0);
    expect(run.mostNodesOnOne).toBe(100);
  });

  it("agent-tick: the agent's default tick (15 minutes, from the policy defaults), each node ticking every 15 minutes", () => {
    const policy = parsePolicyText(
      'version: 1\ndaemon: { url: "http://127.0.0.1:9091/transmission/rpc" }\nstorage: { downloadDir: /srv/x, maxBytes: 1 TB }\nfeeds: [{ id: a, url: "http://a.invalid/f.csv" }]\n',
      'p.yaml',
    );
    const options = world('agent-tick', { days: 0.25 });
    expect(options.tickMinutes * 60_000).toBe(policy.intervals.tick);
    const { strategy, ticks } = watched(createScript('no-smartnodes'));
    runStrategy(options, strategy);
    const own = ticks.filter((t) => t.node === 3).map((t) => t.nowMs);
    expect(own.length).toBe(24);
    expect(own.every((t, k) => k === 0 || t - (own[k - 1] as number) === 15 * 60_000)).toBe(true);
  });

  it('gives the same run for the same seed in every world, and another for another seed', () => {
    const options: SimOptions = {
      ...small,
      days: 1.5,
      arrivalDays: 0.5,
      churnPerDay: 0.1,
      uncountedShare: 0.2,
      flashCrowd: { torrents: 10, leechers: 50, startDay: 0.5, days: 0.5 },
      mixed: { share: 0.5, strategy: 'add-all-that-fits' },
    };
    const of = (o: SimOptions) => {
      const { metrics, series } = runStrategy(o, createStrategy('keep-at', defaultSimConfig(), createWorld(o)));
      return { metrics: { ...metrics, wallMs: 0 }, series };
    };
    expect(of(options)).toEqual(of(options));
    expect(of({ ...options, seed: 10 })).not.toEqual(of(options));
  });
});
