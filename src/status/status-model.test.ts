import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../agent/index.js';
import { DECISION_LOG_LIMIT, initialStatus, reduceStatus, type StatusSnapshot } from './status-model.js';
import { T0_MS, aMirrorView, hashN } from './testing.js';

const fold = (
  events: AgentEvent[],
  from: StatusSnapshot = initialStatus({ nodeId: 'n-12345678', nowMs: T0_MS, pins: [], bans: [], paused: false }),
): StatusSnapshot => events.reduce(reduceStatus, from);
const daemonDown = { code: 'DAEMON_UNREACHABLE', message: 'cannot reach http://127.0.0.1:9091', retryable: true };

describe('reduceStatus', () => {
  it('follows a tick: scheduled -> ticking -> running with its time and duration', () => {
    const s = fold([
      { type: 'tick-scheduled', atMs: T0_MS, nextTickAtMs: T0_MS + 1000 },
      { type: 'tick-started', atMs: T0_MS + 1000, tick: 1 },
    ]);
    expect(s.agent).toMatchObject({ state: 'ticking', tick: 1, nextTickAtMs: null });
    const done = fold(
      [
        { type: 'tick-finished', atMs: T0_MS + 1500, tick: 1, durationMs: 500, adds: 1, removes: 0, failed: 0, dryRun: false },
        { type: 'tick-scheduled', atMs: T0_MS + 1500, nextTickAtMs: T0_MS + 61_500 },
      ],
      s,
    );
    expect(done.agent).toMatchObject({
      state: 'running',
      tick: 1,
      lastTickAtMs: T0_MS + 1500,
      lastTickDurationMs: 500,
      nextTickAtMs: T0_MS + 61_500,
    });
  });

  it('a daemon failure marks the agent in error and the daemon unreachable; the next good tick clears both', () => {
    const connected = fold([{ type: 'daemon-connected', atMs: T0_MS, version: '3.00', rpcVersion: 16 }]);
    const failed = fold([{ type: 'tick-failed', atMs: T0_MS + 10, tick: 1, error: daemonDown, retryInMs: 1000 }], connected);
    expect(failed.agent.state).toBe('error');
    expect(failed.agent.nextTickAtMs).toBe(T0_MS + 1010);
    expect(failed.daemon).toMatchObject({ state: 'unreachable', version: '3.00', error: daemonDown });
    const healed = fold(
      [{ type: 'tick-finished', atMs: T0_MS + 2000, tick: 2, durationMs: 5, adds: 0, removes: 0, failed: 0, dryRun: false }],
      failed,
    );
    expect(healed.agent).toMatchObject({ state: 'running', lastError: null });
    expect(healed.daemon.state).toBe('connected');
  });

  it('a non-daemon failure leaves the daemon connected', () => {
    const s = fold([
      { type: 'daemon-connected', atMs: T0_MS, version: '3.00', rpcVersion: 16 },
      { type: 'tick-failed', atMs: T0_MS, tick: 1, error: { code: 'STATE_IO', message: 'disk full', retryable: true }, retryInMs: 1000 },
    ]);
    expect(s.daemon.state).toBe('connected');
    expect(s.agent.state).toBe('error');
  });

  it('pause holds across ticks until resumed', () => {
    const s = fold([
      { type: 'paused', atMs: T0_MS, paused: true },
      { type: 'tick-finished', atMs: T0_MS + 1, tick: 1, durationMs: 1, adds: 0, removes: 0, failed: 0, dryRun: false },
    ]);
    expect(s.agent.state).toBe('paused');
    expect(s.paused).toBe(true);
    expect(fold([{ type: 'paused', atMs: T0_MS + 2, paused: false }], s).agent.state).toBe('running');
  });

  it('pins and bans toggle, and a pin shows on the owned row', () => {
    const withMirror = fold([{ type: 'mirror', atMs: T0_MS, view: aMirrorView({ owned: 2 }) }]);
    const pinned = fold(
      [
        { type: 'pin', atMs: T0_MS, infoHash: hashN(1), pinned: true },
        { type: 'ban', atMs: T0_MS, infoHash: hashN(9), banned: true },
      ],
      withMirror,
    );
    expect(pinned.pins).toEqual([hashN(1)]);
    expect(pinned.bans).toEqual([hashN(9)]);
    expect(pinned.mirror?.owned.map((o) => o.pinned)).toEqual([false, true]);
    const unpinned = fold([{ type: 'pin', atMs: T0_MS, infoHash: hashN(1), pinned: false }], pinned);
    expect(unpinned.pins).toEqual([]);
    expect(withMirror.mirror?.owned[1]?.pinned).toBe(false); // the earlier snapshot is not mutated
  });

  it('keeps the last DECISION_LOG_LIMIT decisions with the planner reason, and failures with their error', () => {
    const actions: AgentEvent[] = Array.from({ length: DECISION_LOG_LIMIT + 5 }, (_, i) => ({
      type: 'action',
      atMs: T0_MS + i,
      kind: 'add',
      infoHash: hashN(i),
      name: `t${i}`,
      sizeBytes: 1,
      reason: { code: 'NEEDED', text: `reason ${i}` },
      dryRun: false,
    }));
    const s = fold([
      ...actions,
      { type: 'action-failed', atMs: T0_MS + 999, kind: 'remove', infoHash: hashN(1), name: 't1', error: daemonDown },
    ]);
    expect(s.decisions).toHaveLength(DECISION_LOG_LIMIT);
    expect(s.decisions[0]?.reason?.text).toBe('reason 6');
    expect(s.decisions.at(-1)).toMatchObject({ kind: 'remove', reason: null, error: daemonDown });
  });

  it('tracks each feed: items, failures since the last good fetch, dropped items', () => {
    const s = fold([
      { type: 'feed-fetched', atMs: T0_MS, feedId: 'b', items: 10, notModified: false, warnings: 0 },
      { type: 'feed-fetched', atMs: T0_MS, feedId: 'a', items: 4, notModified: false, warnings: 0 },
      { type: 'feed-item-dropped', atMs: T0_MS, feedId: 'a', message: 'bad hash' },
      {
        type: 'feed-failed',
        atMs: T0_MS + 5,
        feedId: 'a',
        error: { code: 'FEED_FETCH', message: 'HTTP 503', retryable: true },
        keptItems: 4,
      },
      {
        type: 'feed-failed',
        atMs: T0_MS + 6,
        feedId: 'a',
        error: { code: 'FEED_FETCH', message: 'HTTP 503', retryable: true },
        keptItems: 4,
      },
    ]);
    expect(s.feeds.map((f) => f.feedId)).toEqual(['a', 'b']);
    expect(s.feeds[0]).toMatchObject({ items: 4, failures: 2, droppedItems: 1, lastOkAtMs: T0_MS, lastFetchAtMs: T0_MS + 6 });
    expect(s.feeds[0]?.lastError?.message).toBe('HTTP 503');
    const ok = fold([{ type: 'feed-fetched', atMs: T0_MS + 9, feedId: 'a', items: 5, notModified: false, warnings: 0 }], s);
    expect(ok.feeds[0]).toMatchObject({ items: 5, failures: 0, lastError: null });
  });

  it('the mirror event replaces the view; planned keeps the summary', () => {
    const view = aMirrorView({ owned: 1, candidates: 4 });
    const s = fold([
      {
        type: 'planned',
        atMs: T0_MS,
        candidates: 5,
        desired: 1,
        adds: 1,
        removes: 0,
        capacityBytes: 10,
        committedBytes: 5,
        noSource: 0,
        stalled: 0,
        noSourceReason: null,
      },
      { type: 'mirror', atMs: T0_MS, view },
    ]);
    expect(s.mirror).toBe(view);
    expect(s.plan).toMatchObject({ candidates: 5, desired: 1 });
  });

  it('keeps the last bandwidth state and the owner-facing notices', () => {
    const s = fold([
      {
        type: 'bandwidth',
        atMs: T0_MS,
        scope: 'owned',
        owned: 3,
        changed: 1,
        uploadBytesPerSec: 1_000_000,
        downloadBytesPerSec: null,
        uploadState: 'throttled',
        downloadState: 'open',
        window: null,
        periodUploadedBytes: 5e9,
        periodDownloadedBytes: 1e9,
      },
      {
        type: 'policy-reload-failed',
        atMs: T0_MS + 1,
        path: '/p.yaml',
        error: { code: 'POLICY_INVALID', message: 'p.yaml:3 storage.maxBytes: expected a size', retryable: false },
      },
      { type: 'policy-reloaded', atMs: T0_MS + 2, path: '/p.yaml', changed: ['storage.maxBytes'] },
    ]);
    expect(s.bandwidth).toMatchObject({ uploadBytesPerSec: 1_000_000, uploadState: 'throttled', periodUploadedBytes: 5e9 });
    expect(s.bandwidth).not.toHaveProperty('type');
    expect(s.notices.map((n) => [n.kind, n.isError])).toEqual([
      ['policy-reload-failed', true],
      ['policy-reloaded', false],
    ]);
    expect(s.notices[0]?.text).toContain('p.yaml:3 storage.maxBytes');
  });
});
