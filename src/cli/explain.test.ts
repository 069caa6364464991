import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventBus, initialDecideMemory, openAgentState, type AgentConfig, type AgentDeps } from '../agent/index.js';
import { createMemoryDaemon } from '../daemon/index.js';
import { explainTorrent, findDecision } from './explain.js';
import { explainDecision, formatTopFactors } from '../plan/index.js';
import { formatPlanTable } from '../plan/index.js';
import { DEFAULT_SIGNALS, withSignals } from '../plan/index.js';
import { planMirror } from '../plan/index.js';
import { FIXED_NOW_MS, GB, aCandidate, aCounts, aPlanInput, aPlanPolicy, hashOf } from '../plan/testing.js';
import type { ScoringPolicy } from '../plan/index.js';

const scoring: ScoringPolicy = {
  ...aPlanPolicy().scoring,
  signals: { ...DEFAULT_SIGNALS, herd: { ...DEFAULT_SIGNALS.herd, nodeId: 'n1' } },
};
const plan = planMirror(
  aPlanInput({
    policy: aPlanPolicy({ maxBytes: 1.5 * GB, scoring }),
    candidates: withSignals([
      aCandidate({
        infoHash: hashOf(1),
        name: 'alpha',
        counts: aCounts({ seeders: 2, leechers: 3, completed: 40 }),
        signals: {
          infoHash: hashOf(1),
          geo: {
            countries: ['DE'],
            peers: [4],
            unknownPeers: 1,
            peersAre: 'peers',
            source: 'announce',
            observedAtMs: FIXED_NOW_MS - 120_000,
          },
          slow: {
            kind: 'little',
            leechers: 3,
            completionsPerHour: 0.5,
            meanDownloadMs: 6 * 3_600_000,
            meanLeecherRateBytesPerSec: 46_000,
            samples: 4,
            spanMs: 3 * 3_600_000,
            observedAtMs: FIXED_NOW_MS - 60_000,
          },
        },
      }),
      aCandidate({
        infoHash: hashOf(2),
        name: 'alphabet',
        counts: aCounts({ seeders: 3 }),
        signals: { infoHash: hashOf(2), geo: null, slow: null },
      }),
      aCandidate({ infoHash: hashOf(3), name: 'plain', counts: null }),
    ]),
  }),
);

