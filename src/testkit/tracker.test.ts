import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { toInfoHash } from '../shared/index.js';
import { fetchHttpScrapeBatch } from '../swarm/index.js';
import { announcePeer, startTracker } from './tracker.js';
import type { RunningTracker } from './tracker.js';

const hash = toInfoHash(createHash('sha1').update('filter').digest('hex'));
const other = toInfoHash(createHash('sha1').update('filter-other').digest('hex'));

async function seedersOf(tracker: RunningTracker, infoHash = hash): Promise<number | undefined> {
  const reply = await fetchHttpScrapeBatch(tracker.announceUrl, [infoHash], { timeoutMs: 2000 });
  if (reply.kind !== 'counts') throw new Error(reply.reason);
  return reply.counts.get(infoHash)?.seeders;
}

describe('startTracker', () => {
  let tracker: RunningTracker | undefined;
  afterEach(async () => {
    await tracker?.close();
    tracker = undefined;
  });

  it('binds HTTP and UDP to the given host on free ports', async () => {
    tracker = await startTracker({ host: '127.0.0.1', udp: true, intervalMs: 5000 });
    expect(tracker.announceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/announce$/);
    expect(tracker.scrapeUrl).toBe(tracker.announceUrl.replace('/announce', '/scrape'));
    expect(tracker.udpAnnounceUrl).toMatch(/^udp:\/\/127\.0\.0\.1:\d+$/);
    const reply = Buffer.from(await announcePeer(tracker.announceUrl, { infoHash: hash, port: 7301, left: 0 })).toString('latin1');
    expect(reply).toContain('8:intervali5e');
    expect(tracker.requestCounts().httpAnnounce).toBe(1);
  });

  it('runs UDP only when asked', async () => {
    tracker = await startTracker({ host: '127.0.0.1', http: false, udp: true });
    expect(tracker.announceUrl).toMatch(/^udp:\/\/127\.0\.0\.1:\d+$/);
    expect(tracker.server.http).toBeNull();
  });

  it('ignores a "stopped" within 3 s of a "started" from the same address, not later', async () => {
    let nowMs = 50_000;
    tracker = await startTracker({ host: '127.0.0.1', now: () => nowMs });
    await announcePeer(tracker.announceUrl, { infoHash: hash, port: 7302, left: 0, event: 'started' });
    expect(await seedersOf(tracker)).toBe(1);

    nowMs += 2_999;
    const refused = Buffer.from(await announcePeer(tracker.announceUrl, { infoHash: hash, port: 7302, left: 0, event: 'stopped' }));
    expect(refused.toString('latin1')).toContain('failure reason');
    expect(tracker.requestCounts().ignoredStops).toBe(1);
    expect(await seedersOf(tracker)).toBe(1);

    nowMs += 1;
    await announcePeer(tracker.announceUrl, { infoHash: hash, port: 7302, left: 0, event: 'stopped' });
    expect(tracker.requestCounts().ignoredStops).toBe(1);
    expect(await seedersOf(tracker)).toBe(0);
  });

  it('applies the grace per torrent', async () => {
    const nowMs = 10_000;
    tracker = await startTracker({ host: '127.0.0.1', now: () => nowMs });
    await announcePeer(tracker.announceUrl, { infoHash: hash, port: 7303, left: 0, event: 'started' });
    // The other torrent was started long before this tracker knew of it: its stop goes through.
    await announcePeer(tracker.announceUrl, { infoHash: other, port: 7303, left: 5, event: 'stopped' });
    expect(tracker.requestCounts().ignoredStops).toBe(0);
    expect(await seedersOf(tracker)).toBe(1);
  });

  it('closes idempotently and frees the port', async () => {
    const t = await startTracker({ host: '127.0.0.1', udp: true });
    await Promise.all([t.close(), t.close()]);
    await expect(fetch(t.announceUrl, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});
