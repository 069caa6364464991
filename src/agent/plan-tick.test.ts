import { describe, expect, it } from 'vitest';
import type { FeedItem } from '../feeds/index.js';
import { DEFAULT_SIGNALS } from '../plan/index.js';
import { FIXED_NOW_MS, GB, HOUR_MS, aCounts, aPlanPolicy, hashOf } from '../plan/testing.js';
import type { AgentConfig } from './config.js';
import { observationOf, type HeldView } from './observation-of.js';
import { plannedEvent, planTick } from './plan-tick.js';
import { initialDecideMemory } from './population.js';
import { anAgentConfig } from './testing.js';

const config: AgentConfig = anAgentConfig({
  planPolicy: aPlanPolicy({ maxBytes: 3 * GB, scoring: { ...aPlanPolicy().scoring, signals: DEFAULT_SIGNALS } }),
  donated: {
    scope: 'owned',
    rules: { uploadBytesPerSec: 1e6, downloadBytesPerSec: null, schedule: [] },
    monthly: null,
    dailyDownloadBudgetBytes: null,
    maxEvictFraction: 1,
    pins: [],
  },
});

const item = (n: number, seeders: number): FeedItem => ({
  infoHash: hashOf(n),
  name: `t${n}`,
  sizeBytes: GB,
  torrentUrl: `http://feeds.test/${n}.torrent`,
  magnetUri: null,
  trackers: [],
  counts: aCounts({ seeders, observedAtMs: FIXED_NOW_MS - 60_000 }),
  publishedAtMs: null,
});

function observation(
  held: HeldView[],
  items = [item(1, 0), item(2, 1), item(3, 9)],
  nowMs = FIXED_NOW_MS,
  feeds: Array<{ feedId: string; items: FeedItem[] }> = [{ feedId: 'feed-a', items }],
) {
  const obs = observationOf({
    nodeId: 'node-a',
    nowMs,
    downloadDir: config.downloadDir,
    label: config.label,
    maxCountAgeMs: config.maxCountAgeMs,
    feeds,
    held,
    diskFreeBytes: 100 * GB,
  });
  const usage = {
    periodStartMs: 0,
    periodEndMs: FIXED_NOW_MS + 86_400_000,
    uploadedBytes: 0,
    downloadedBytes: 0,
    dayStartMs: 0,
    addedTodayBytes: 0,
    downloadedTodayBytes: 0,
  };
  return { ...obs, donated: { usage, evictionConfirmed: true, localTime: { weekday: 0, minuteOfDay: 600 } } };
}

describe('planTick', () => {
  it('gives every add what applying it needs: the feed item, its feed and the target directory', () => {
    const { plan } = planTick(initialDecideMemory(), observation([]), config, FIXED_NOW_MS);
    expect(plan.adds.map((a) => a.action.name).sort()).toEqual(['t1', 't2']);
    const first = plan.adds.find((a) => a.action.name === 't1');
    expect(first?.source).toMatchObject({ feedId: 'feed-a', item: { torrentUrl: 'http://feeds.test/1.torrent' } });
    expect(first?.downloadDir).toBe(`/srv/mirror/${hashOf(1)}`);
    expect(first?.feedIds).toEqual(['feed-a']);
  });

  it('plans the bandwidth shares for the torrents it will hold, and announces rates only when they change', () => {
    const first = planTick(initialDecideMemory(), observation([]), config, FIXED_NOW_MS);
    const shares = [...(first.plan.bandwidth?.perTorrent.values() ?? [])].map((l) => l.uploadBytesPerSec ?? 0);
    expect(shares).toHaveLength(2);
    expect(shares.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1e6);
    expect(first.plan.bandwidth?.announce).toBe(true);
    const second = planTick(first.next, observation([]), config, FIXED_NOW_MS + HOUR_MS);
    expect(second.plan.bandwidth?.announce).toBe(false);
  });

  it('carries ownership repairs and removes from where the data is once repaired', () => {
    const held: HeldView = {
      infoHash: hashOf(3),
      name: 't3',
      sizeBytes: GB,
      leftBytes: 0,
      addedAtMs: FIXED_NOW_MS - 30 * 24 * HOUR_MS,
      feedIds: ['feed-a'],
    };
    const obs = observation([held]);
    // The daemon reloaded it into its default directory and lost the label.
    const moved = obs.torrents.map((t) => ({ ...t, downloadDir: '/var/lib/transmission/Downloads', labels: [] }));
    const view = {
      ...obs,
      torrents: moved,
      ownership: {
        owned: obs.ownership.owned,
        ops: [
          { kind: 'relabel' as const, infoHash: hashOf(3) },
          { kind: 'relocate' as const, infoHash: hashOf(3), downloadDir: `/srv/mirror/${hashOf(3)}` },
        ],
      },
    };
    // A budget for two: the well-seeded one makes room.
    const tight = { ...config, planPolicy: { ...config.planPolicy, maxBytes: 2 * GB } };
    const { plan } = planTick(initialDecideMemory(), view, tight, FIXED_NOW_MS);
    expect(plan.repairs.map((r) => r.kind)).toEqual(['relabel', 'relocate']);
    const remove = plan.removes.find((r) => r.action.infoHash === hashOf(3));
    expect(remove?.dataDir).toBe(`/srv/mirror/${hashOf(3)}`);
  });

  it('is a function of its arguments: the same inputs give the same plan, and the inputs are left as they were', () => {
    const obs = observation([]);
    const before = JSON.stringify([...obs.candidates, ...obs.merged.values()]);
    const a = planTick(initialDecideMemory(), obs, config, FIXED_NOW_MS);
    const b = planTick(initialDecideMemory(), obs, config, FIXED_NOW_MS);
    expect(JSON.stringify(a.plan.plan)).toEqual(JSON.stringify(b.plan.plan));
    expect(JSON.stringify([...obs.candidates, ...obs.merged.values()])).toEqual(before);
  });
});

