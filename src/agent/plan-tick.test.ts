import { describe, expect, it } from 'vitest';
import type { FeedItem } from '../feeds/index.js';
import { DEFAULT_SIGNALS } from '../plan/index.js';
import { FIXED_NOW_MS, GB, HOUR_MS, aCounts, aPlanPolicy, hashOf } from '../plan/testing.js';
import type { AgentConfig } from './config.js';
import { observationOf, type HeldView } from './observation-of.js';
import { planTick } from './plan-tick.js';
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

function observation(held: HeldView[], items = [item(1, 0), item(2, 1), item(3, 9)]) {
  const obs = observationOf({
    nodeId: 'node-a',
    nowMs: FIXED_NOW_MS,
    downloadDir: config.downloadDir,
    label: config.label,
    maxCountAgeMs: config.maxCountAgeMs,
    feeds: [{ feedId: 'feed-a', items }],
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
