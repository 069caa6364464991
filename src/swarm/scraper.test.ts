import dgram from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { announcePeer, startTracker } from '../testkit/index.js';
import type { RunningTracker } from '../testkit/index.js';
import { createScraper, mergeAnswers } from './scraper.js';
import { hashOf, manyHashes } from './testing.js';

const FIXED_NOW = 1_700_000_000_000;
const SECRET = 'Zq9SECRETpasskey0123456789abcdef';

/** A port on 127.0.0.1 that refuses connections: bound once, then closed. */
async function closedHttpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A UDP socket on 127.0.0.1 that never answers. */
async function silentUdp(): Promise<{ url: string; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    url: `udp://127.0.0.1:${socket.address().port}`,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

describe('createScraper against two real trackers', () => {
  let small: RunningTracker;
  let big: RunningTracker;
  const shared = hashOf('shared');
  const onlySmall = hashOf('only-small');

  beforeAll(async () => {
    small = await startTracker({ host: '127.0.0.1' });
    big = await startTracker({ host: '127.0.0.1', udp: true });
    // small: 1 seeder, 3 leechers; big: 3 seeders, 1 leecher (overlapping swarms: never sum)
    await announcePeer(small.announceUrl, { infoHash: shared, port: 7201, left: 0 });
    for (const port of [7202, 7203, 7204]) await announcePeer(small.announceUrl, { infoHash: shared, port, left: 9 });
    for (const port of [7201, 7205, 7206]) await announcePeer(big.announceUrl, { infoHash: shared, port, left: 0 });
    await announcePeer(big.announceUrl, { infoHash: shared, port: 7207, left: 9 });
    await announcePeer(small.announceUrl, { infoHash: onlySmall, port: 7208, left: 0 });
  });
  afterAll(async () => {
    await small.close();
    await big.close();
  });

  it('takes the per-field max over trackers and names the max-seeders tracker', async () => {
    const scraper = createScraper({ requestsPerSecond: 20, timeoutMs: 2000, now: () => FIXED_NOW });
    const bigUdp = big.udpAnnounceUrl ?? '';
    const outcome = await scraper.scrape([
      { infoHash: shared, trackers: [small.announceUrl, bigUdp] },
      { infoHash: onlySmall, trackers: [small.announceUrl, bigUdp] },
    ]);
    expect(outcome.errors).toEqual([]);
    expect(outcome.results.get(shared)).toEqual({
      seeders: 3,
      leechers: 3,
      completed: 3,
      source: 'scrape',
      observedAtMs: FIXED_NOW,
      origin: bigUdp,
    });
    // big answers 0/0 for a torrent it does not know; small's 1 seeder wins.
    expect(outcome.results.get(onlySmall)).toMatchObject({ seeders: 1, leechers: 0, origin: small.announceUrl });
  });

  it('batches: 120 hashes cost 3 HTTP requests and 2 UDP packets', async () => {
    const scraper = createScraper({ requestsPerSecond: 50, timeoutMs: 2000, now: () => FIXED_NOW });
    const hashes = [shared, ...manyHashes(119, 'batch')];
    const before = { small: small.requestCounts(), big: big.requestCounts() };
    const outcome = await scraper.scrape(hashes.map((infoHash) => ({ infoHash, trackers: [small.announceUrl, big.udpAnnounceUrl ?? ''] })));
    expect(small.requestCounts().httpScrape - before.small.httpScrape).toBe(3);
    expect(big.requestCounts().udpScrape - before.big.udpScrape).toBe(2);
    expect(big.requestCounts().udpConnect - before.big.udpConnect).toBe(1);
    expect(outcome.results.size).toBe(120);
    expect(outcome.results.get(shared)?.seeders).toBe(3);
  });

  it('rate-limits requests to one host', async () => {
    const scraper = createScraper({ requestsPerSecond: 2, timeoutMs: 2000, now: () => FIXED_NOW });
    const times: number[] = [];
    const onRequest = (): void => {
      times.push(Date.now());
    };
    small.server.http?.on('request', onRequest);
    try {
      await scraper.scrape(manyHashes(150, 'rate').map((infoHash) => ({ infoHash, trackers: [small.announceUrl] })));
    } finally {
      small.server.http?.off('request', onRequest);
    }
    expect(times.length).toBe(3);
    // Two requests fit the first second; the third waits for the next one.
    expect((times[2] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('reports dead trackers by (redacted) name while the live one still answers', async () => {
    const deadPort = await closedHttpPort();
    const silent = await silentUdp();
    try {
      const deadHttp = `http://127.0.0.1:${deadPort}/announce?passkey=${SECRET}`;
      const deadPath = `http://127.0.0.1:${deadPort}/${SECRET}/announce`;
      const liveWithKey = `${small.announceUrl}?passkey=${SECRET}`;
      const scraper = createScraper({ requestsPerSecond: 20, timeoutMs: 300, udpRetries: 1, now: () => FIXED_NOW });
      const hashes = [shared, ...manyHashes(80, 'dead')];
      const outcome = await scraper.scrape(
        hashes.map((infoHash) => ({ infoHash, trackers: [deadHttp, silent.url, liveWithKey, deadPath, 'wss://127.0.0.1:1/ws'] })),
      );
      expect(outcome.results.size).toBe(hashes.length);
      expect(outcome.results.get(shared)).toMatchObject({
        seeders: 1,
        leechers: 3,
        origin: `${small.announceUrl}?passkey=***`,
      });
      const byTracker = new Map(outcome.errors.map((e) => [e.tracker, e.error]));
      // One error per dead tracker: after a failure the rest of its batches are not sent.
      expect(outcome.errors).toHaveLength(3);
      expect(byTracker.get(`http://127.0.0.1:${deadPort}/announce?passkey=***`)?.message).toMatch(/ECONNREFUSED/);
      expect(byTracker.get(`http://127.0.0.1:${deadPort}/***/announce`)?.code).toBe('SCRAPE_FAILED');
      const udpError = byTracker.get(silent.url);
      expect(udpError?.message).toMatch(new RegExp(`tracker ${silent.url} failed: no connect reply after 2 attempts`));
      expect(udpError?.retryable).toBe(true);
      expect(outcome.skipped).toEqual([{ tracker: 'wss://127.0.0.1:1/ws', reason: expect.stringContaining('udp') }]);
      const everything = JSON.stringify({
        errors: outcome.errors.map((e) => ({ ...e, error: e.error.toJSON(), cause: String(e.error.cause) })),
        results: [...outcome.results.values()],
        skipped: outcome.skipped,
      });
      expect(everything).not.toContain(SECRET);
      expect(everything).not.toContain(SECRET.slice(0, 12));
    } finally {
      await silent.close();
    }
  });
});

describe('mergeAnswers', () => {
  const a = 'http://a.example/announce';
  const b = 'udp://b.example:80';

  it('breaks a seeder tie by tracker order and never sums', () => {
    const merged = mergeAnswers(
      [
        { tracker: b, counts: { seeders: 5, leechers: 1, completed: null } },
        { tracker: a, counts: { seeders: 5, leechers: 7, completed: 2 } },
      ],
      [a, b],
      FIXED_NOW,
    );
    expect(merged).toEqual({ seeders: 5, leechers: 7, completed: 2, source: 'scrape', observedAtMs: FIXED_NOW, origin: a });
  });

  it('is null without answers', () => {
    expect(mergeAnswers([], [a], FIXED_NOW)).toBeNull();
  });
});
