/**
 * The live feed and .torrent sources against real HTTP servers on 127.0.0.1 that hang or fail:
 * a hung feed costs one wait, then backs off and is retried in the background; a failed feed is
 * never read as empty; a slow .torrent host holds up only its own files.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeBencode, SmartnodeError, toInfoHash } from '../shared/index.js';
import { createHash } from 'node:crypto';
import type { FeedItem } from '../feeds/index.js';
import { createEventBus, type AgentEvent } from './events.js';
import { createScrapeCountSource } from './count-source.js';
import { createHttpFeedSource, FEED_BACKOFF_BASE_MS } from './live-sources.js';
import { createHttpTorrentSource } from './torrent-source.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const HASH = 'a'.repeat(40);
const limits = { timeoutMs: 400, feedMaxBytes: 1_000_000, torrentFileMaxBytes: 1_000_000, userAgent: 'test' };

describe('the feed source after a policy edit', () => {
  it("fetches a feed whose URL changed at once, not after the old URL's refresh interval", async () => {
    const asked: string[] = [];
    const base = await serve((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(`TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED\nDataset,x,${HASH},10,1,1,1,1,1\n`);
    });
    let url = `${base}/typo.csv`;
    const source = createHttpFeedSource({
      feeds: () => [{ id: 'main', url, format: 'at-csv' }],
      refreshIntervalMs: () => 3_600_000,
      limits,
      bus: createEventBus(),
      extraTrackers: () => [],
    });
    await source.readFeeds(1_000_000);
    await source.readFeeds(1_000_001);
    expect(asked).toEqual(['/typo.csv']); // within its interval: not asked again
    url = `${base}/fixed.csv`;
    await source.readFeeds(1_000_002);
    expect(asked).toEqual(['/typo.csv', '/fixed.csv']);
  });
});

describe('the feed source with a hung feed', () => {
  it('waits for it once, then retries it in the background after its backoff, never holding up a read', async () => {
    let hungRequests = 0;
    const base = await serve((req, res) => {
      if (req.url === '/hung.csv') {
        hungRequests++;
        return; // never answers
      }
      res.writeHead(200, { 'content-type': 'text/csv' });
      res.end(
        `TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED\nDataset,good,${HASH},10,1,1,1,1,1\n`,
      );
    });
    const bus = createEventBus();
    const events: AgentEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const source = createHttpFeedSource({
      feeds: () => [
        { id: 'good', url: `${base}/good.csv`, format: 'at-csv' },
        { id: 'hung', url: `${base}/hung.csv`, format: 'at-csv' },
      ],
      refreshIntervalMs: () => 3_600_000,
      limits,
      bus,
      extraTrackers: () => [],
      ownedFor: (feedId) => (feedId === 'hung' ? [{ infoHash: toInfoHash('b'.repeat(40)), name: 'held from hung', sizeBytes: 5 }] : []),
    });
    const t0 = 1_000_000;
    const first = await source.readFeeds(t0);
    expect(hungRequests).toBe(1);
    const failed = events.find((e) => e.type === 'feed-failed');
    expect(failed).toMatchObject({ feedId: 'hung', retryAtMs: t0 + FEED_BACKOFF_BASE_MS });
    // Never read as empty: the owned torrent charged to it stays listed.
    expect(first.find((s) => s.feedId === 'hung')?.items.map((i) => i.name)).toEqual(['held from hung']);
    expect(first.find((s) => s.feedId === 'good')?.items).toHaveLength(1);

    // Before the backoff ends: not asked at all.
    await source.readFeeds(t0 + 60_000);
    expect(hungRequests).toBe(1);

    // After it: asked again, but the read returns while the server still holds that request.
    const later = await source.readFeeds(t0 + FEED_BACKOFF_BASE_MS + 1);
    await waitFor(() => hungRequests === 2);
    expect(events.filter((e) => e.type === 'feed-failed')).toHaveLength(1);
    expect(later.find((s) => s.feedId === 'hung')?.items.map((i) => i.name)).toEqual(['held from hung']);
    await source.settled();
    const second = events.filter((e) => e.type === 'feed-failed')[1];
    expect(second).toMatchObject({ feedId: 'hung', retryAtMs: t0 + FEED_BACKOFF_BASE_MS + 1 + 2 * FEED_BACKOFF_BASE_MS });
  });
});

async function waitFor(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A minimal valid single-file .torrent and its info-hash. */
function torrentFile(name: string): { bytes: Uint8Array; infoHash: string } {
  const info = { length: 5, name, 'piece length': 16384, pieces: new Uint8Array(20) };
  const bytes = encodeBencode({ announce: 'http://127.0.0.1:1/announce', info });
  const infoBytes = encodeBencode(info);
  return { bytes, infoHash: createHash('sha1').update(infoBytes).digest('hex') };
}

