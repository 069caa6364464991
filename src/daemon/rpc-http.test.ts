/**
 * The RPC transport's bounds against real HTTP servers on 127.0.0.1: an answer that never ends
 * is refused at the cap while it streams, and an answer that stalls mid-body (in every content
 * encoding the daemon or a proxy may use) fails at the deadline.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { createRpcHttp, DEFAULT_RPC_MAX_ANSWER_BYTES } from './rpc-http.js';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

async function serve(handler: (res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => handler(res));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/transmission/rpc`;
}

async function failure(promise: Promise<unknown>): Promise<SmartnodeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmartnodeError);
  return error as SmartnodeError;
}

/** A torrent-get answer in table form shaped like 3.00's, with five trackers a torrent. */
function tableAnswer(torrents: number): string {
  const tracker = {
    announce: 'http://tracker.example.org:6969/announce',
    host: 'http://tracker.example.org:6969',
    id: 0,
    lastAnnounceResult: 'Success',
    lastAnnounceTime: 1700000000,
    lastScrapeResult: '',
    lastScrapeTime: 1700000000,
    leecherCount: 3,
    seederCount: 12,
    downloadCount: 140,
    tier: 0,
    announceState: 1,
    scrapeState: 1,
    hasAnnounced: true,
    hasScraped: true,
    isBackup: false,
    lastAnnounceSucceeded: true,
    lastAnnouncePeerCount: 50,
    lastScrapeSucceeded: true,
    lastScrapeTimedOut: false,
    nextAnnounceTime: 1700001800,
    nextScrapeTime: 1700001800,
    lastAnnounceStartTime: 1700000000,
    lastAnnounceTimedOut: false,
    lastScrapeStartTime: 1700000000,
  };
  const rows: unknown[][] = [
    ['hashString', 'name', 'status', 'percentDone', 'sizeWhenDone', 'leftUntilDone', 'labels', 'downloadDir', 'addedDate', 'trackerStats'],
  ];
  for (let i = 0; i < torrents; i++) {
    rows.push([
      i.toString(16).padStart(40, '0'),
      `Dataset ${i}: a research collection`,
      6,
      1,
      1e10,
      0,
      ['smartnode'],
      `/srv/smartnode/${i.toString(16).padStart(40, '0')}`,
      1700000000,
      Array.from({ length: 5 }, (_, id) => ({ ...tracker, id })),
    ]);
  }
  return JSON.stringify({ result: 'success', arguments: { torrents: rows } });
}

describe('RPC transport: the answer size cap', () => {
  it('refuses an endless answer at the cap, while reading, with a clear error', async () => {
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"result":"success","arguments":{"torrents":[');
      const chunk = Buffer.from('"x",'.repeat(16_384));
      const pump = (): void => {
        while (!res.destroyed && res.write(chunk)) {
          /* fill the socket */
        }
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const rpc = createRpcHttp({ url, timeoutMs: 20_000, maxAnswerBytes: 8 * 1024 * 1024 });
    const error = await failure(rpc.post('{"method":"torrent-get"}', 'torrent-get'));
    expect(error.code).toBe('DAEMON_PROTOCOL');
    expect(error.message).toContain('larger than 8388608 bytes (torrent-get)');
    expect(error.hint).toContain('limits.rpcAnswerMaxBytes');
  });

  it('the default cap holds a full poll of 2,000 torrents with trackerStats, with room to spare', async () => {
    const body = tableAnswer(2000);
    expect(body.length * 5).toBeLessThan(DEFAULT_RPC_MAX_ANSWER_BYTES);
    const url = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(body);
    });
    const text = await createRpcHttp({ url, timeoutMs: 20_000 }).post('{}', 'torrent-get');
    expect(text.length).toBe(body.length);
  });
});

describe('RPC transport: the deadline covers the body', () => {
  for (const encoding of ['identity', 'gzip', 'deflate', 'br'] as const) {
    it(`fails at the deadline when the answer stalls mid-body (${encoding})`, async () => {
      const whole = Buffer.from(tableAnswer(300));
      const encoded =
        encoding === 'gzip'
          ? zlib.gzipSync(whole)
          : encoding === 'deflate'
            ? zlib.deflateSync(whole)
            : encoding === 'br'
              ? zlib.brotliCompressSync(whole)
              : whole;
      const url = await serve((res) => {
        res.writeHead(200, { 'content-type': 'application/json', ...(encoding === 'identity' ? {} : { 'content-encoding': encoding }) });
        res.write(encoded.subarray(0, Math.floor(encoded.length / 2)));
      });
      const started = Date.now();
      const error = await failure(createRpcHttp({ url, timeoutMs: 500, compress: true }).post('{}', 'torrent-get'));
      expect(error.code).toBe('DAEMON_UNREACHABLE');
      expect(error.message).toContain('no answer within 500 ms');
      expect(Date.now() - started).toBeLessThan(2500);
    });
  }
});

describe('a 403 with no 401 before it', () => {
  /** Answers 200 until `refuse` is set, then 403, as a whitelist or a 4.x lockout does. */
  async function refusingLater(): Promise<{ url: string; refuse: () => void }> {
    let refusing = false;
    const url = await serve((res) => {
      res.writeHead(refusing ? 403 : 200, { 'content-type': 'application/json' });
      res.end(refusing ? '<h1>403: Forbidden</h1>' : '{"result":"success","arguments":{}}');
    });
    return { url, refuse: () => (refusing = true) };
  }

  it('is named the whitelist (and the lockout as the other cause) from a client that was never let in', async () => {
    const { url, refuse } = await refusingLater();
    refuse();
    const error = await failure(createRpcHttp({ url, timeoutMs: 2000 }).post('{}', 'session-get'));
    expect(error.code).toBe('DAEMON_FORBIDDEN');
    expect(error.hint).toContain('anti-brute-force');
  });

  it('is named the lockout when this daemon let this machine in before, in an earlier run or this one', async () => {
    const earlier = await refusingLater();
    earlier.refuse();
    const restarted = await failure(createRpcHttp({ url: earlier.url, timeoutMs: 2000, answeredBefore: true }).post('{}', 'session-get'));
    expect(restarted.code).toBe('DAEMON_LOCKED_OUT');
    expect(restarted.message).toContain('answered this machine before');

    const now = await refusingLater();
    let remembered = 0;
    const http = createRpcHttp({ url: now.url, timeoutMs: 2000, onAnswered: () => remembered++ });
    await http.post('{}', 'session-get');
    await http.post('{}', 'session-get');
    expect(remembered).toBe(1);
    now.refuse();
    expect((await failure(http.post('{}', 'session-get'))).code).toBe('DAEMON_LOCKED_OUT');
  });
});
