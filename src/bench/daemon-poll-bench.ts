/**
 * What one poll of a busy daemon costs: our listTorrents (19 fields, `format: "table"`), and
 * its lean form without trackerStats, against @ctrl/transmission's getAllData() (58 fields,
 * one object per torrent), on a real transmission-daemon holding 2,000 torrents. Bytes are
 * counted by a loopback proxy both clients go through (as sent, and gunzipped); times are
 * medians of direct polls.
 *
 * Run alone after `npm run build`: node dist/bench/daemon-poll-bench.js
 */
import { Transmission } from '@ctrl/transmission';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, request, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { buildMetainfo } from '../daemon/index.js';
import { createTransmissionDaemon } from '../daemon/index.js';
import { startDaemonProcess } from '../testkit/index.js';
import { isMainModule, runBenchMain } from './entry.js';

const TORRENTS = 2000;
const RUNS = 7;

export async function benchDaemonPoll(): Promise<Record<string, number | string>> {
  const root = await mkdtemp(join(tmpdir(), 'smartnode-bench-'));
  const username = 'bench';
  const password = randomBytes(9).toString('hex');
  const daemon = await startDaemonProcess({
    configDir: join(root, 'config'),
    downloadDir: join(root, 'downloads'),
    bindAddress: '127.0.0.1',
    rpcPort: await freePort(),
    peerPort: await freePort(),
    username,
    password,
  });
  const proxy = await startCountingProxy(new URL(daemon.rpcUrl));
  try {
    const ours = createTransmissionDaemon({ url: daemon.rpcUrl, username, password, timeoutMs: 60_000 });
    const addStarted = performance.now();
    await addSmallTorrents(ours, join(root, 'downloads'), TORRENTS);
    const addMs = performance.now() - addStarted;
    const listed = await ours.listTorrents();
    if (listed.length !== TORRENTS) throw new Error(`expected ${TORRENTS} torrents, the daemon lists ${listed.length}`);

    const library = new Transmission({ baseUrl: originOf(daemon.rpcUrl), username, password, timeout: 60_000 });
    const oursMs = await medianMs(() => ours.listTorrents());
    const leanMs = await medianMs(() => ours.listTorrents({ trackerStats: false }));
    const libraryMs = await medianMs(async () => {
      const all = await library.getAllData();
      if (all.torrents.length !== TORRENTS) throw new Error(`getAllData saw ${all.torrents.length} torrents`);
    });

    // One poll of each through the proxy; the handshake (409) is done before counting.
    const oursViaProxy = createTransmissionDaemon({ url: proxy.url, username, password, timeoutMs: 60_000 });
    await oursViaProxy.readVersion();
    const libraryViaProxy = new Transmission({ baseUrl: originOf(proxy.url), username, password, timeout: 60_000 });
    await libraryViaProxy.getSession();
    const oursBytes = await proxy.countBytes(() => oursViaProxy.listTorrents());
    const leanBytes = await proxy.countBytes(() => oursViaProxy.listTorrents({ trackerStats: false }));
    const libraryBytes = await proxy.countBytes(() => libraryViaProxy.getAllData());
    // As a remote daemon would be polled: gzip negotiated (the loopback default is identity).
    const oursGzip = createTransmissionDaemon({ url: proxy.url, username, password, timeoutMs: 60_000, compress: true });
    await oursGzip.readVersion();
    const oursGzipBytes = await proxy.countBytes(() => oursGzip.listTorrents());
    const leanGzipBytes = await proxy.countBytes(() => oursGzip.listTorrents({ trackerStats: false }));

    return {
      torrents: TORRENTS,
      addAllMs: Math.round(addMs),
      libraryPollMedianMs: round1(libraryMs),
      oursPollMedianMs: round1(oursMs),
      oursLeanPollMedianMs: round1(leanMs),
      libraryJsonBytes: libraryBytes.json,
      oursJsonBytes: oursBytes.json,
      oursLeanJsonBytes: leanBytes.json,
      jsonRatio: round1(libraryBytes.json / oursBytes.json),
      jsonRatioLean: round1(libraryBytes.json / leanBytes.json),
      libraryGzipBytes: libraryBytes.wire,
      oursGzipBytes: oursGzipBytes.wire,
      oursLeanGzipBytes: leanGzipBytes.wire,
      gzipRatio: round1(libraryBytes.wire / oursGzipBytes.wire),
      gzipRatioLean: round1(libraryBytes.wire / leanGzipBytes.wire),
      note:
        `1 file + 1 tracker (127.0.0.1, paused: never contacted) per torrent; medians of ${RUNS}; ` +
        'json = answer bytes as the daemon serializes them (ours on loopback get exactly these: ' +
        'identity encoding), gzip = on the wire with gzip negotiated (library default; ours for ' +
        'remote daemons); lean = listTorrents({ trackerStats: false })',
    };
  } finally {
    await proxy.close();
    await daemon.stop();
    await rm(root, { recursive: true, force: true });
  }
}

async function addSmallTorrents(port: ReturnType<typeof createTransmissionDaemon>, downloadDir: string, count: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++;
      const t = buildMetainfo({
        name: `dataset-${String(i).padStart(5, '0')}.bin`,
        lengthBytes: 1_000_000 + i,
        pieceLengthBytes: 256 * 1024,
        announce: 'http://127.0.0.1:1/announce',
      });
      await port.addTorrent({ metainfo: t.metainfo, downloadDir, labels: ['smartnode', 'feed:bench'], paused: true });
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
}

async function medianMs(poll: () => Promise<unknown>): Promise<number> {
  await poll(); // warm-up: session handshake, JIT
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    await poll();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

interface CountingProxy {
  url: string;
  /** Answer bytes during `run`: as sent (wire, maybe gzip) and decoded (json). */
  countBytes(run: () => Promise<unknown>): Promise<{ wire: number; json: number }>;
  close(): Promise<void>;
}

/** A loopback HTTP proxy to the daemon that counts the bytes of every answer body. */
async function startCountingProxy(target: URL): Promise<CountingProxy> {
  let wire = 0;
  let json = 0;
  const server: Server = createServer((req, res) => {
    const upstream = request(
      { host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          res.write(chunk);
        });
        answer.on('end', () => {
          const body = Buffer.concat(chunks);
          wire += body.length;
          json += answer.headers['content-encoding'] === 'gzip' ? gunzipSync(body).length : body.length;
          res.end();
        });
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    async countBytes(run) {
      wire = 0;
      json = 0;
      await run();
      return { wire, json };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function originOf(url: string): string {
  return `${new URL(url).origin}/`;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

const round1 = (n: number): number => Math.round(n * 10) / 10;

/** The agent polls lean between scrape intervals: that poll is the one held to the target. */
const TARGET_RATIO = 5;

if (isMainModule(import.meta.url)) {
  runBenchMain(benchDaemonPoll, (f) => {
    const ratio = Number(f['jsonRatioLean']);
    console.log(
      `${'pollVerdict'.padEnd(24)} ${ratio >= TARGET_RATIO ? 'within target' : 'OVER TARGET'} ` +
        `(lean poll ${ratio}x fewer bytes than getAllData; target ${TARGET_RATIO}x)`,
    );
    return ratio >= TARGET_RATIO;
  });
}
