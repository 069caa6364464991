/**
 * A live policy edit that adds a feed or changes a feed's URL fetches that feed at once, from a
 * real local HTTP server, with no tick in between: a typo in the URL shows as failing in
 * `status` and the dashboard within seconds, never as "ok".
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../agent/index.js';
import { formatStatusText, initialStatus, reduceStatus } from '../status/index.js';
import { startFeedServer, type FeedServer } from '../testkit/index.js';
import { feedRowText } from '../ui/index.js';
import { buildRuntime } from './runtime.js';

const FIXTURE = new URL('../../test/fixtures/feeds/at-rss.xml', import.meta.url);

async function eventually(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('a feed added or edited in a running policy', () => {
  let dir = '';
  let server: FeedServer | null = null;
  afterEach(async () => {
    await server?.close();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('is fetched at once, without a tick; a failing one shows as failing in status and the dashboard', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-feed-edit-'));
    server = await startFeedServer({ host: '127.0.0.1' });
    const rss = await readFile(FIXTURE, 'utf8');
    server.setRoute('/good.xml', { body: rss, contentType: 'application/rss+xml' });
    server.setRoute('/moved.xml', { body: rss, contentType: 'application/rss+xml' });
    const policyPath = join(dir, 'policy.yaml');
    const policy = (feeds: string): string => `version: 1
node: { stateDir: ${join(dir, 'state')} }
daemon: { url: "http://127.0.0.1:9/transmission/rpc" }
storage: { downloadDir: ${join(dir, 'mirror')}, maxBytes: 1 GB }
feeds: [${feeds}]
intervals: { tick: 1h, feedRefresh: 6h }
`;
    await writeFile(policyPath, policy(`{ id: a, url: "${server.url}/good.xml", format: rss }`));
    const runtime = await buildRuntime({ policyPath, env: {} });
    const events: AgentEvent[] = [];
    runtime.bus.subscribe((e) => events.push(e));
    const watcher = runtime.watchPolicy({ debounceMs: 10_000 });
    try {
      // The first tick's read.
      await runtime.deps.feeds.readFeeds(Date.now());
      expect(events.filter((e) => e.type === 'feed-fetched').map((e) => e.type === 'feed-fetched' && e.feedId)).toEqual(['a']);

      // A new feed with a typo in its URL, and feed a moved: both fetched with no tick.
      await writeFile(
        policyPath,
        policy(`{ id: a, url: "${server.url}/moved.xml", format: rss }, { id: b, url: "${server.url}/gooood.xml", format: rss }`),
      );
      expect(await watcher.reload()).toMatchObject({ kind: 'reloaded', changed: ['feeds'] });
      await eventually(
        'the new and the moved feed fetched',
        // feed-fetched comes once the feed's copy on disk is written.
        () =>
          events.some((e) => e.type === 'feed-failed' && e.feedId === 'b') &&
          events.filter((e) => e.type === 'feed-fetched' && e.feedId === 'a').length === 2,
        5_000,
      );
      expect(events.filter((e) => e.type === 'tick-finished')).toHaveLength(0);
      expect(server.requests.map((r) => `${r.path} ${r.status}`)).toEqual(
        expect.arrayContaining(['/good.xml 200', '/moved.xml 200', '/gooood.xml 404']),
      );

      const nowMs = Date.now();
      const status = events.reduce(reduceStatus, initialStatus({ nodeId: 'n1234567', nowMs, pins: [], bans: [], paused: false }));
      const b = status.feeds.find((f) => f.feedId === 'b');
      expect(b).toMatchObject({ failures: 1 });
      expect(b?.lastError?.message).toMatch(/404/);
      const text = formatStatusText(status, { nowMs });
      expect(text).toMatch(/^ {2}b: 0 items, fetched \d+s ago, 1 failure\(s\): .*404/m);
      expect(b === undefined ? '' : feedRowText(b, nowMs)).toMatch(/^b: 0 items, fetched \d+s ago, 1 failed: .*404/);
    } finally {
      watcher.close();
    }
  });

  it('not fetched yet is said so in the dashboard, not "ok"', () => {
    const row = {
      feedId: 'c',
      items: 0,
      lastFetchAtMs: null,
      lastOkAtMs: null,
      notModified: false,
      failures: 0,
      lastError: null,
      droppedItems: 0,
    };
    expect(feedRowText(row, 0)).toBe('c: not fetched yet');
  });
});
