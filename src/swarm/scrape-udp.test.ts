import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InfoHash } from '../shared/index.js';
import { announcePeer, startTracker } from '../testkit/index.js';
import type { RunningTracker } from '../testkit/index.js';
import { UDP_SCRAPE_MAX_HASHES, createUdpConnectionCache, fetchUdpScrapeBatch } from './scrape-udp.js';
import { manyHashes, expectScrapeError } from './testing.js';

/**
 * A real UDP socket on 127.0.0.1 that answers each packet with `reply` (or stays silent when
 * it returns null). Records what it received.
 */
async function startScriptedUdp(
  reply: (packet: Buffer, index: number) => Buffer | null,
): Promise<{ url: string; received: Buffer[]; close(): Promise<void> }> {
  const socket = dgram.createSocket('udp4');
  const received: Buffer[] = [];
  socket.on('message', (msg, rinfo) => {
    received.push(msg);
    const answer = reply(msg, received.length - 1);
    if (answer !== null) socket.send(answer, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    url: `udp://127.0.0.1:${socket.address().port}`,
    received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

const txIdOf = (packet: Buffer): number => packet.readUInt32BE(12);
function connectReply(packet: Buffer, connectionId: bigint): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt32BE(0, 0);
  out.writeUInt32BE(txIdOf(packet), 4);
  out.writeBigUInt64BE(connectionId, 8);
  return out;
}
function errorReply(packet: Buffer, message: string): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(3, 0);
  head.writeUInt32BE(txIdOf(packet), 4);
  return Buffer.concat([head, Buffer.from(message)]);
}
function scrapeReply(packet: Buffer, entries: number): Buffer {
  const out = Buffer.alloc(8 + 12 * entries);
  out.writeUInt32BE(2, 0);
  out.writeUInt32BE(txIdOf(packet), 4);
  for (let i = 0; i < entries; i++) out.writeUInt32BE(i + 1, 8 + 12 * i);
  return out;
}

describe('fetchUdpScrapeBatch against bittorrent-tracker', () => {
  let tracker: RunningTracker;
  let udpUrl: string;
  const hashes = manyHashes(UDP_SCRAPE_MAX_HASHES, 'u');
  const [busy, lonely] = hashes as [InfoHash, InfoHash, ...InfoHash[]];

  beforeAll(async () => {
    tracker = await startTracker({ host: '127.0.0.1', udp: true });
    udpUrl = tracker.udpAnnounceUrl ?? '';
    await announcePeer(tracker.announceUrl, { infoHash: busy, port: 7101, left: 0 });
    await announcePeer(tracker.announceUrl, { infoHash: busy, port: 7102, left: 10 });
    await announcePeer(tracker.announceUrl, { infoHash: busy, port: 7103, left: 10 });
    await announcePeer(tracker.announceUrl, { infoHash: lonely, port: 7104, left: 0 });
  });
  afterAll(() => tracker.close());

  it('scrapes 74 hashes in one packet, in request order', async () => {
    const before = tracker.requestCounts();
    const reply = await fetchUdpScrapeBatch(udpUrl, hashes, { timeoutMs: 2000, retries: 0, now: Date.now });
    const after = tracker.requestCounts();
    expect(after.udpConnect - before.udpConnect).toBe(1);
    expect(after.udpScrape - before.udpScrape).toBe(1);
    if (reply.kind !== 'counts') throw new Error(reply.reason);
    expect(reply.counts.size).toBe(UDP_SCRAPE_MAX_HASHES);
    expect(reply.counts.get(busy)).toEqual({ seeders: 1, leechers: 2, completed: 1 });
    expect(reply.counts.get(lonely)).toEqual({ seeders: 1, leechers: 0, completed: 1 });
    expect(reply.counts.get(hashes[50] as InfoHash)).toEqual({ seeders: 0, leechers: 0, completed: 0 });
  });

  it('reuses a connection id for a minute, then connects again', async () => {
    let nowMs = 1_000_000;
    const options = { timeoutMs: 2000, retries: 0, now: () => nowMs, connections: createUdpConnectionCache() };
    const before = tracker.requestCounts();
    await fetchUdpScrapeBatch(udpUrl, [busy], options);
    nowMs += 59_000;
    await fetchUdpScrapeBatch(udpUrl, [lonely], options);
    let after = tracker.requestCounts();
    expect(after.udpConnect - before.udpConnect).toBe(1);
    expect(after.udpScrape - before.udpScrape).toBe(2);
    nowMs += 2_000;
    await fetchUdpScrapeBatch(udpUrl, [busy], options);
    after = tracker.requestCounts();
    expect(after.udpConnect - before.udpConnect).toBe(2);
  });

  it('refuses a batch over 74 hashes', async () => {
    await expect(fetchUdpScrapeBatch(udpUrl, manyHashes(75, 'u'), { timeoutMs: 1000, retries: 0, now: Date.now })).rejects.toMatchObject({
      code: 'INTERNAL',
    });
  });
});

describe('fetchUdpScrapeBatch against broken trackers', () => {
  const hashes = manyHashes(3, 'broken');

  it('times out on a silent tracker after 1 + retries attempts, naming the tracker', async () => {
    const s = await startScriptedUdp(() => null);
    try {
      const started = Date.now();
      const e = await expectScrapeError(
        fetchUdpScrapeBatch(s.url, hashes, { timeoutMs: 200, retries: 2, now: Date.now }),
        /no connect reply after 3 attempts of 200 ms/,
      );
      expect(e.message).toContain(s.url);
      expect(s.received.length).toBe(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(550);
    } finally {
      await s.close();
    }
  });

  it('reports an error reply (action 3) with its message', async () => {
    const s = await startScriptedUdp((p) => errorReply(p, 'tracker\u0000 is closed'));
    try {
      await expectScrapeError(
        fetchUdpScrapeBatch(s.url, hashes, { timeoutMs: 500, retries: 0, now: Date.now }),
        /error: "tracker {2}is closed"/,
      );
    } finally {
      await s.close();
    }
  });

  it('ignores replies with another transaction id or too short, then times out', async () => {
    const s = await startScriptedUdp((p, i) => {
      if (i % 2 === 0) {
        const wrong = connectReply(p, 7n);
        wrong.writeUInt32BE((txIdOf(p) + 1) >>> 0, 4);
        return wrong;
      }
      return Buffer.from([0, 0, 0]);
    });
    try {
      await expectScrapeError(fetchUdpScrapeBatch(s.url, hashes, { timeoutMs: 150, retries: 1, now: Date.now }), /no connect reply/);
    } finally {
      await s.close();
    }
  });

  it('retries after a lost packet and succeeds', async () => {
    const s = await startScriptedUdp((p, i) => {
      if (i === 0) return null; // the first connect is "lost"
      return p.readUInt32BE(8) === 0 ? connectReply(p, 99n) : scrapeReply(p, hashes.length);
    });
    try {
      const reply = await fetchUdpScrapeBatch(s.url, hashes, { timeoutMs: 150, retries: 1, now: Date.now });
      if (reply.kind !== 'counts') throw new Error(reply.reason);
      expect([...reply.counts.values()].map((c) => c.seeders)).toEqual([1, 2, 3]);
      expect(s.received.length).toBe(3);
      expect(s.received[2]?.readBigUInt64BE(0)).toBe(99n);
    } finally {
      await s.close();
    }
  });

  it('rejects a scrape reply whose length does not match the request', async () => {
    const s = await startScriptedUdp((p) => (p.readUInt32BE(8) === 0 ? connectReply(p, 5n) : scrapeReply(p, hashes.length - 1)));
    try {
      await expectScrapeError(
        fetchUdpScrapeBatch(s.url, hashes, { timeoutMs: 500, retries: 0, now: Date.now }),
        /has 32 bytes, expected 44 for 3 hashes/,
      );
    } finally {
      await s.close();
    }
  });

  it('connects again once when a cached connection id is refused', async () => {
    let connects = 0;
    const s = await startScriptedUdp((p) => {
      if (p.readUInt32BE(8) === 0) {
        connects += 1;
        return connectReply(p, BigInt(connects));
      }
      // Only the newest connection id is valid (a tracker that restarted).
      return p.readBigUInt64BE(0) === BigInt(connects) ? scrapeReply(p, hashes.length) : errorReply(p, 'bad connection id');
    });
    try {
      const connections = createUdpConnectionCache();
      const options = { timeoutMs: 500, retries: 0, now: Date.now, connections };
      await fetchUdpScrapeBatch(s.url, hashes, options);
      connects += 1; // the tracker "restarts": connection id 1 is no longer valid
      const reply = await fetchUdpScrapeBatch(s.url, hashes, options);
      expect(reply.kind).toBe('counts');
      expect(connects).toBe(3);
    } finally {
      await s.close();
    }
  });

  it('says a non-udp or port-less URL cannot be scraped over UDP', async () => {
    for (const url of ['udp://127.0.0.1', 'http://127.0.0.1:1/announce', 'nonsense']) {
      expect((await fetchUdpScrapeBatch(url, hashes, { timeoutMs: 100, retries: 0, now: Date.now })).kind).toBe('unsupported');
    }
  });
});
