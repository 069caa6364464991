/**
 * The Academic Torrents-like test site against the real thing: its database.xml reads like the
 * real captured documents (test/fixtures/academictorrents/, with their sources), and its
 * downloads, tracker and rate limit behave as the tests that use it assume.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFeed } from '../feeds/index.js';
import { fetchTorrentFile, parseTorrentFile } from '../feeds/index.js';
import { startAtSite, syntheticCatalogue, type AtSite } from './at-site.js';

const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/academictorrents/${name}`, import.meta.url), 'utf8');

let site: AtSite | undefined;
afterEach(async () => {
  await site?.close();
  site = undefined;
});

describe('startAtSite', () => {
  it('serves a database.xml that parses into the same fields as the real rss.xml and database.xml', async () => {
    const catalogue = syntheticCatalogue(5);
    site = await startAtSite({ host: '127.0.0.1', torrents: catalogue, ratePerSecond: 100 });
    const served = await (await fetch(site.databaseUrl)).text();
    const options = { feedId: 'at', feedUrl: site.databaseUrl, nowMs: 0, format: 'rss' as const };
    const ours = (await parseFeed(served, options)).items;
    const realRss = (await parseFeed(fixture('rss-recent-excerpt.xml'), { ...options, feedUrl: 'https://academictorrents.com/rss.xml' }))
      .items;
    const realDb = (
      await parseFeed(fixture('database-xml-docs-example.xml'), { ...options, feedUrl: 'http://academictorrents.com/database.xml' })
    ).items;
    expect(realRss).toHaveLength(12);
    expect(realDb).toHaveLength(2);
    // The same shape: a name, a size, a .torrent at <origin>/download/<hash>.torrent; no counts, no date, no trackers.
    for (const [items, origin] of [
      [ours, site.url],
      [realRss, 'https://academictorrents.com'],
      [realDb, 'http://academictorrents.com'],
    ] as const) {
      for (const item of items) {
        expect(item.sizeBytes).toBeGreaterThan(0);
        expect(item.torrentUrl).toBe(`${origin}/download/${item.infoHash}.torrent`);
        expect(item).toMatchObject({ counts: null, publishedAtMs: null, trackers: [] });
      }
    }
    expect(ours.map((i) => i.infoHash)).toEqual(catalogue.map((t) => t.infoHash));
  });

  it('serves a passkeyed .torrent only with the API key, and its info-hash is the catalogue one', async () => {
    const catalogue = syntheticCatalogue(1);
    const apiKey = 'uid=1;pass=00ff';
    site = await startAtSite({ host: '127.0.0.1', torrents: catalogue, ratePerSecond: 1000, apiKey });
    const t = catalogue[0];
    if (t === undefined || t.passkeyed !== true) throw new Error('the first synthetic entry is passkeyed');
    const url = `${site.url}/download/${t.infoHash}.torrent`;
    const options = { timeoutMs: 2000, maxBytes: 1e6, userAgent: 'test' };
    await expect(fetchTorrentFile(url, options)).rejects.toThrow(/401/);
    const bytes = await fetchTorrentFile(url, { ...options, cookie: apiKey });
    expect(parseTorrentFile(bytes).infoHash).toBe(t.infoHash);
  });

  it('answers 429 with Retry-After to a request sooner than its rate allows', async () => {
    site = await startAtSite({ host: '127.0.0.1', torrents: [], ratePerSecond: 1, retryAfterSeconds: 9 });
    expect((await fetch(site.databaseUrl)).status).toBe(200);
    const refused = await fetch(site.databaseUrl);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('9');
    expect(site.violations()).toBe(1);
  });
});
