import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedCache } from './feed-cache.js';

const atRss = readFileSync(new URL('../../test/fixtures/feeds/at-rss.xml', import.meta.url), 'utf8');
const options = { nowMs: 1_000, timeoutMs: 2000, maxBytes: 1_000_000, userAgent: 'smartnode-test' };

// The server's behaviour is switched per test: serve the feed, fail, or send junk.
let mode: 'ok' | 'fail' | 'junk' = 'ok';
let hits = 0;
const server = createServer((req, res) => {
  hits++;
  if (mode === 'fail') return void res.writeHead(503).end();
  if (mode === 'junk') return void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end('<rss><channel><item>');
  if (req.headers['if-none-match'] === '"at-1"') return void res.writeHead(304).end();
  res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"at-1"' }).end(atRss);
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rss.xml`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('FeedCache', () => {
  it('parses fresh, answers 304 from cache, and keeps the last good items when a poll fails', async () => {
    const cache = new FeedCache();
    const source = { id: 'at', url, format: 'auto' as const };
    mode = 'ok';
    const fresh = await cache.refresh(source, options);
    expect(fresh).toMatchObject({ freshness: 'fresh', error: null, fetchedAtMs: 1_000 });
    expect(fresh.items).toHaveLength(4);

    const again = await cache.refresh(source, { ...options, nowMs: 2_000 });
    expect(again).toMatchObject({ freshness: 'not-modified', error: null, fetchedAtMs: 1_000 });
    expect(again.items).toBe(fresh.items);

    mode = 'fail';
    const failed = await cache.refresh(source, { ...options, nowMs: 3_000 });
    expect(failed.freshness).toBe('stale');
    expect(failed.error).toMatchObject({ code: 'FEED_FETCH', retryable: true });
    expect(failed.items).toEqual(fresh.items);

    mode = 'junk';
    const junk = await cache.refresh(source, { ...options, nowMs: 4_000 });
    expect(junk.error?.code).toBe('FEED_PARSE');
    expect(junk.items).toEqual(fresh.items);
    expect(cache.lastGood('at')?.items).toEqual(fresh.items);
  });

  it('reports the error with no items when nothing was ever fetched', async () => {
    mode = 'fail';
    const before = hits;
    const result = await new FeedCache().refresh({ id: 'new', url, format: 'rss' }, options);
    expect(hits).toBe(before + 1);
    expect(result).toMatchObject({ freshness: 'none', items: [], fetchedAtMs: null });
    expect(result.error?.code).toBe('FEED_FETCH');
  });
});