describe('explain', () => {
  it('finds a torrent by info-hash prefix, exact name, or unique part of a name', () => {
    expect(findDecision(plan.decisions, hashOf(1).slice(0, 40)).name).toBe('alpha');
    expect(findDecision(plan.decisions, '0000000000000000000000000000000000000002').name).toBe('alphabet');
    expect(findDecision(plan.decisions, 'ALPHA').name).toBe('alpha');
    expect(findDecision(plan.decisions, 'plai').name).toBe('plain');
    expect(() => findDecision(plan.decisions, 'nothing')).toThrow(/no candidate or held torrent matches "nothing"/);
    expect(() => findDecision(plan.decisions, 'alp')).toThrow(/matches 2 torrents: alpha, alphabet/);
  });

  it('prints every component with its source and age', () => {
    const d = findDecision(plan.decisions, 'alpha');
    const text = explainDecision(d, plan.nowMs, scoring).join('\n');
    expect(text).toContain(`alpha (${hashOf(1)})`);
    expect(text).toMatch(
      new RegExp(
        /decision +add: NEEDED: 2 seeders against a target of 5; 3 leechers waiting; /.source +
          /peers all in one country \(DE\) on 1 continent; downloads take 6h on average/.source,
      ),
    );
    expect(text).toMatch(/need +scarcity 0\.2 \* leechers x1\.5 \* geo x1\.\d+ \* slow x1\.\d+ \* herd x0\.9\d+/);
    expect(text).toMatch(/counts +2 seeders, 3 leechers, 40 completed: scrape http:\/\/tracker\.test\/announce, 1m ago/);
    expect(text).toMatch(/geography .*concentration 1, continent gap 0\.667, 4 located, 1 unknown; announce probe, 2m ago/);
    expect(text).toMatch(/downloads .*Little's law: L 3, lambda 0\.5\/h over 4 scrapes in 3h, 1m ago/);
    expect(text).toMatch(/herd +takes it: deficit 3, probability 1/);
    const plain = explainDecision(findDecision(plan.decisions, 'plain'), plan.nowMs, scoring).join('\n');
    expect(plain).toMatch(/counts +none yet/);
    expect(plain).toMatch(/signals +not scored/);
  });

  it('shows the top factors in the plan table, and no such column without signals', () => {
    const d = findDecision(plan.decisions, 'alpha');
    expect(formatTopFactors(d.components)).toMatch(/^leechers x1\.5 (geo|slow) x1\.\d+$/);
    const table = formatPlanTable(plan, { width: 240 });
    expect(table.split('\n')[2]).toMatch(/TOP FACTORS/);
    const v1 = planMirror(aPlanInput({ candidates: [aCandidate()] }));
    expect(formatPlanTable(v1, { width: 240 })).not.toMatch(/TOP FACTORS/);
  });
});

describe('explain from the saved decisions memory', () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('shows the competitor estimate the running agent learnt, not a fresh one', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-explain-'));
    const state = openAgentState(dir);
    const fresh = initialDecideMemory();
    state.writeDecideMemory({
      ...fresh,
      herd: { ...fresh.herd, competitors: 8, updatedAtMs: FIXED_NOW_MS, ticks: 5, feedsSeenAt: new Map([['feed-a', 0]]) },
    });
    const item = {
      infoHash: hashOf(1),
      name: 'needy',
      sizeBytes: GB,
      torrentUrl: 'http://feeds.test/1.torrent',
      magnetUri: null,
      trackers: [],
      counts: aCounts({ seeders: 1, leechers: 0, observedAtMs: FIXED_NOW_MS - 60_000 }),
      publishedAtMs: null,
    };
    const deps: AgentDeps = {
      daemon: createMemoryDaemon({ password: 'memory-secret' }),
      bus: createEventBus(),
      clock: () => FIXED_NOW_MS,
      state,
      feeds: { readFeeds: async () => [{ feedId: 'feed-a', items: [item] }] },
      counts: { readCounts: async () => new Map() },
      torrents: {
        readTorrent: async () => {
          throw new Error('not fetched in a dry run');
        },
        cached: () => undefined,
        refusal: () => undefined,
      },
      signals: { observe: async () => ({ signals: new Map(), selfCountry: null }) },
    };
    const herd = { ...DEFAULT_SIGNALS.herd, adaptive: true };
    const config: AgentConfig = {
      label: 'smartnode',
      downloadDir: '/srv/mirror',
      maxCountAgeMs: 3_600_000,
      maxTorrentProbesPerTick: 0,
      trackerStatsIntervalMs: 3_600_000,
      absenceSettleMs: 0,
      planPolicy: aPlanPolicy({ maxBytes: 10 * GB, scoring: { ...aPlanPolicy().scoring, signals: { ...DEFAULT_SIGNALS, herd } } }),
    };
    const stderr = new PassThrough();
    const text = await explainTorrent(deps, config, 'needy', { json: false, stderr });
    expect(text).toMatch(/herd +.*about 8 nodes/);
    expect(text).not.toMatch(/about 1 node/);
    expect(text).toMatch(/competing about 8 nodes take the same torrents as this one: beside its recent picks/);
    // Without the saved memory (a state directory the agent never ran in) the same world reads as a lone node.
    const empty = await mkdtemp(join(tmpdir(), 'smartnode-explain-'));
    try {
      const lone = { ...deps, state: openAgentState(empty) };
      expect(await explainTorrent(lone, config, 'needy', { json: false, stderr })).toMatch(/herd +.*about 1 node/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
