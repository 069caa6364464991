import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartnodeError, infoHashToBytes } from '../shared/index.js';
import type { InfoHash } from '../shared/index.js';
import { announcePeer, startTracker } from '../testkit/index.js';
import type { RunningTracker } from '../testkit/index.js';
import {
  HTTP_SCRAPE_MAX_HASHES,
  buildScrapeRequestUrl,
  deriveScrapeUrl,
  fetchHttpScrapeBatch,
  parseScrapeReply,
  percentEncodeBytes,
} from './scrape-http.js';
import { hashOf, manyHashes, expectScrapeError } from './testing.js';

/** A real HTTP server on 127.0.0.1 that answers every request with `handler`. */
async function startScriptedServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
): Promise<{ announceUrl: string; server: Server; close(): Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    announceUrl: `http://127.0.0.1:${port}/announce`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('deriveScrapeUrl (BEP 48)', () => {
  it.each([
    ['http://t.example/announce', 'http://t.example/scrape'],
    ['http://t.example:8080/x/announce.php?passkey=abc', 'http://t.example:8080/x/scrape.php?passkey=abc'],
    ['https://t.example/announce#frag', 'https://t.example/scrape'],
  ])('%s -> %s', (announce, scrape) => {
    expect(deriveScrapeUrl(announce)).toEqual({ url: scrape });
  });

  it.each([
    'http://t.example/a',
    'http://t.example/announce/',
    'http://t.example/x/announce/y',
    'udp://t.example:6969/announce',
    'not a url',
  ])('has no scrape URL for %s', (announce) => {
    expect(deriveScrapeUrl(announce)).toHaveProperty('reason');
  });

  it('reports an unsupported tracker as such, without a request', async () => {
    let calls = 0;
    const reply = await fetchHttpScrapeBatch('http://127.0.0.1:1/tracker', [hashOf('x')], {
      timeoutMs: 1000,
      transport: async () => {
        calls += 1;
        throw new Error('no request expected');
      },
    });
    expect(reply.kind).toBe('unsupported');
    expect(calls).toBe(0);
  });
});

describe('percent-encoding', () => {
  it('escapes every byte except unreserved characters, as uppercase %XX', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const encoded = percentEncodeBytes(all);
    expect(encoded).toMatch(/^([A-Za-z0-9._~-]|%[0-9A-F]{2})+$/);
    expect(unescape(encoded)).toBe(String.fromCharCode(...all));
    expect(percentEncodeBytes(Uint8Array.from([0x41, 0x20, 0x2b, 0xff, 0x7e]))).toBe('A%20%2B%FF~');
  });

  it('repeats info_hash once per hash and keeps an existing query', () => {
    const hashes = manyHashes(3, 'h');
    const url = buildScrapeRequestUrl('http://t.example/scrape?passkey=k', hashes);
    const params = url.split('?')[1]?.split('&') ?? [];
    expect(params[0]).toBe('passkey=k');
    expect(params.slice(1)).toEqual(hashes.map((h) => `info_hash=${percentEncodeBytes(infoHashToBytes(h))}`));
  });
});

describe('fetchHttpScrapeBatch against bittorrent-tracker', () => {
  let tracker: RunningTracker;
  const hashes = manyHashes(HTTP_SCRAPE_MAX_HASHES, 'h');
  const [busy, lonely] = hashes as [InfoHash, InfoHash, ...InfoHash[]];

  beforeAll(async () => {
    tracker = await startTracker({ host: '127.0.0.1' });
    await announcePeer(tracker.announceUrl, { infoHash: busy, port: 7001, left: 0 });
    await announcePeer(tracker.announceUrl, { infoHash: busy, port: 7002, left: 0 });
    await announcePeer(tracker.announceUrl, { infoHash: busy, port: 7003, left: 1000 });
    await announcePeer(tracker.announceUrl, { infoHash: lonely, port: 7004, left: 5 });
  });
  afterAll(() => tracker.close());

  it('scrapes 50 hashes in one request and reads every answer', async () => {
    const before = tracker.requestCounts().httpScrape;
    const reply = await fetchHttpScrapeBatch(tracker.announceUrl, hashes, { timeoutMs: 5000 });
    expect(tracker.requestCounts().httpScrape - before).toBe(1);
    if (reply.kind !== 'counts') throw new Error(reply.reason);
    expect(reply.counts.size).toBe(HTTP_SCRAPE_MAX_HASHES);
    expect(reply.counts.get(busy)).toEqual({ seeders: 2, leechers: 1, completed: 2 });
    expect(reply.counts.get(lonely)).toEqual({ seeders: 0, leechers: 1, completed: 0 });
    expect(reply.counts.get(hashes[10] as InfoHash)).toEqual({ seeders: 0, leechers: 0, completed: 0 });
  });

  it('refuses a batch over the limit', async () => {
    await expect(fetchHttpScrapeBatch(tracker.announceUrl, manyHashes(51, 'h'), { timeoutMs: 1000 })).rejects.toMatchObject({
      code: 'INTERNAL',
    });
  });
});