describe('planTick across ticks: stalled downloads', () => {
  const availability = { noSourceShare: 0.1, stalledAfterMs: 24 * HOUR_MS, backoffMs: 72 * HOUR_MS };
  const stalling = { ...config, planPolicy: { ...config.planPolicy, scoring: { ...config.planPolicy.scoring, availability } } };
  const at = (hours: number) => FIXED_NOW_MS + hours * HOUR_MS;
  // A one-seeder swarm, counted just now at every tick.
  const items = (hours: number) => [{ ...item(2, 1), counts: aCounts({ seeders: 1, observedAtMs: at(hours) - 60_000 }) }];
  const downloading = (leftBytes: number): HeldView => ({
    infoHash: hashOf(2),
    name: 't2',
    sizeBytes: GB,
    leftBytes,
    addedAtMs: at(-1),
    feedIds: ['feed-a'],
  });
  /** Ticks at the given hours with the download's bytes left at each; the plans and the memory after. */
  function run(steps: Array<[hours: number, leftBytes: number | null]>, pinned = false) {
    let memory = initialDecideMemory();
    const plans: ReturnType<typeof planTick>['plan'][] = [];
    for (const [hours, left] of steps) {
      const obs = observation(left === null ? [] : [downloading(left)], items(hours), at(hours));
      const { plan, next } = planTick(memory, pinned ? { ...obs, pins: new Set([hashOf(2)]) } : obs, stalling, at(hours));
      plans.push(plan);
      memory = next;
    }
    return { plans, memory };
  }
  const decisionOf = (plan: ReturnType<typeof planTick>['plan']) => plan.plan.decisions.find((d) => d.infoHash === hashOf(2));

  it('removes a download that made no progress for stalledAfter, with STALLED, and backs off', () => {
    const { plans, memory } = run([
      [0, GB / 2],
      [6, GB / 2],
      [12, GB / 2],
      [18, GB / 2],
      [25, GB / 2],
    ]);
    for (const plan of plans.slice(0, 4)) expect(plan.removes).toHaveLength(0);
    expect(plans[4]?.removes.map((r) => r.action.infoHash)).toEqual([hashOf(2)]);
    expect(plans[4]?.removes.map((r) => r.action.reason.code)).toEqual(['STALLED']);
    expect(decisionOf(plans[4] ?? plans[0]!)?.reason).toMatchObject({ code: 'STALLED', details: { backoffUntilMs: at(25 + 72) } });
    expect(memory.availability.backoffUntil.get(hashOf(2))).toBe(at(25 + 72));
    expect(plannedEvent(observation([downloading(GB / 2)], items(25), at(25)), plans[4]!)).toMatchObject({ stalled: 1 });
  });

  it('restarts the progress clock whenever bytes arrive', () => {
    const { plans, memory } = run([
      [0, GB / 2],
      [6, GB / 2],
      [12, GB / 4],
      [18, GB / 4],
      [24, GB / 4],
    ]);
    expect(plans[4]?.removes).toHaveLength(0);
    expect(memory.availability.progress.get(hashOf(2))).toEqual({ leftBytes: GB / 4, sinceMs: at(12) });
    expect(memory.availability.backoffUntil.size).toBe(0);
  });

  it('never removes a pinned download for stalling', () => {
    const { plans, memory } = run(
      [
        [0, GB / 2],
        [25, GB / 2],
        [50, GB / 2],
      ],
      true,
    );
    for (const plan of plans) expect(plan.removes).toHaveLength(0);
    expect(memory.availability.backoffUntil.size).toBe(0);
  });

  it('does not take it again before the backoff ends, and takes it again after', () => {
    const { plans } = run([
      [0, GB / 2],
      [6, GB / 2],
      [12, GB / 2],
      [18, GB / 2],
      [25, GB / 2],
      [26, null],
      [25 + 71, null],
      [25 + 73, null],
    ]);
    for (const plan of plans.slice(5, 7)) {
      expect(plan.adds).toHaveLength(0);
      expect(decisionOf(plan)?.reason.code).toBe('STALLED');
      expect(decisionOf(plan)?.reason.text).toMatch(/not taken again before .* UTC/);
    }
    expect(plans[7]?.adds.map((a) => a.action.infoHash)).toEqual([hashOf(2)]);
  });

  it('a clock stepped forward removes nothing by itself: one gap counts for at most a quarter of stalledAfter', () => {
    // Two days' step between two ticks, then ticks an hour apart: the clock only counts time watched.
    const { plans, memory } = run([
      [0, GB / 2],
      [1, GB / 2],
      [49, GB / 2],
      [50, GB / 2],
    ]);
    for (const plan of plans) expect(plan.removes).toHaveLength(0);
    expect(memory.availability.progress.get(hashOf(2))?.sinceMs).toBe(at(50) - 8 * HOUR_MS);
    expect(memory.availability.backoffUntil.size).toBe(0);
  });

  it('a clock stepped back an hour keeps what the stall clock counted', () => {
    const { plans, memory } = run([
      [0, GB / 2],
      [6, GB / 2],
      [5, GB / 2],
      [11, GB / 2],
    ]);
    for (const plan of plans) expect(plan.removes).toHaveLength(0);
    // 6 h counted before the step, none across it, 6 h after: 12 h without progress.
    expect(at(11) - (memory.availability.progress.get(hashOf(2))?.sinceMs ?? 0)).toBe(12 * HOUR_MS);
  });
});

