import dgram from 'node:dgram';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartnodeError, encodeBencode, type InfoHash } from '../shared/index.js';
import { announcePeer, startTracker, type RunningTracker } from '../testkit/index.js';
import { announceFailure, fetchAnnounce, parseHttpAnnounceReply, parseUdpAnnounceReply, type AnnounceRequest } from './announce.js';
import { createSwarmProber } from './probe.js';
import { hashOf } from './testing.js';

const peerId = new TextEncoder().encode('-SN0100-abcdefghijkl');
const request = (infoHash: InfoHash, event: AnnounceRequest['event'] = 'started'): AnnounceRequest => ({
  infoHash,
  peerId,
  port: 6881,
  leftBytes: 1000,
  numwant: 50,
  event,
  key: 7,
});
const fail = announceFailure('http://tracker.test/announce');

async function expectAnnounceError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  const error = await promise.then(
    () => expect.unreachable('should fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmartnodeError);
  expect((error as SmartnodeError).code).toBe('ANNOUNCE_FAILED');
  expect((error as SmartnodeError).message).toMatch(pattern);
}

describe('announce against bittorrent-tracker (HTTP and UDP)', () => {
  let tracker: RunningTracker;
  const busy = hashOf('announce-busy');
  beforeAll(async () => {
    tracker = await startTracker({ host: '127.0.0.1', udp: true, stopGraceMs: 0 });
    await announcePeer(tracker.announceUrl, { infoHash: busy, port: 7201, left: 0 });
    await announcePeer(tracker.announceUrl, { infoHash: busy, port: 7202, left: 0 });
    await announcePeer(tracker.announceUrl, { infoHash: busy, port: 7203, left: 5 });
  });
  afterAll(() => tracker.close());

  it('HTTP: gets the peers and counts, and "stopped" makes the tracker forget us', async () => {
    const reply = await fetchAnnounce(tracker.announceUrl, request(busy), { timeoutMs: 2000 });
    // bittorrent-tracker hands the asker back too (the prober drops its own port).
    expect(reply.peers.map((p) => p.port).sort()).toEqual([6881, 7201, 7202, 7203]);
    expect(reply.peers.every((p) => p.address === '127.0.0.1')).toBe(true);
    expect(reply.seeders).toBe(2);
    expect(reply.leechers).toBe(2); // the one leecher, and us
    await fetchAnnounce(tracker.announceUrl, request(busy, 'stopped'), { timeoutMs: 2000 });
    const again = await fetchAnnounce(
      tracker.announceUrl,
      { ...request(busy), peerId: new TextEncoder().encode('-SN0100-zzzzzzzzzzzz') },
      { timeoutMs: 2000 },
    );
    expect(again.leechers).toBe(2); // not 3: the first probe is gone
    await fetchAnnounce(
      tracker.announceUrl,
      { ...request(busy, 'stopped'), peerId: new TextEncoder().encode('-SN0100-zzzzzzzzzzzz') },
      { timeoutMs: 2000 },
    );
  });

  it('UDP: the same over BEP 15', async () => {
    const before = tracker.requestCounts();
    const reply = await fetchAnnounce(tracker.udpAnnounceUrl ?? '', request(busy), { timeoutMs: 2000 });
    expect(reply.peers.map((p) => p.port).sort()).toEqual([6881, 7201, 7202, 7203]);
    expect(reply.seeders).toBe(2);
    await fetchAnnounce(tracker.udpAnnounceUrl ?? '', request(busy, 'stopped'), { timeoutMs: 2000 });
    expect(tracker.requestCounts().udpAnnounce - before.udpAnnounce).toBe(2);
  });

  it('the prober probes once per torrent per interval, sends started then stopped, and can be off', async () => {
    let enabled = true;
    const prober = createSwarmProber({
      enabled: () => enabled,
      intervalMs: () => 60_000,
      maxPerTick: 10,
      requestsPerSecond: 20,
      numwant: 50,
      timeoutMs: 2000,
      now: Date.now,
    });
    const before = tracker.requestCounts().httpAnnounce;
    const req = [{ infoHash: busy, trackers: ['wss://ignored.test', tracker.announceUrl], sizeBytes: 10 }];
    const first = await prober.probe(req, 1_000);
    expect(first.probed).toBe(1);
    expect(first.results.get(busy)?.reply?.peers).toHaveLength(3);
    expect(tracker.requestCounts().httpAnnounce - before).toBe(2);
    const second = await prober.probe(req, 30_000);
    expect(second.probed).toBe(0);
    expect(second.results.get(busy)?.atMs).toBe(1_000);
    expect(tracker.requestCounts().httpAnnounce - before).toBe(2);
    enabled = false;
    const off = await prober.probe(req, 100_000);
    expect(off.probed).toBe(0);
    expect(off.results.has(busy)).toBe(false);
    expect(tracker.requestCounts().httpAnnounce - before).toBe(2);
  });

  it('the prober caps probes per tick and rate-limits them', async () => {
    const prober = createSwarmProber({
      enabled: () => true,
      intervalMs: () => 60_000,
      maxPerTick: 3,
      requestsPerSecond: 2,
      numwant: 10,
      timeoutMs: 2000,
      now: Date.now,
    });
    const reqs = Array.from({ length: 5 }, (_, i) => ({ infoHash: hashOf(`cap${i}`), trackers: [tracker.announceUrl], sizeBytes: null }));
    const started = Date.now();
    const out = await prober.probe(reqs, 0);
    expect(out.probed).toBe(3);
    expect(out.results.size).toBe(3);
    // 6 requests at 2 per second: at least two more seconds after the first two.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
  });
});

describe('announce replies that are errors or junk', () => {
  let server: Server;
  let base = '';
  let body: Uint8Array | string = '';
  let status = 200;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.statusCode = status;
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/announce`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const h = hashOf('junk');

  it('names a failure reason, bad bencode, a missing peer list, an HTTP error', async () => {
    body = encodeBencode({ 'failure reason': 'unregistered torrent\u0007' });
    await expectAnnounceError(fetchAnnounce(base, request(h), { timeoutMs: 2000 }), /failure reason: unregistered torrent/);
    body = '<html>not a tracker</html>';
    await expectAnnounceError(fetchAnnounce(base, request(h), { timeoutMs: 2000 }), /not valid bencode/);
    body = encodeBencode({ interval: 5 });
    await expectAnnounceError(fetchAnnounce(base, request(h), { timeoutMs: 2000 }), /no "peers"/);
    body = encodeBencode({ peers: new Uint8Array(7) });
    await expectAnnounceError(fetchAnnounce(base, request(h), { timeoutMs: 2000 }), /not a multiple of 6/);
    status = 502;
    body = 'bad gateway';
    await expectAnnounceError(fetchAnnounce(base, request(h), { timeoutMs: 2000 }), /HTTP status 502/);
    status = 200;
    await expectAnnounceError(fetchAnnounce('ftp://x/announce', request(h), { timeoutMs: 100 }), /cannot announce over ftp/);
  });

  it('times out a reply that stalls mid-body', async () => {
    const stalling = createServer((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'deflate' });
      res.write(deflateSync(Buffer.alloc(100_000, 0x64)).subarray(0, 30));
    });
    await new Promise<void>((resolve) => stalling.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      await expectAnnounceError(
        fetchAnnounce(`http://127.0.0.1:${(stalling.address() as AddressInfo).port}/announce`, request(h), { timeoutMs: 300 }),
        /no answer within 300 ms/,
      );
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      stalling.closeAllConnections();
      await new Promise<void>((resolve) => stalling.close(() => resolve()));
    }
  });

  it('drops garbage peers one by one and keeps the good ones', () => {
    const reply = parseHttpAnnounceReply(
      encodeBencode({
        complete: 3,
        incomplete: -1,
        peers: [
          { ip: '8.8.8.8', port: 6881 },
          { ip: 'evil.example.com', port: 6881 },
          { ip: '1.1.1.1', port: 0 },
          { ip: '9.9.9.9', port: 70000 },
          { port: 1 },
          'not a dict',
          { ip: '2001:4860:4860::8888', port: 51413 },
        ],
        'external ip': new Uint8Array([193, 0, 14, 129]),
      }),
      fail,
    );
    expect(reply.peers).toEqual([
      { address: '8.8.8.8', port: 6881 },
      { address: '2001:4860:4860::8888', port: 51413 },
    ]);
    expect(reply.droppedPeers).toBe(5);
    expect(reply.seeders).toBe(3);
    expect(reply.leechers).toBeNull();
    expect(reply.externalIp).toBe('193.0.14.129');
    const compact = parseHttpAnnounceReply(encodeBencode({ peers: new Uint8Array([8, 8, 4, 4, 0x1a, 0xe1, 1, 2, 3, 4, 0, 0]) }), fail);
    expect(compact.peers).toEqual([{ address: '8.8.4.4', port: 6881 }]);
    expect(compact.droppedPeers).toBe(1);
  });

  it('UDP: an error reply, a short reply, a wrong transaction id', async () => {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      const tx = msg.readUInt32BE(12);
      const out = Buffer.alloc(16);
      if (msg.length === 16) {
        out.writeUInt32BE(0, 0);
        out.writeUInt32BE(tx, 4);
        out.writeBigUInt64BE(5n, 8);
        socket.send(out, rinfo.port, rinfo.address);
      } else {
        const err = Buffer.concat([Buffer.from([0, 0, 0, 3]), msg.subarray(12, 16), Buffer.from('torrent not registered')]);
        socket.send(err, rinfo.port, rinfo.address);
      }
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      const url = `udp://127.0.0.1:${socket.address().port}`;
      await expectAnnounceError(fetchAnnounce(url, request(h), { timeoutMs: 1000, retries: 0 }), /torrent not registered/);
    } finally {
      socket.close();
    }
    const tx = 42;
    const head = (action: number, id = tx) => {
      const b = Buffer.alloc(20);
      b.writeUInt32BE(action, 0);
      b.writeUInt32BE(id, 4);
      return b;
    };
    expect(parseUdpAnnounceReply(Buffer.alloc(4), tx, 4)).toMatch(/4 bytes/);
    expect(parseUdpAnnounceReply(head(1, 7), tx, 4)).toMatch(/another transaction id/);
    expect(parseUdpAnnounceReply(Buffer.concat([head(1), Buffer.alloc(5)]), tx, 4)).toMatch(/not a multiple of 6/);
    expect(parseUdpAnnounceReply(head(2), tx, 4)).toMatch(/action 2/);
    const ok = parseUdpAnnounceReply(Buffer.concat([head(1), Buffer.from([1, 2, 3, 4, 0, 80])]), tx, 4);
    expect(ok).toMatchObject({ peers: [{ address: '1.2.3.4', port: 80 }] });
  });

  it('the prober reports a failing tracker and tries the next', async () => {
    body = encodeBencode({ 'failure reason': 'go away' });
    const good = await startTracker({ host: '127.0.0.1', stopGraceMs: 0 });
    try {
      await announcePeer(good.announceUrl, { infoHash: h, port: 7301, left: 0 });
      const prober = createSwarmProber({
        enabled: () => true,
        intervalMs: () => 1000,
        maxPerTick: 5,
        requestsPerSecond: 50,
        numwant: 5,
        timeoutMs: 2000,
        now: Date.now,
      });
      const out = await prober.probe([{ infoHash: h, trackers: [`${base}?passkey=SECRET123`, good.announceUrl], sizeBytes: 5 }], 0);
      expect(out.errors).toHaveLength(1);
      expect(out.errors[0]?.error.message).not.toContain('SECRET123');
      expect(out.results.get(h)?.reply?.peers.map((p) => p.port)).toEqual([7301]);
    } finally {
      await good.close();
    }
  });
});
