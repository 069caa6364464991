/**
 * Feeds that stall mid-body (identity, gzip, deflate, br) or answer invalid gzip never freeze
 * the agent: ticks against a real transmission-daemon keep finishing, the good feed's torrents
 * are added, a hung feed costs the first tick at most one fetch deadline and later ticks none
 * (its host backs off and is retried in the background), and after many invalid gzip answers a
 * stall on the same host still times out. Prints the tick times it measured.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startTickingAgent, type TickingAgent } from '../helpers/agent.js';
import { createRealTorrent, startTestDaemon, type RealTorrent, type TestDaemon } from '../helpers/daemon.js';
import { makeWorkDir } from '../helpers/world.js';

const HEADER = 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED';
const FETCH_TIMEOUT_MS = 3000;
const ENCODINGS = ['identity', 'gzip', 'deflate', 'br'] as const;

function encode(encoding: (typeof ENCODINGS)[number], text: string): Uint8Array {
  const raw = Buffer.from(text, 'utf8');
  if (encoding === 'gzip') return gzipSync(raw);
  if (encoding === 'deflate') return deflateSync(raw);
  if (encoding === 'br') return brotliCompressSync(raw);
  return raw;
}

/** A collection CSV of `rows` made-up datasets, long enough that half of it is many packets. */
function bigCsv(rows: number): string {
  const lines = [HEADER];
  for (let i = 0; i < rows; i++) {
    const hash = (i + 1).toString(16).padStart(40, 'c');
    lines.push(`Dataset,stalled ${i} ${'x'.repeat(40)},${hash},${1_000_000 + i},0,3,1,1700000000,1700000000`);
  }
  return lines.join('\n');
}

describe('feeds that stall mid-body or answer invalid gzip, against a real daemon', () => {
  let daemon: TestDaemon;
  let feeds: FeedServer;
  let work: { dir: string; cleanup: () => Promise<void> };
  let agent: TickingAgent;
  const events: AgentEvent[] = [];
  const torrents: RealTorrent[] = [];

  beforeAll(async () => {
    work = await makeWorkDir('hostile-feeds');
    daemon = await startTestDaemon();
    feeds = await startFeedServer({ host: '127.0.0.1' });
    for (let i = 0; i < 2; i++) {
      const t = await createRealTorrent({ root: work.dir, dataDir: join(work.dir, 'data'), withData: false, sizeBytes: 30_000 + i });
      feeds.setTorrent(t.infoHash, t.metainfo);
      torrents.push(t);
    }
    const good = [HEADER, ...torrents.map((t) => `Dataset,${t.name},${t.infoHash},${t.sizeBytes},0,3,1,1700000000,1700000000`)];
    feeds.setRoute('/good.csv', { body: good.join('\n'), contentType: 'text/csv' });
    const stalled = bigCsv(5000);
    for (const encoding of ENCODINGS) {
      const body = encode(encoding, stalled);
      feeds.setRoute(`/stall-${encoding}.csv`, {
        body,
        contentType: 'text/csv',
        headers: encoding === 'identity' ? {} : { 'content-encoding': encoding },
        stallAfterBytes: Math.floor(body.length / 2),
      });
    }
    feeds.setRoute('/bad-gzip.csv', { body: 'this is not gzip at all', contentType: 'text/csv', headers: { 'content-encoding': 'gzip' } });

    const downloadDir = join(work.dir, 'mirror');
    await mkdir(downloadDir, { recursive: true });
    const policyPath = join(work.dir, 'policy.yaml');
    const feedLines = ['good', ...ENCODINGS.map((e) => `stall-${e}`), 'bad-gzip']
      .map((id) => `  - { id: ${id}, url: "${feeds.url}/${id}.csv", format: at-csv }`)
      .join('\n');
    await writeFile(
      policyPath,
      `version: 1
node: { stateDir: ${join(work.dir, 'state')} }
daemon: { url: ${daemon.rpcUrl}, username: ${daemon.username}, passwordEnv: HOSTILE_RPC_PASSWORD }
storage: { downloadDir: ${downloadDir}, maxBytes: 1 GB, minFreeBytes: 0 }
feeds:
${feedLines}
scoring: { minSeedTime: 0s }
scrape: { enabled: false }
announceProbe: { enabled: false }
limits: { fetchTimeout: ${FETCH_TIMEOUT_MS / 1000}s }
`,
    );
    agent = await startTickingAgent(policyPath, { ...process.env, HOSTILE_RPC_PASSWORD: daemon.password });
    agent.runtime.deps.bus.subscribe((e) => events.push(e));
  }, 60_000);

  afterAll(async () => {
    await feeds?.close();
    await daemon?.teardown();
    await work?.cleanup();
  });

  async function timedTick(): Promise<number> {
    const started = performance.now();
    await agent.tick();
    return performance.now() - started;
  }

  it('keeps ticking, adds what the good feed lists, and waits on a hung feed at most once', async () => {
    const tickMs: number[] = [await timedTick()];
    // The first tick waits for every feed's first answer, all fetched at once: one deadline.
    expect(tickMs[0]).toBeLessThan(2 * FETCH_TIMEOUT_MS + 2000);
    const failed = new Map<string, string>();
    for (const e of events) if (e.type === 'feed-failed') failed.set(e.feedId, e.error.message);
    for (const encoding of ENCODINGS) expect(failed.get(`stall-${encoding}`)).toMatch(/time|deadline|within/i);
    expect(failed.get('bad-gzip')).toBeDefined();
    const list = await rpcCall(daemon, 'torrent-get', { fields: ['hashString', 'labels'] });
    const owned = (list['torrents'] as Array<{ hashString: string; labels: string[] }>).filter((t) => t.labels.includes('smartnode'));
    expect(owned.map((t) => t.hashString).sort()).toEqual(torrents.map((t) => t.infoHash as string).sort());

    // Later ticks retry the failing hosts in the background: none waits a fetch deadline.
    for (let i = 0; i < 6; i++) tickMs.push(await timedTick());
    for (const ms of tickMs.slice(1)) expect(ms).toBeLessThan(FETCH_TIMEOUT_MS);
    const badGzipAnswers = feeds.requests.filter((r) => r.path === '/bad-gzip.csv').length;
    expect(badGzipAnswers).toBeGreaterThanOrEqual(3);

    // After those invalid gzip answers the same host stalls mid-body: its fetch still times
    // out and the ticks still finish.
    const stalledBody = encode('gzip', bigCsv(5000));
    feeds.setRoute('/bad-gzip.csv', {
      body: stalledBody,
      contentType: 'text/csv',
      headers: { 'content-encoding': 'gzip' },
      stallAfterBytes: Math.floor(stalledBody.length / 2),
    });
    const before = events.length;
    const deadline = Date.now() + 60_000;
    let stalledFailure: string | undefined;
    while (stalledFailure === undefined && Date.now() < deadline) {
      tickMs.push(await timedTick());
      await new Promise((resolve) => setTimeout(resolve, 250));
      for (const e of events.slice(before)) {
        if (e.type === 'feed-failed' && e.feedId === 'bad-gzip' && /time|deadline|within/i.test(e.error.message)) {
          stalledFailure = e.error.message;
        }
      }
    }
    expect(stalledFailure).toBeDefined();
    // A healthy feed on the same host answering meanwhile does not bring the broken one's
    // retries back into the foreground.
    for (const ms of tickMs.slice(1)) expect(ms).toBeLessThan(FETCH_TIMEOUT_MS);
    console.log(`tick times with four hung feeds and an invalid-gzip one (ms): ${tickMs.map((ms) => Math.round(ms)).join(', ')}`);
  }, 120_000);
});