describe('planTick: slow start on a newly seen feed', () => {
  const herd = { ...DEFAULT_SIGNALS.herd, adaptive: true, slowStartAdds: 2 };
  const adaptive = {
    ...config,
    planPolicy: aPlanPolicy({ maxBytes: 50 * GB, scoring: { ...aPlanPolicy().scoring, signals: { ...DEFAULT_SIGNALS, herd } } }),
  };
  const needy = (n: number, hours: number): FeedItem => ({
    ...item(n, 1),
    counts: aCounts({ seeders: 1, observedAtMs: FIXED_NOW_MS + hours * HOUR_MS - 60_000 }),
  });
  const held: HeldView = {
    infoHash: hashOf(1),
    name: 't1',
    sizeBytes: GB,
    leftBytes: 0,
    addedAtMs: FIXED_NOW_MS - 48 * HOUR_MS,
    feedIds: ['a'],
  };

  it("takes only a few of a new feed's needy torrents at first, doubling each tick, though the mirror is not empty", () => {
    let memory = initialDecideMemory();
    const feedA = (hours: number) => ({ feedId: 'a', items: [{ ...needy(1, hours) }] });
    // Two ticks on feed a alone: the mirror holds t1, so there is no slow start.
    for (const hours of [0, 1]) {
      const { plan, next } = planTick(
        memory,
        observation([held], [], FIXED_NOW_MS + hours * HOUR_MS, [feedA(hours)]),
        adaptive,
        FIXED_NOW_MS + hours * HOUR_MS,
      );
      expect(plan.population?.slowStartAdds ?? null).toBeNull();
      memory = next;
    }
    // Feed b appears with twenty needy torrents.
    const adds: number[] = [];
    for (const hours of [2, 3, 4]) {
      const feedB = { feedId: 'b', items: Array.from({ length: 20 }, (_, i) => needy(100 + i, hours)) };
      const nowMs = FIXED_NOW_MS + hours * HOUR_MS;
      const { plan, next } = planTick(memory, observation([held], [], nowMs, [feedA(hours), feedB]), adaptive, nowMs);
      expect(plan.population?.slowStartAdds).toBe(2 * 2 ** (hours - 2));
      adds.push(plan.adds.length);
      memory = next;
    }
    expect(adds).toEqual([2, 4, 8]);
  });
});

describe('planTick: sources in the score', () => {
  it("reads a torrent's web seeds from its .torrent as a source: a no-seeder swarm with one scores as one that can finish", () => {
    const availability = { noSourceShare: 0.1, stalledAfterMs: 24 * HOUR_MS, backoffMs: 72 * HOUR_MS };
    const withSources = { ...config, planPolicy: { ...config.planPolicy, scoring: { ...config.planPolicy.scoring, availability } } };
    const view = {
      nodeId: 'node-a',
      nowMs: FIXED_NOW_MS,
      downloadDir: config.downloadDir,
      label: config.label,
      maxCountAgeMs: config.maxCountAgeMs,
      feeds: [{ feedId: 'feed-a', items: [item(1, 0), { ...item(4, 0), name: 't4' }] }],
      held: [],
      diskFreeBytes: 100 * GB,
      webSeeds: new Map([[hashOf(4), 1]]),
    };
    const { plan } = planTick(initialDecideMemory(), observationOf(view), withSources, FIXED_NOW_MS);
    const sources = (n: number) => plan.plan.decisions.find((d) => d.infoHash === hashOf(n))?.components.factors?.sources;
    expect(sources(4)).toMatchObject({ factor: 1, canFinish: true, webSeeds: 1 });
    expect(sources(1)).toMatchObject({ canFinish: false, webSeeds: 0 });
    expect(sources(1)?.factor).toBeLessThan(0.4);
  });
});
