/**
 * Memory under the service unit's heap (examples/smartnode.service: --max-old-space-size=256):
 * each case runs in its own child process with that heap limit and reports its peak RSS.
 *
 * - a feed at the default `limits.feedMaxBytes` cap, in each format (Academic Torrents CSV, RSS
 *   with non-Latin-1 titles, a JSON torrent list), fetched over HTTP from a real local server,
 *   streamed into the parser and the on-disk last good copy;
 * - the same CSV read back from that copy after a restart, while the feed is down;
 * - the largest RSS feed still parsed as one document (RSS_WHOLE_DOCUMENT_MAX_CHARS);
 * - whole agent ticks (observe -> planTick -> apply, dry run, against the in-memory daemon) over
 *   a CSV at the default `limits.feedMaxItems` (every item a candidate the planner weighs), and
 *   over the CSV at the byte cap, which lists more and is refused while it is read;
 * - hostile answers: an RPC endpoint streaming an endless body, a CSV feed that never ends.
 * Target: every case finishes as it should (items parsed, or refused at the cap) within the heap.
 *
 * Run alone: `npm run build && node dist/bench/memory-bench.js`.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRpcHttp } from '../daemon/index.js';
import { FeedCache, RSS_WHOLE_DOCUMENT_MAX_CHARS } from '../feeds/index.js';
import { policySchema } from '../policy/index.js';
import { SmartnodeError, type HttpTransport } from '../shared/index.js';
import { isMainModule, printFigures, type Figures } from './entry.js';

const HEAP_MB = 256;
const FORMATS = ['csv', 'rss', 'json'] as const;
type Format = (typeof FORMATS)[number];

export function defaultFeedCapBytes(): number {
  return defaultLimits().feedMaxBytes;
}

function defaultLimits(): { feedMaxBytes: number; feedMaxItems: number } {
  const policy = policySchema.parse({
    version: 1,
    daemon: { url: 'http://127.0.0.1:9091/transmission/rpc' },
    storage: { downloadDir: '/srv/smartnode', maxBytes: '1 TB' },
    feeds: [{ id: 'x', url: 'https://example.org/x.csv' }],
  });
  return policy.limits;
}

const hashOf = (i: number): string => createHash('sha1').update(`item-${i}`).digest('hex');

function csvRow(i: number): string {
  const name = `"Dataset ${i}: sensor recordings, site ${i % 311} (part ${i % 17})"`;
  return `Dataset,${name},${hashOf(i)},${(i * 7919 + 1) * 1024},${i % 7},${i % 5},${i * 3},1700000000,1700000000\n`;
}
function rssItem(i: number): string {
  // One title in seven has characters outside Latin-1: the whole text is then two bytes a character.
  const title = i % 7 === 0 ? `Datensatz ${i} — 測定データ` : `Dataset ${i}: sensor recordings &amp; labels`;
  return (
    `<item><title>${title}</title><category>Dataset</category><infohash>${hashOf(i)}</infohash><guid>${hashOf(i)}</guid>` +
    `<link>https://academictorrents.com/details/${hashOf(i)}</link>` +
    `<description><![CDATA[Recordings from site ${i % 311}.]]></description>` +
    `<size>${(i * 7919 + 1) * 1024}</size><pubDate>Mon, 01 Jan 2024 10:00:00 +0000</pubDate></item>\n`
  );
}
function jsonItem(i: number, first: boolean): string {
  return (
    `${first ? '' : ','}{"btih":"${hashOf(i)}","display_name":"sm_${i}.torrent",` +
    `"url":"https://annas.example/dyn/small_file/torrents/sm_${i}.torrent",` +
    `"magnet_link":"magnet:?xt=urn:btih:${hashOf(i)}&dn=sm_${i}.torrent&tr=udp%3A%2F%2Ftracker.opentrackr.org%3A1337%2Fannounce",` +
    `"data_size":${i * 7919 + 1},"seeders":${i % 9},"leechers":${i % 4},"completed":${i % 100},` +
    `"stats_scraped_at":"2025-08-14T12:11:10","added_to_torrents_list_at":"2023-12-21","obsolete":false,"embargo":false}\n`
  );
}

/** Writes a feed of this format just under `capBytes`; returns its item count. */
async function writeFeed(path: string, format: Format, capBytes: number): Promise<number> {
  const out = createWriteStream(path);
  const head =
    format === 'csv'
      ? 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED\n'
      : format === 'rss'
        ? '<?xml version="1.0" encoding="UTF-8"?>\n' +
          '<rss version="2.0"><channel><title>AT</title><link>https://academictorrents.com/</link><description>x</description>\n'
        : '[';
  const tail = format === 'csv' ? '' : format === 'rss' ? '</channel></rss>\n' : ']\n';
  let bytes = Buffer.byteLength(head) + Buffer.byteLength(tail);
  out.write(head);
  let i = 0;
  for (;;) {
    const piece = format === 'csv' ? csvRow(i) : format === 'rss' ? rssItem(i) : jsonItem(i, i === 0);
    const size = Buffer.byteLength(piece);
    if (bytes + size > capBytes - 1024) break;
    bytes += size;
    if (!out.write(piece)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    i++;
  }
  out.end(tail);
  await new Promise<void>((resolve) => out.once('finish', () => resolve()));
  return i;
}

/** A collection CSV of exactly `count` items. */
async function writeCsvItems(path: string, count: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED\n');
  for (let i = 0; i < count; i++) {
    if (!out.write(csvRow(i))) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  out.end();
  await new Promise<void>((resolve) => out.once('finish', () => resolve()));
}

function endless(res: ServerResponse, head: string, piece: (i: number) => string): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  res.write(head);
  let i = 0;
  const pump = (): void => {
    while (!res.destroyed && res.write(piece(i++))) {
      /* fill the socket */
    }
    if (!res.destroyed) res.once('drain', pump);
  };
  pump();
}

interface ChildResult {
  ok: boolean;
  detail: string;
  items?: number;
  ms: number;
  peakRssMb: number;
}

async function runChild(kind: string, base: string, dir: string, capBytes: number): Promise<ChildResult> {
  const started = performance.now();
  const finish = (ok: boolean, detail: string, items?: number): ChildResult => ({
    ok,
    detail,
    ms: Math.round(performance.now() - started),
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    ...(items === undefined ? {} : { items }),
  });
  const options = { nowMs: Date.now(), timeoutMs: 300_000, maxBytes: capBytes, userAgent: 'bench' };
  if (kind.startsWith('feed-')) {
    const [, format, phase] = kind.split('-') as [string, Format, 'fetch' | 'restart' | 'whole'];
    const down: HttpTransport = async () => {
      throw new Error('the feed is down');
    };
    const result = await new FeedCache({ dir }).refresh(
      // fetch and restart share one id: the restart reads back the copy the fetch stored.
      {
        id: `bench-${format}${phase === 'whole' ? '-whole' : ''}`,
        url: `${base}/${phase === 'whole' ? 'whole' : 'feed'}.${format}`,
        format: 'auto',
      },
      phase === 'restart' ? { ...options, transport: down } : options,
    );
    const expected = phase === 'restart' ? 'stale' : 'fresh';
    return finish(
      result.freshness === expected && result.items.length > 0,
      `${result.freshness}${result.error === null ? '' : `: ${result.error.message}`}`,
      result.items.length,
    );
  }
  if (kind.startsWith('tick-csv-')) {
    const { agentTicks } = await import('./score-bench.js');
    const { feedMaxItems } = defaultLimits();
    const atItemCap = kind === 'tick-csv-item-cap';
    const ticked = await agentTicks(0, 0, 2, false, `${base}/${atItemCap ? 'items' : 'feed'}.csv`, feedMaxItems);
    const decisions = ticked.agentDecisions ?? 0;
    // At the item cap every item is weighed; the byte-cap CSV lists more and is refused whole.
    return finish(atItemCap ? decisions === feedMaxItems : decisions === 0, `${decisions} decisions a tick`, decisions);
  }
  if (kind === 'rpc-endless') {
    const error = await createRpcHttp({ url: `${base}/rpc`, timeoutMs: 300_000 })
      .post('{"method":"torrent-get"}', 'torrent-get')
      .then(
        () => null,
        (e: unknown) => e,
      );
    return finish(error instanceof SmartnodeError && error.code === 'DAEMON_PROTOCOL', error instanceof Error ? error.message : 'answered');
  }
  if (kind === 'csv-endless') {
    const result = await new FeedCache({ dir }).refresh({ id: 'endless', url: `${base}/endless.csv`, format: 'auto' }, options);
    return finish(result.error?.code === 'FEED_TOO_LARGE', result.error?.message ?? 'accepted');
  }
  throw new Error(`unknown case ${kind}`);
}

export async function benchMemory(): Promise<{ figures: Figures; passed: boolean }> {
  const capBytes = defaultFeedCapBytes();
  const dir = await mkdtemp(join(tmpdir(), 'smartnode-memory-bench-'));
  const counts = new Map<Format, number>();
  for (const format of FORMATS) counts.set(format, await writeFeed(join(dir, `feed.${format}`), format, capBytes));
  await writeCsvItems(join(dir, 'items.csv'), defaultLimits().feedMaxItems);
  // The largest RSS still parsed as one document (past it, item batch by item batch).
  await writeFeed(join(dir, 'whole.rss'), 'rss', RSS_WHOLE_DOCUMENT_MAX_CHARS);
  const server = createServer((req, res) => {
    const path = req.url ?? '';
    const [, name, feed] = /^\/(feed|items|whole)\.(csv|rss|json)$/.exec(path) ?? [];
    if (feed !== undefined) {
      const file = join(dir, `${name}.${feed}`);
      void stat(file).then((s) => {
        res.writeHead(200, {
          'content-length': String(s.size),
          'content-type': feed === 'csv' ? 'text/csv' : feed === 'rss' ? 'application/rss+xml' : 'application/json',
        });
        createReadStream(file).pipe(res);
      });
      return;
    }
    if (path === '/rpc')
      return endless(res, '{"result":"success","arguments":{"torrents":[', (i) => `["${hashOf(i)}","Dataset ${i}",6,1],`);
    if (path === '/endless.csv')
      return endless(res, 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED\n', csvRow);
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const figures: Figures = { heapLimitMb: HEAP_MB, feedCapBytes: capBytes };
  let passed = true;
  const feedCases = [...FORMATS.flatMap((f) => [`feed-${f}-fetch`, `feed-${f}-restart`]), 'feed-rss-whole'];
  const cases = [...feedCases, 'tick-csv-item-cap', 'tick-csv-byte-cap', 'rpc-endless', 'csv-endless'];
  const script = fileURLToPath(import.meta.url);
  try {
    for (const kind of cases) {
      // The child talks to this process's server, so it must not block this event loop: async spawn.
      const child = await spawnAsync([`--max-old-space-size=${HEAP_MB}`, script, 'child', kind, base, dir, String(capBytes)]);
      const line = child.stdout.trim().split('\n').pop() ?? '';
      let result: ChildResult;
      try {
        result = JSON.parse(line) as ChildResult;
      } catch {
        result = {
          ok: false,
          detail: `exit ${child.status}: ${child.stderr.trim().split('\n').slice(-3).join(' | ')}`,
          ms: 0,
          peakRssMb: 0,
        };
      }
      if (!result.ok) passed = false;
      figures[`${kind}PeakRssMb`] = result.peakRssMb;
      figures[`${kind}Ms`] = result.ms;
      if (result.items !== undefined) figures[`${kind}Items`] = result.items;
      figures[`${kind}Verdict`] = result.ok ? 'ok' : `FAILED (${result.detail.slice(0, 160)})`;
    }
    for (const [format, count] of counts) figures[`feed-${format}-written-items`] = count;
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  }
  return { figures, passed };
}

function spawnAsync(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

if (isMainModule(import.meta.url)) {
  if (process.argv[2] === 'child') {
    const [, , , kind = '', base = '', dir = '', cap = '0'] = process.argv;
    runChild(kind, base, dir, Number(cap)).then(
      (result) => console.log(JSON.stringify(result)),
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  } else {
    benchMemory().then(
      ({ figures, passed }) => {
        printFigures(figures);
        if (!passed) process.exitCode = 1;
      },
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
