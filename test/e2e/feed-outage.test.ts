/**
 * A restart during a feed outage keeps the feed's torrents: the built CLI runs against a real
 * transmission-daemon and a real HTTP feed server, adds the feed's torrents, then the feed
 * answers 500 and the agent is started again (a new process): nothing it added is removed, and
 * the log says it kept the feed's last good copy. Nothing holds the torrents but the feed: no
 * minimum seed time, no eviction confirmation.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { createRealTorrent, startTestDaemon, type RealTorrent, type TestDaemon } from '../helpers/daemon.js';
import { makeWorkDir } from '../helpers/world.js';

const run = promisify(execFile);
const HEADER = 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED';

describe('a restart while a feed answers 500', () => {
  let daemon: TestDaemon;
  let feeds: FeedServer;
  let work: { dir: string; cleanup: () => Promise<void> };
  let policyPath = '';
  const torrents: RealTorrent[] = [];
  let env: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    work = await makeWorkDir('feed-outage');
    daemon = await startTestDaemon();
    feeds = await startFeedServer({ host: '127.0.0.1' });
    for (let i = 0; i < 2; i++) {
      const t = await createRealTorrent({ root: work.dir, dataDir: join(work.dir, 'data'), withData: false, sizeBytes: 40_000 + i });
      feeds.setTorrent(t.infoHash, t.metainfo);
      torrents.push(t);
    }
    const csv = [HEADER, ...torrents.map((t) => `Dataset,${t.name},${t.infoHash},${t.sizeBytes},1,3,10,1700000000,1700000000`)].join('\n');
    feeds.setRoute('/collection/outage.csv', { body: csv, contentType: 'text/csv', etag: '"v1"' });
    const downloadDir = join(work.dir, 'mirror');
    await mkdir(downloadDir, { recursive: true });
    policyPath = join(work.dir, 'policy.yaml');
    await writeFile(
      policyPath,
      `version: 1
node:
  stateDir: ${join(work.dir, 'state')}
daemon:
  url: ${daemon.rpcUrl}
  username: ${daemon.username}
  passwordEnv: OUTAGE_RPC_PASSWORD
storage:
  downloadDir: ${downloadDir}
  maxBytes: 1 GB
  minFreeBytes: 0
feeds:
  - id: outage
    url: ${feeds.url}/collection/outage.csv
    format: at-csv
scoring:
  minSeedTime: 0s
scrape:
  enabled: false
announceProbe:
  enabled: false
limits:
  maxEvictFraction: 1
`,
    );
    env = { ...process.env, OUTAGE_RPC_PASSWORD: daemon.password };
  }, 60_000);

  afterAll(async () => {
    await feeds?.close();
    await daemon?.teardown();
    await work?.cleanup();
  });

  async function runOnce(): Promise<Array<Record<string, unknown>>> {
    const { stdout } = await run('node', ['bin/smartnode.js', 'run', '--once', '--policy', policyPath], { env, timeout: 60_000 });
    return stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  async function ownedHashes(): Promise<string[]> {
    const list = await rpcCall(daemon, 'torrent-get', { fields: ['hashString', 'labels'] });
    return (list['torrents'] as Array<{ hashString: string; labels: string[] }>)
      .filter((t) => t.labels.includes('smartnode'))
      .map((t) => t.hashString)
      .sort();
  }

  it("adds the feed's torrents, then keeps them through a restart during the outage", async () => {
    const first = await runOnce();
    expect(first.filter((l) => l['event'] === 'action' && l['kind'] === 'add')).toHaveLength(2);
    const expected = torrents.map((t) => t.infoHash as string).sort();
    expect(await ownedHashes()).toEqual(expected);

    feeds.setRoute('/collection/outage.csv', { body: 'internal error', contentType: 'text/plain', status: 500 });
    const second = await runOnce();
    const failed = second.find((l) => l['event'] === 'feed-failed');
    expect(String(failed?.['msg'])).toMatch(/HTTP 500 .*; keeping 2 items from the last good fetch; next try at \d{4}-/);
    expect(second.filter((l) => l['event'] === 'action' && l['kind'] === 'remove')).toEqual([]);
    expect(await ownedHashes()).toEqual(expected);

    // And a third start, the feed still down: still kept.
    await runOnce();
    expect(await ownedHashes()).toEqual(expected);
  }, 180_000);
});
