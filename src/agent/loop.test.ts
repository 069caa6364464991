import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryDaemon } from '../daemon/index.js';
import { SmartnodeError, createSiteBudget, isStopping, realSleep } from '../shared/index.js';
import { createEventBus, type AgentEvent } from './events.js';
import { backoffMs, startAgentLoop } from './loop.js';
import { openAgentState } from './state.js';
import type { AgentConfig, AgentDeps } from './config.js';

const config: AgentConfig = {
  label: 'smartnode',
  downloadDir: '/srv/mirror',
  maxCountAgeMs: 60_000,
  maxTorrentProbesPerTick: 1,
  trackerStatsIntervalMs: 60_000,
  absenceSettleMs: 0,
  planPolicy: {
    maxBytes: 1e9,
    minFreeBytes: 0,
    feeds: [],
    scoring: { targetSeeders: 5, leecherWeight: 0.25, replaceMargin: 0.2, minSeedTimeMs: 0 },
    maxAddsPerTick: 1,
  },
};

describe('backoffMs', () => {
  it('doubles from 1 s for retryable errors, capped at the tick interval', () => {
    const down = new SmartnodeError('DAEMON_UNREACHABLE', 'down', { retryable: true });
    expect([1, 2, 3, 4, 10].map((n) => backoffMs(down, n, 10_000))).toEqual([1000, 2000, 4000, 8000, 10_000]);
  });
  it('waits a whole tick after an error that retrying will not fix', () => {
    expect(backoffMs(new SmartnodeError('DAEMON_AUTH', 'no'), 1, 60_000)).toBe(60_000);
  });
});

describe('the agent loop', () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('keeps running while the daemon is down, backs off, and reconnects', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-loop-'));
    const daemon = createMemoryDaemon({ password: 'memory-secret' });
    daemon.control.down();
    const bus = createEventBus();
    const events: AgentEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const deps: AgentDeps = {
      daemon,
      bus,
      clock: Date.now,
      state: openAgentState(dir),
      feeds: { readFeeds: async () => [] },
      counts: { readCounts: async () => new Map() },
      torrents: {
        readTorrent: async () => {
          throw new Error('unused');
        },
        cached: () => undefined,
        refusal: () => undefined,
      },
    };
    const controller = new AbortController();
    const loop = startAgentLoop(deps, { tickIntervalMs: 60_000, dryRun: false, signal: controller.signal, readConfig: () => config });
    const deadline = Date.now() + 10_000;
    while (events.filter((e) => e.type === 'tick-failed').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const failures = events.filter((e) => e.type === 'tick-failed');
    expect(failures.map((e) => e.type === 'tick-failed' && e.retryInMs)).toEqual([1000, 2000]);
    daemon.control.up();
    loop.tickNow();
    while (!events.some((e) => e.type === 'tick-finished') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(events.some((e) => e.type === 'daemon-connected')).toBe(true);
    expect(events.some((e) => e.type === 'tick-finished')).toBe(true);
    controller.abort();
    await loop.done;
  }, 15_000);

  it('a stop during a feed read that waits on the site budget ends the loop at once: nothing planned, no failed tick', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-loop-'));
    const controller = new AbortController();
    // A site at one request a minute, its only turn taken by a request that never answers.
    const budget = createSiteBudget({ ratePerSecond: () => 1 / 60, now: Date.now, sleep: realSleep, stop: controller.signal });
    void budget.run('http://feeds.example/a', () => new Promise<never>(() => undefined)).catch(() => undefined);
    const bus = createEventBus();
    const events: AgentEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const deps: AgentDeps = {
      daemon: createMemoryDaemon({ password: 'memory-secret' }),
      bus,
      clock: Date.now,
      state: openAgentState(dir),
      feeds: {
        readFeeds: async () => {
          await budget
            .run('http://feeds.example/b', async () => undefined)
            .catch((error: unknown) => {
              if (!isStopping(error)) throw error;
            });
          return [];
        },
      },
      counts: { readCounts: async () => new Map() },
      torrents: {
        readTorrent: async () => {
          throw new Error('unused');
        },
        cached: () => undefined,
        refusal: () => undefined,
      },
    };
    const loop = startAgentLoop(deps, { tickIntervalMs: 60_000, dryRun: false, signal: controller.signal, readConfig: () => config });
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.type === 'daemon-connected') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 50));
    const stoppedAt = Date.now();
    controller.abort();
    await loop.done;
    expect(Date.now() - stoppedAt).toBeLessThan(500);
    expect(events.map((e) => e.type).filter((t) => t === 'planned' || t === 'tick-failed' || t === 'tick-finished')).toEqual([]);
  }, 15_000);
});
