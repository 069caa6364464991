/**
 * The scraper against a site that behaves like Academic Torrents: a tracker that answers a
 * multi-hash scrape with one file, and 429 with Retry-After above its rate.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createSiteBudget, realSleep } from '../shared/index.js';
import { startAtSite, syntheticCatalogue, type AtSite } from '../testkit/index.js';
import { createScraper } from './scraper.js';
import { createTrackerMemory } from './tracker-memory.js';

let site: AtSite | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

const budgetOf = (rate: number) => createSiteBudget({ ratePerSecond: () => rate, now: Date.now, sleep: realSleep });

describe('createScraper against an Academic Torrents-like tracker', () => {
  it('detects a tracker that answers fewer files than asked, remembers it, and counts every hash one at a time', async () => {
    const catalogue = syntheticCatalogue(12);
    site = await startAtSite({ host: '127.0.0.1', torrents: catalogue, ratePerSecond: 10, slack: 1 });
    for (const [i, t] of catalogue.entries()) site?.setSwarm(t.infoHash, { seeders: i, leechers: 1, completed: 2 * i });
    const memory = createTrackerMemory();
    const budget = budgetOf(10);
    const scraper = createScraper({ budget, memory, timeoutMs: 2000, now: Date.now });
    const requests = catalogue.map((t) => ({ infoHash: t.infoHash, trackers: [site?.announceUrl ?? ''] }));

    const first = await scraper.scrape(requests);
    expect(first.errors).toEqual([]);
    expect(catalogue.map((t) => first.results.get(t.infoHash)?.seeders)).toEqual(catalogue.map((_, i) => i));
    // One multi-hash request (answered with one file), then the 11 others one by one.
    expect(first.requests).toBe(12);
    expect(memory.singleHash(site.announceUrl)).toBe(true);
    expect(memory.snapshot().singleHash).toEqual([site.announceUrl]);

    // Known as single-hash from the start: exactly one request per hash, never a multi-hash one.
    const before = site.requests.length;
    const again = await createScraper({ budget, memory, timeoutMs: 2000, now: Date.now }).scrape(requests);
    expect(again.requests).toBe(12);
    expect(site.requests.slice(before).every((r) => r.scrapeHashes === 1)).toBe(true);
    expect(again.results.size).toBe(12);
    expect(site.violations()).toBe(0);
  });

  it('on 429 pauses the site for its Retry-After, does not count the tracker as dead, and reports the error', async () => {
    const catalogue = syntheticCatalogue(3);
    site = await startAtSite({ host: '127.0.0.1', torrents: catalogue, ratePerSecond: 1, retryAfterSeconds: 7 });
    const memory = createTrackerMemory({ singleHash: [site.announceUrl], backoff: {} });
    // The client allows itself 20 requests a second: the site's 1 a second refuses the second one.
    const budget = budgetOf(20);
    const scraper = createScraper({ budget, memory, timeoutMs: 2000, now: Date.now });
    const outcome = await scraper.scrape(catalogue.map((t) => ({ infoHash: t.infoHash, trackers: [site?.announceUrl ?? ''] })));
    expect(outcome.requests).toBe(2);
    expect(outcome.results.size).toBe(1);
    expect(outcome.errors).toHaveLength(1);
    expect(outcome.errors[0]?.error.details).toMatchObject({ rateLimited: true, retryAfter: '7' });
    expect(budget.nextFreeAtMs(site.url)).toBeGreaterThanOrEqual(Date.now() + 6000);
    expect(memory.failures(site.announceUrl)).toBe(0);
  });

  it('backs a dead tracker off: the next round skips it without a request', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const dead = `http://127.0.0.1:${port}/announce`;
    const memory = createTrackerMemory();
    const scraper = createScraper({ budget: budgetOf(50), memory, timeoutMs: 1000, now: Date.now });
    const request = [{ infoHash: syntheticCatalogue(1)[0]?.infoHash ?? ('' as never), trackers: [dead] }];
    const first = await scraper.scrape(request);
    expect(first.requests).toBe(1);
    expect(first.errors).toHaveLength(1);
    expect(memory.failures(dead)).toBe(1);
    const second = await scraper.scrape(request);
    expect(second.requests).toBe(0);
    expect(second.skipped[0]?.reason).toMatch(/failed 1 times; asked again after/);
  });
});
