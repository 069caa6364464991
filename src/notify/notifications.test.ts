import { describe, expect, it } from 'vitest';
import type { AgentEvent } from '../agent/index.js';
import { toInfoHash } from '../shared/index.js';
import { groupNotifications, toEnvelope } from './envelope.js';
import { createNotificationWatcher, type Notification } from './notifications.js';

const T0 = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const error = { code: 'FEED_FETCH', message: 'HTTP 503', retryable: true };

function run(events: AgentEvent[], feedFailingAfterMs = 6 * HOUR): Notification[] {
  const watcher = createNotificationWatcher({ feedFailingAfterMs });
  return events.flatMap((e) => watcher.observe(e));
}

const tick = (n: number, inside: AgentEvent[]): AgentEvent[] => [
  { type: 'tick-started', atMs: T0 + n, tick: n },
  ...inside,
  { type: 'tick-finished', atMs: T0 + n, tick: n, durationMs: 1, adds: 0, removes: 0, failed: 0, dryRun: false },
];
const reserve: AgentEvent = {
  type: 'disk-reserve',
  atMs: T0,
  diskFreeBytes: 1,
  minFreeBytes: 2,
  evictions: 1,
  pendingWriteBytes: 0,
  detail: 'd',
};

describe('what is notified', () => {
  it('tells a corrupt or vanished torrent, and not a verified one', () => {
    const finding = (code: string): AgentEvent => ({
      type: 'integrity',
      atMs: T0,
      infoHash: toInfoHash('ab'.repeat(20)),
      name: 'set',
      code,
      text: code,
    });
    expect(run(['CORRUPT', 'BAD_PIECES', 'DATA_VANISHED', 'VERIFIED', 'REPAIRED'].map(finding)).map((n) => n.event)).toEqual([
      'torrent.corrupt',
      'torrent.corrupt',
      'torrent.vanished',
    ]);
  });

  it('tells the disk reserve once while it lasts, and again after a tick without it', () => {
    const told = run([...tick(1, [reserve]), ...tick(2, [reserve]), ...tick(3, []), ...tick(4, [reserve])]);
    expect(told.map((n) => n.event)).toEqual(['disk.reserve', 'disk.reserve']);
  });

  it('tells a feed failing for longer than the policy allows, once until it recovers', () => {
    const failed = (h: number): AgentEvent => ({ type: 'feed-failed', atMs: T0 + h * HOUR, feedId: 'f', error, keptItems: 3 });
    const fetched: AgentEvent = { type: 'feed-fetched', atMs: T0 + 8 * HOUR, feedId: 'f', items: 3, notModified: false, warnings: 0 };
    const told = run([failed(0), failed(5), failed(6), failed(7), fetched, failed(9), failed(15)]);
    expect(told.map((n) => [n.event, n.atMs - T0, n.data.failingSinceMs])).toEqual([
      ['feed.failing', 6 * HOUR, T0],
      ['feed.failing', 15 * HOUR, T0 + 9 * HOUR],
    ]);
  });

  it('tells the daemon unreachable once per outage', () => {
    const down: AgentEvent = { type: 'tick-failed', atMs: T0, tick: 1, error: { ...error, code: 'DAEMON_UNREACHABLE' }, retryInMs: 1000 };
    const other: AgentEvent = { ...down, error: { ...error, code: 'STATE_IO' } };
    const told = run([other, down, down, { type: 'daemon-connected', atMs: T0, version: '4', rpcVersion: 18 }, down]);
    expect(told.map((n) => n.event)).toEqual(['daemon.unreachable', 'daemon.unreachable']);
  });
});

describe('the envelope and grouping', () => {
  it('wraps a message as {event, id, timestamp, version, data}', () => {
    expect(toEnvelope({ event: 'disk.reserve', atMs: T0, data: { a: 1 } }, 'x')).toEqual({
      event: 'disk.reserve',
      id: 'x',
      timestamp: '2026-01-01T00:00:00.000Z',
      version: 1,
      data: { a: 1 },
    });
  });

  it('makes one message per torrent kind, listing at most the cap and counting the rest', () => {
    const torrent = (i: number, event: Notification['event'] = 'torrent.corrupt'): Notification => ({
      event,
      atMs: T0 + i,
      torrent: { infoHash: String(i), name: `t${i}`, code: 'CORRUPT', text: '' },
      data: {},
    });
    const messages = groupNotifications(
      [torrent(1), { event: 'disk.reserve', atMs: T0, data: {} }, torrent(2), torrent(3), torrent(4, 'torrent.vanished')],
      2,
    );
    expect(messages.map((m) => [m.event, m.data.count, (m.data.torrents as unknown[] | undefined)?.length, m.data.omitted])).toEqual([
      ['torrent.corrupt', 3, 2, 1],
      ['disk.reserve', undefined, undefined, undefined],
      ['torrent.vanished', 1, 1, 0],
    ]);
  });
});