describe('fetchHttpScrapeBatch against broken trackers', () => {
  const hashes = manyHashes(2, 'broken');

  it('reports junk that is not bencode', async () => {
    const s = await startScriptedServer((_req, res) => res.end('<html>hello</html>'));
    try {
      await expectScrapeError(fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 2000 }), /not valid bencode/);
    } finally {
      await s.close();
    }
  });

  it('reports a failure reason, cleaned of control characters', async () => {
    const s = await startScriptedServer((_req, res) => res.end('d14:failure reason19:torrent\nnot allowede'));
    try {
      const e = await expectScrapeError(
        fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 2000 }),
        /failure reason: torrent not allowed/,
      );
      expect(e.details).toMatchObject({ tracker: s.announceUrl, hashes: 2 });
    } finally {
      await s.close();
    }
  });

  it('reports a dictionary without files, and an HTTP error status', async () => {
    const s = await startScriptedServer((req, res) => {
      if (req.url?.includes('status')) {
        res.statusCode = 503;
        res.end();
        return;
      }
      res.end('d8:intervali5ee');
    });
    try {
      await expectScrapeError(fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 2000 }), /no "files" dictionary/);
      await expectScrapeError(
        fetchHttpScrapeBatch(s.announceUrl.replace('/announce', '/status/announce'), hashes, { timeoutMs: 2000 }),
        /HTTP status 503/,
      );
    } finally {
      await s.close();
    }
  });

  it('carries the HTTP status of a refusal in the error, so a 429 can be counted as a rate limit', async () => {
    const s = await startScriptedServer((_req, res) => {
      res.statusCode = 429;
      res.end();
    });
    try {
      const error = await fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 2000 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SmartnodeError);
      expect((error as SmartnodeError).details).toMatchObject({ httpStatus: 429 });
    } finally {
      await s.close();
    }
  });

  it('drops malformed entries and hashes nobody asked for, keeps the rest', async () => {
    const [a, b] = hashes as [InfoHash, InfoHash];
    const key = (h: InfoHash): string => `20:${String.fromCharCode(...infoHashToBytes(h))}`;
    const stranger = hashOf('stranger');
    const body =
      `d5:filesd${key(a)}d8:completei4e10:incompletei-1ee` +
      `${key(b)}d8:completei4e10:incompletei2ee${key(stranger)}d8:completei9e10:incompletei9eeee`;
    const s = await startScriptedServer((_req, res) => res.end(Buffer.from(body, 'latin1')));
    try {
      const reply = await fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 2000 });
      if (reply.kind !== 'counts') throw new Error(reply.reason);
      expect([...reply.counts]).toEqual([[b, { seeders: 4, leechers: 2, completed: null }]]);
    } finally {
      await s.close();
    }
  });

  it('drops an entry with a count beyond 2^53, keeps the others, and fails on damaged bencode', () => {
    const [a, b] = hashes as [InfoHash, InfoHash];
    const key = (h: InfoHash): string => `20:${String.fromCharCode(...infoHashToBytes(h))}`;
    const latin1 = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'latin1'));
    const fail = (why: string): Error => new Error(why);
    const tooBig = '99999999999999999';
    const body =
      `d5:filesd${key(a)}d8:completei${tooBig}e10:incompletei1ee` + `${key(b)}d8:completei4e10:downloadedi${tooBig}e10:incompletei2eeee`;
    expect([...parseScrapeReply(latin1(body), hashes, fail)]).toEqual([[b, { seeders: 4, leechers: 2, completed: null }]]);
    expect(() => parseScrapeReply(latin1('d5:filesd'), hashes, fail)).toThrow(/not valid bencode \(dict is not terminated at byte 8\)/);
    expect(() => parseScrapeReply(latin1(`l${'i1e'.repeat(200_001)}e`), hashes, fail)).toThrow(/more than 200000 values/);
  });

  it('refuses a reply over 2 MB, declared or streamed', async () => {
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const s = await startScriptedServer((req, res) => {
      if (req.url?.includes('declared')) res.setHeader('content-length', String(3 * 1024 * 1024));
      let sent = 0;
      const pump = (): void => {
        while (sent < 3 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end();
      };
      pump();
    });
    try {
      await expectScrapeError(fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 5000 }), /exceeds the 2097152-byte limit/);
      await expectScrapeError(
        fetchHttpScrapeBatch(s.announceUrl.replace('/announce', '/declared/announce'), hashes, { timeoutMs: 5000 }),
        /declares 3145728 bytes, over the 2097152-byte limit/,
      );
    } finally {
      await s.close();
    }
  });

  it('times out on a tracker that never answers, and names a refused connection', async () => {
    const s = await startScriptedServer(() => undefined);
    try {
      const started = Date.now();
      await expectScrapeError(fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 300 }), /no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await s.close();
    }
    // The server is closed: its port now refuses connections.
    await expectScrapeError(fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 2000 }), /ECONNREFUSED/);
  });

  it('times out a gzip reply that stalls mid-body', async () => {
    const s = await startScriptedServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      res.write(gzipSync(Buffer.alloc(200_000, 0x65)).subarray(0, 50));
    });
    try {
      const started = Date.now();
      await expectScrapeError(fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 300 }), /no answer within 300 ms/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await s.close();
    }
  });

  it('names a refused connection', async () => {
    const s = await startScriptedServer(() => undefined);
    await s.close();
    await expectScrapeError(fetchHttpScrapeBatch(s.announceUrl, hashes, { timeoutMs: 2000 }), /ECONNREFUSED/);
  });
});