function itemFor(url: string, infoHash: string, name: string): FeedItem {
  return {
    infoHash: toInfoHash(infoHash),
    name,
    sizeBytes: 5,
    torrentUrl: url,
    magnetUri: null,
    trackers: [],
    counts: null,
    publishedAtMs: null,
  };
}

describe('the .torrent source', () => {
  it('a slow host holds up only its own files, then backs off and fails at once until its retry time', async () => {
    const fast = torrentFile('fast.bin');
    const slowUrl = await serve(() => {
      /* never answers */
    });
    const fastUrl = await serve((_req, res) => res.end(Buffer.from(fast.bytes)));
    let now = 5_000_000;
    const source = createHttpTorrentSource({ cookieFor: () => undefined, limits, refusalTtlMs: 60_000, clock: () => now });
    const slow = source.readTorrent(itemFor(`${slowUrl}/slow.torrent`, 'c'.repeat(40), 'slow'), 'feed');
    const slowSettled = slow.then(
      () => 'ok',
      (e: unknown) => e,
    );
    const file = await source.readTorrent(itemFor(`${fastUrl}/fast.torrent`, fast.infoHash, 'fast'), 'feed');
    expect(file.name).toBe('fast.bin');
    // The fast file came while the slow host still had not answered.
    expect(await Promise.race([slowSettled, Promise.resolve('pending')])).toBe('pending');
    const error = await slowSettled;
    expect(error).toBeInstanceOf(SmartnodeError);
    expect((error as SmartnodeError).message).toMatch(/no complete answer within 400 ms/);

    // The host is backing off: the next file from it fails at once, naming the retry time.
    const started = Date.now();
    const again = await source.readTorrent(itemFor(`${slowUrl}/other.torrent`, 'd'.repeat(40), 'other'), 'feed').then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(300);
    expect((again as SmartnodeError).message).toMatch(/failed 1 time in a row; not asked again before \d{4}-\d{2}-\d{2}T/);
    now += 61_000;
    const afterBackoff = await source.readTorrent(itemFor(`${slowUrl}/other.torrent`, 'd'.repeat(40), 'other'), 'feed').then(
      () => null,
      (e: unknown) => e,
    );
    expect((afterBackoff as SmartnodeError).message).toMatch(/no complete answer within 400 ms/);
  });
});

describe('the scrape count source', () => {
  it('announces each round by tracker host (no path: it may hold a passkey) and forwards a refusal status', async () => {
    const bus = createEventBus();
    const events: AgentEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const refusal = new SmartnodeError('SCRAPE_FAILED', 'scrape of tracker https://t.example/<redacted> failed: HTTP status 429', {
      retryable: true,
      details: { tracker: 'https://t.example/<redacted>', hashes: 1, httpStatus: 429 },
    });
    const source = createScrapeCountSource({
      scraper: {
        scrape: async () => ({
          results: new Map(),
          errors: [{ tracker: 'https://t.example/<redacted>', error: refusal }],
          skipped: [],
          requests: 1,
        }),
      } as unknown as Parameters<typeof createScrapeCountSource>[0]['scraper'],
      enabled: () => true,
      intervalMs: () => 60_000,
      bus,
    });
    const hash = toInfoHash('ab'.repeat(20));
    await source.readCounts([{ infoHash: hash, trackers: ['https://T.example/PASSKEY/announce', 'udp://u.example:6969/announce'] }], 1000);
    await source.settled();
    source.stop();
    expect(
      events.map((e) => (e.type === 'scrape-requested' ? [e.type, e.trackerHosts] : [e.type, 'httpStatus' in e ? e.httpStatus : null])),
    ).toEqual([
      ['scrape-requested', ['t.example', 'u.example:6969']],
      ['scrape-failed', 429],
    ]);
    expect(JSON.stringify(events)).not.toContain('PASSKEY');
  });
});
