/**
 * The agent's integrity checks through whole ticks: observe gathers, planTick decides, apply
 * carries out, and the content hash runs in the background between ticks. On the in-memory
 * daemon (the contract suite keeps it honest) with the data as real files on disk, hashed for
 * real, and a feed that follows owmeta's convention: the .torrent is named by the MD5 of its one file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildMetainfo, createMemoryDaemon, type DaemonTorrent } from '../daemon/index.js';
import { parseRssFeed, type FeedItem } from '../feeds/index.js';
import { aCounts } from '../plan/testing.js';
import { SmartnodeError, type InfoHash } from '../shared/index.js';
import type { AgentConfig, AgentDeps } from './config.js';
import { createDigestJobs } from './digest-jobs.js';
import { createEventBus, type AgentEvent } from './events.js';
import { openAgentState } from './state.js';
import { initialCarriedState, runTick } from './tick.js';

const NAME = 'connectome.csv';
const DATA = randomBytes(300_000);
const MD5 = createHash('md5').update(DATA).digest('hex');
const built = buildMetainfo({ name: NAME, data: DATA, announce: 'http://127.0.0.1:1/announce' });
const HASH = built.infoHash as InfoHash;

async function owmetaItem(md5: string): Promise<FeedItem> {
  const feed = await parseRssFeed(
    `<rss version="2.0"><channel><title>lab</title><item><title>${NAME}</title><infohash>${HASH}</infohash>
      <size>${DATA.length}</size><enclosure url="http://127.0.0.1:1/files/${md5}.torrent" type="application/x-bittorrent" length="1"/>
    </item></channel></rss>`,
    { format: 'rss', feedId: 'lab', feedUrl: 'http://127.0.0.1:1/feed.xml', nowMs: 0 },
  );
  return feed.items[0]!;
}

describe('integrity checks through the agent tick', () => {
  let dir: string;
  let stateDir: string;
  let now: number;
  let hostDown: boolean;
  let events: AgentEvent[];
  let deps: AgentDeps & { daemon: ReturnType<typeof createMemoryDaemon> };
  let config: AgentConfig;
  let carried = initialCarriedState();

  const setup = async (md5: string): Promise<void> => {
    const item = await owmetaItem(md5);
    const daemon = createMemoryDaemon({ directories: [dir] });
    // The data is already where the agent will add it: the add completes at once.
    const dataPath = join(dir, HASH, NAME);
    await mkdir(join(dir, HASH), { recursive: true });
    await writeFile(dataPath, DATA);
    daemon.control.writeFile(dataPath, DATA.length);
    const torrents = {
      readTorrent: async () => {
        if (hostDown) throw new SmartnodeError('TORRENT_FETCH', 'feed host down: connection refused', { retryable: true });
        return {
          infoHash: HASH,
          name: NAME,
          totalSizeBytes: DATA.length,
          trackers: ['http://127.0.0.1:1/announce'],
          metainfo: built.metainfo,
        };
      },
      cached: () => ({ infoHash: HASH, name: NAME, totalSizeBytes: DATA.length, trackers: ['http://127.0.0.1:1/announce'] }),
      refusal: () => undefined,
    };
    const bus = createEventBus();
    bus.subscribe((e) => events.push(e));
    deps = {
      daemon,
      state: openAgentState(stateDir),
      bus,
      feeds: { readFeeds: async () => [{ feedId: 'lab', items: [item] }] },
      counts: { readCounts: async (requests) => new Map(requests.map((r) => [r.infoHash, aCounts({ seeders: 0, leechers: 3 })])) },
      torrents,
      clock: () => now,
      digestJobs: createDigestJobs({ torrents }),
    };
    config = {
      label: 'smartnode',
      downloadDir: dir,
      maxCountAgeMs: Number.MAX_SAFE_INTEGER,
      trackerStatsIntervalMs: 60_000,
      maxTorrentProbesPerTick: 10,
      planPolicy: {
        maxBytes: 10 * DATA.length,
        minFreeBytes: 0,
        feeds: [{ id: 'lab', maxBytes: null, maxTorrents: null }],
        scoring: { targetSeeders: 5, leecherWeight: 0.5, replaceMargin: 0.2, minSeedTimeMs: 0 },
        maxAddsPerTick: 10,
      },
      integrity: { reverifyEveryMs: 0, readRateBytesPerSec: null },
    };
  };
  const tick = async (): Promise<void> => {
    now += 1000;
    carried = (await runTick(deps, config, { dryRun: false, tick: 1, carried })).carried;
  };
  const torrent = async (): Promise<DaemonTorrent | undefined> => (await deps.daemon.listTorrents()).find((t) => t.infoHash === HASH);
  const record = () => deps.state.integrity().get(HASH);
  /** Polls the background runner until its check of our torrent has finished, with a deadline. */
  const checkFinished = async (): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!deps.digestJobs!.views().some((j) => j.infoHash === HASH && (j.state === 'done' || j.state === 'failed'))) {
      if (Date.now() > deadline) throw new Error(`no finished check: ${JSON.stringify(deps.digestJobs!.views())}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-integrity-'));
    stateDir = join(dir, '.state');
    now = 1_800_000_000_000;
    hostDown = false;
    events = [];
    carried = initialCarriedState();
  });
  afterEach(async () => {
    await deps?.digestJobs?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("owmeta's MD5-named .torrent: stopped until the background check passes, then DIGEST_OK and seeding", async () => {
    await setup(MD5);
    await tick();
    expect((await torrent())?.status).toBe('seeding');
    await tick();
    // Complete: held stopped, not yet counted as verified, the hash under way in the background.
    expect((await torrent())?.status).toBe('stopped');
    expect(record()).toMatchObject({ completedAtMs: now, lastVerifiedAtMs: null, digestCheck: { failures: 0 }, heldForCheck: true });
    await checkFinished();
    await tick();
    expect(record()).toMatchObject({
      lastVerifiedAtMs: now,
      digestCheck: null,
      last: { code: 'DIGEST_OK', text: 'md5 of content match the feed' },
    });
    expect((await torrent())?.status).toBe('seeding');
    expect(deps.digestJobs!.views()).toEqual([]);
    await tick();
    expect(record()?.heldForCheck).toBe(false);
    expect(events.filter((e) => e.type === 'action-failed')).toEqual([]);
  });

  it('an MD5 in the .torrent name that the bytes do not match is CORRUPT, and the data is fetched afresh', async () => {
    const wrong = 'f'.repeat(32);
    await setup(wrong);
    await tick();
    await tick();
    await checkFinished();
    await tick();
    expect(record()?.last).toMatchObject({ code: 'CORRUPT', expected: `md5:${wrong}`, actual: `md5:${MD5}` });
    expect(events.some((e) => e.type === 'integrity' && e.code === 'CORRUPT' && e.infoHash === HASH)).toBe(true);
    // Removed with its data and added again: a fresh download, never seeded as good.
    expect(await torrent()).toMatchObject({ percentDone: 0, status: 'downloading' });
  });

  it('a check that cannot run is retried after a backoff, reported as a failed digest-check, never counted verified', async () => {
    await setup(MD5);
    await tick();
    hostDown = true;
    await tick();
    await checkFinished();
    await tick();
    const failedAt = now;
    expect(record()).toMatchObject({
      lastVerifiedAtMs: null,
      digestCheck: { failures: 1, retryAtMs: failedAt + 60_000 },
      last: { code: 'CHECK_FAILED', text: expect.stringMatching(/feed host down.*tried again in 1 min/) },
    });
    expect(events.find((e) => e.type === 'action-failed')).toMatchObject({ kind: 'digest-check', error: { code: 'TORRENT_FETCH' } });
    expect((await torrent())?.status).toBe('stopped');
    // Not before the backoff has passed.
    hostDown = false;
    await tick();
    expect(deps.digestJobs!.views()).toEqual([]);
    now = failedAt + 60_000;
    await tick();
    await checkFinished();
    await tick();
    expect(record()).toMatchObject({ digestCheck: null, last: { code: 'DIGEST_OK' }, lastVerifiedAtMs: now });
    expect((await torrent())?.status).toBe('seeding');
  });
});
