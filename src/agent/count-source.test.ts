/**
 * Counting a whole catalogue against an Academic Torrents-like site (single-hash scrapes, 429
 * above its rate): in the background, never-counted first, within the budget, remembered across
 * restarts, old counts kept with their age when the tracker is gone.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSiteBudget, realSleep, type SiteBudget } from '../shared/index.js';
import { createScraper, createTrackerMemory } from '../swarm/index.js';
import { startAtSite, syntheticCatalogue, type AtSite, type AtTorrent } from '../testkit/index.js';
import { createScrapeCountSource } from './count-source.js';
import { COUNT_STORE_FILE, openCountStore } from './count-store.js';
import { createEventBus } from './events.js';
import { createHttpFeedSource } from './live-sources.js';

let dir: string;
let site: AtSite | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sn-counts-'));
});
afterEach(async () => {
  await site?.close();
  site = undefined;
  await rm(dir, { recursive: true, force: true });
});

const HOUR = 3_600_000;

async function countSource(budget: SiteBudget, options: { clock?: () => number } = {}) {
  const store = await openCountStore(dir, { clock: Date.now });
  const scraper = createScraper({ budget, memory: createTrackerMemory(store.trackers()), timeoutMs: 2000, now: Date.now });
  return createScrapeCountSource({
    scraper,
    enabled: () => true,
    intervalMs: () => HOUR,
    bus: createEventBus(),
    store,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
}

/** The most requests any window of `windowMs` saw (smartnode's, not a daemon's). */
function busiestWindow(s: AtSite, windowMs: number): number {
  const times = s.requests.filter((r) => !r.daemon).map((r) => r.atMs);
  let most = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] ?? 0) - (times[j] ?? 0) >= windowMs) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('createScrapeCountSource against an Academic Torrents-like site', () => {
  it('counts every torrent in the background within the budget, new ones first, and remembers across a restart', async () => {
    const catalogue = syntheticCatalogue(30);
    site = await startAtSite({ host: '127.0.0.1', torrents: catalogue, ratePerSecond: 10, slack: 1 });
    for (const [i, t] of catalogue.entries()) site?.setSwarm(t.infoHash, { seeders: i % 4, leechers: 1, completed: i });
    const budget = createSiteBudget({ ratePerSecond: () => 10, now: Date.now, sleep: realSleep });
    const requestsOf = (ts: readonly AtTorrent[]) => ts.map((t) => ({ infoHash: t.infoHash, trackers: [site?.announceUrl ?? ''] }));
    const counts = await countSource(budget);

    // A read about torrents never tried waits for their round (at most NEW_COUNTS_WAIT_MS): a small catalogue
    // (25 requests at 10/s) is counted by then.
    const first = await counts.readCounts(requestsOf(catalogue.slice(0, 25)), Date.now());
    expect(first.size).toBe(25);
    await counts.settled();
    const all = await counts.readCounts(requestsOf(catalogue.slice(0, 25)), Date.now());
    expect(all.size).toBe(25);
    expect(catalogue.slice(0, 25).map((t) => all.get(t.infoHash)?.seeders)).toEqual(catalogue.slice(0, 25).map((_, i) => i % 4));

    // Five new uploads: only they are asked (one request each), the rest are fresh; the read
    // waits for the new ones.
    const before = site.requests.length;
    const withNew = await counts.readCounts(requestsOf(catalogue), Date.now());
    expect(withNew.size).toBe(30);
    await counts.settled();
    const asked = site.requests.slice(before);
    expect(asked.map((r) => r.scrapeHashes)).toEqual([1, 1, 1, 1, 1]);
    expect(site.violations()).toBe(0);

    // Kept in the state dir, owner-only, with the tracker known as single-hash.
    const file = join(dir, COUNT_STORE_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { counts: Record<string, unknown>; trackers: { singleHash: string[] } };
    expect(Object.keys(saved.counts)).toHaveLength(30);
    expect(saved.trackers.singleHash).toEqual([site.announceUrl]);

    // After a restart with the site gone, the counts are still there with their age.
    const observedAt = all.get(catalogue[0]?.infoHash as never)?.observedAtMs;
    await site.close();
    site = undefined;
    const later = Date.now() + 2 * HOUR;
    const restarted = await countSource(budget, { clock: () => later });
    const kept = await restarted.readCounts(requestsOf(catalogue), later);
    await restarted.settled();
    expect(kept.size).toBe(30);
    expect(kept.get(catalogue[0]?.infoHash as never)?.observedAtMs).toBe(observedAt);
  });

  it('stops at once when the agent stops: no request after it, nothing held against the tracker, counted ones kept', async () => {
    const catalogue = syntheticCatalogue(40);
    site = await startAtSite({ host: '127.0.0.1', torrents: catalogue, ratePerSecond: 5, slack: 1 });
    const stop = new AbortController();
    const budget = createSiteBudget({ ratePerSecond: () => 5, now: Date.now, sleep: realSleep, stop: stop.signal });
    const counts = await countSource(budget);
    const requests = catalogue.map((t) => ({ infoHash: t.infoHash, trackers: [site?.announceUrl ?? ''] }));
    // The first read waits for the first round; a stop while it waits ends the wait at once.
    const reading = counts.readCounts(requests, Date.now());
    while (site.requests.filter((r) => !r.daemon).length < 4) await realSleep(20);
    const stoppedAt = Date.now();
    stop.abort();
    counts.stop();
    await counts.settled();
    await reading;
    expect(Date.now() - stoppedAt).toBeLessThan(500);
    const sent = site.requests.filter((r) => !r.daemon).length;
    await realSleep(500);
    expect(site.requests.filter((r) => !r.daemon).length).toBe(sent);
    const saved = JSON.parse(await readFile(join(dir, COUNT_STORE_FILE), 'utf8')) as {
      counts: Record<string, unknown>;
      trackers: { backoff: Record<string, unknown> };
    };
    expect(saved.trackers.backoff).toEqual({});
    expect(Object.keys(saved.counts).length).toBeGreaterThanOrEqual(3);
    expect(Object.keys(saved.counts).length).toBeLessThan(40);
  });

  it('a new node on a 2,850-item database.xml at the real budget (0.5 request/s, scaled clock): every torrent counted, one scrape each, never over the budget', async () => {
    // The clock the budget, the count source and the site all read runs ahead by every wait the
    // budget asks for: the 2-second gaps take no wall time, the requests and answers are real,
    // and the site refuses any request sooner than 2 s after the previous one by that clock.
    let aheadMs = 0;
    const now = (): number => Date.now() + aheadMs;
    const sleep = async (ms: number): Promise<void> => {
      aheadMs += Math.max(0, ms);
    };
    const rate = 0.5;
    const catalogue = syntheticCatalogue(2850);
    site = await startAtSite({ host: '127.0.0.1', torrents: catalogue, ratePerSecond: rate, slack: 1, clock: now });
    for (const [i, t] of catalogue.entries()) site?.setSwarm(t.infoHash, { seeders: i % 3, leechers: 0, completed: 0 });
    const budget = createSiteBudget({ ratePerSecond: () => rate, now, sleep });
    const bus = createEventBus();
    const feeds = createHttpFeedSource({
      feeds: () => [{ id: 'at', url: site?.databaseUrl ?? '', format: 'rss', cookie: undefined }],
      refreshIntervalMs: () => HOUR,
      limits: { timeoutMs: 10_000, feedMaxBytes: 10e6, torrentFileMaxBytes: 1e6, userAgent: 'test' },
      bus,
      extraTrackers: () => [site?.announceUrl ?? ''],
      budget,
    });
    const store = await openCountStore(dir, { clock: now });
    const counts = createScrapeCountSource({
      scraper: createScraper({ budget, memory: createTrackerMemory(store.trackers()), timeoutMs: 2000, now }),
      enabled: () => true,
      intervalMs: () => 24 * HOUR,
      bus,
      store,
      clock: now,
    });
    const started = now();
    const wallStarted = Date.now();
    const [snapshot] = await feeds.readFeeds(now());
    const items = snapshot?.items ?? [];
    expect(items).toHaveLength(2850);
    const wanted = items.map((i) => ({ infoHash: i.infoHash, trackers: i.trackers }));
    await counts.readCounts(wanted, now());
    await counts.settled();
    const minutes = (now() - started) / 60_000;
    const counted = await counts.readCounts(wanted, now());
    expect(counted.size).toBe(2850);
    const requests = site.requests.filter((r) => !r.daemon).length;
    const answered = site.requests.filter((r) => !r.daemon && r.status === 200).length;
    // The feed, one multi-hash scrape (answered for its first hash only, which reveals the
    // single-hash tracker), then one request for each of the 2,849 others; nothing refused.
    expect(answered).toBe(1 + 1 + 2849);
    expect(site.violations()).toBe(0);
    expect(busiestWindow(site, 1000 / rate)).toBe(1);
    expect(minutes).toBeGreaterThanOrEqual((requests - 1) / rate / 60);
    console.log(
      `2,850-item catalogue at 0.5 request/s: ${requests} requests, every torrent counted after ${minutes.toFixed(1)} min ` +
        `on the budget's clock (${((Date.now() - wallStarted) / 1000).toFixed(1)} s of wall time for the round trips), none refused`,
    );
  }, 180_000);
});
