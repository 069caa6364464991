/**
 * End to end with a qBittorrent volunteer: a real tracker and a Transmission seeder on
 * loopback, the volunteer's qbittorrent-nox (Debian 12's 4.5), an Academic Torrents style feed
 * over HTTP, and the built CLI with `daemon.client: qbittorrent`. The agent adds what the swarm
 * needs through the WebUI, tagged, each into its own per-infohash directory; the owner's own
 * torrent, untagged, is left alone with its bytes unchanged.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createQbittorrentDaemon, createTransmissionDaemon, type DaemonPort } from '../../src/daemon/index.js';
import { startFeedServer, startTracker, type FeedServer, type RunningTracker } from '../../src/testkit/index.js';
import { createTorrentFile, makeDataset, sha256Tree, type Dataset } from '../../src/testkit/torrents.js';
import { renderAtRss } from '../../src/testkit/world.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { startTestQbittorrent, type TestQbittorrent } from '../helpers/qbittorrent.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const run = promisify(execFile);
const MB = 1_000_000;
const FEED_PATH = '/collection/demo/rss.xml';

describe('smartnode mirrors onto a qBittorrent volunteer (qbittorrent-nox 4.5, real swarm on loopback)', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let tracker: RunningTracker;
  let seeder: TestDaemon;
  let volunteer: TestQbittorrent;
  let feed: FeedServer;
  let qb: DaemonPort;
  const sets: { dataset: Dataset; infoHash: string }[] = [];
  let owner: { infoHash: string; tree: Record<string, string>; dir: string };
  let policyPath: string;
  let downloadDir: string;

  beforeAll(async () => {
    work = await makeWorkDir('e2e-qbt');
    tracker = await startTracker({ host: '127.0.0.1', udp: false });
    seeder = await startTestDaemon();
    const seederPort = createTransmissionDaemon({
      url: seeder.rpcUrl,
      username: seeder.username,
      password: seeder.password,
      timeoutMs: 5000,
    });
    feed = await startFeedServer({ host: '127.0.0.1' });
    const specs = [
      {
        name: 'rare-a',
        files: [
          { path: 'x/1.bin', sizeBytes: 1 * MB },
          { path: 'x/2.bin', sizeBytes: 1 * MB },
        ],
      },
      { name: 'rare-b', files: [{ path: 'r.bin', sizeBytes: 2 * MB }] },
    ];
    const items = [];
    for (const [i, spec] of specs.entries()) {
      const dataset = await makeDataset({ dir: seeder.downloadDir, name: spec.name, files: spec.files, seed: i + 1 });
      const torrent = await createTorrentFile({
        contentPath: dataset.contentPath,
        announceUrl: tracker.announceUrl,
        outFile: join(work.dir, `${spec.name}.torrent`),
      });
      await seederPort.addTorrent({ metainfo: torrent.metainfo, downloadDir: seeder.downloadDir, labels: [] });
      feed.setTorrent(torrent.infoHash, torrent.metainfo);
      sets.push({ dataset, infoHash: torrent.infoHash });
      items.push({ spec: { ...spec, seeders: 1 }, dataset, torrent: { ...torrent }, infoHash: torrent.infoHash });
    }
    feed.setRoute(FEED_PATH, { body: renderAtRss(items, feed.url), contentType: 'application/rss+xml; charset=utf-8' });
    await eventually('the seeder to verify its data', async () => {
      const list = await seederPort.listTorrents({ trackerStats: false });
      return sets.every((s) => list.find((t) => t.infoHash === s.infoHash)?.status === 'seeding');
    });

    volunteer = await startTestQbittorrent('bookworm');
    qb = createQbittorrentDaemon({ url: volunteer.url, username: volunteer.username, password: volunteer.password, timeoutMs: 5000 });
    // The owner's own torrent, untagged, with its data in the owner's folder.
    const ownerDir = join(work.dir, 'owner-data');
    const own = await makeDataset({ dir: ownerDir, name: 'owner-private', files: [{ path: 'p.bin', sizeBytes: 300_000 }], seed: 99 });
    const ownTorrent = await createTorrentFile({ contentPath: own.contentPath, outFile: join(work.dir, 'owner.torrent') });
    await qb.addTorrent({ metainfo: ownTorrent.metainfo, downloadDir: ownerDir, labels: [] });
    owner = { infoHash: ownTorrent.infoHash, tree: await sha256Tree(own.contentPath), dir: ownerDir };

    downloadDir = join(work.dir, 'mirror');
    policyPath = join(work.dir, 'policy.yaml');
    await writeFile(
      policyPath,
      `version: 1
node:
  stateDir: ${join(work.dir, 'state')}
daemon:
  client: qbittorrent
  url: ${volunteer.url}
  username: ${volunteer.username}
  passwordEnv: SMARTNODE_E2E_PASSWORD
storage:
  downloadDir: ${downloadDir}
  maxBytes: ${10 * MB}
  minFreeBytes: 0
feeds:
  - id: demo
    url: ${feed.url}${FEED_PATH}
    format: rss
scoring:
  targetSeeders: 4
  minSeedTime: 0s
intervals:
  tick: 5s
  feedRefresh: 10s
  scrape: 10s
`,
    );
  }, 120_000);

  afterAll(async () => {
    await volunteer?.teardown();
    await seeder?.teardown();
    await feed?.close();
    await tracker?.close();
    await work?.cleanup();
  }, 60_000);

  it('the CLI adds both torrents through the WebUI, tagged, each into its own directory', async () => {
    const { stdout } = await run('node', ['bin/smartnode.js', 'run', '--once', '--policy', policyPath], {
      env: { ...process.env, SMARTNODE_E2E_PASSWORD: volunteer.password },
      timeout: 60_000,
    });
    expect(stdout).not.toContain(volunteer.password);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.find((l) => l['event'] === 'daemon-connected')).toMatchObject({ protocol: 'webui-v2' });
    const adds = lines.filter((l) => l['event'] === 'action' && l['kind'] === 'add');
    expect(adds.map((l) => String(l['msg']).split(':')[0]).sort()).toEqual(['added rare-a', 'added rare-b']);
    const owned = (await qb.listTorrents({ trackerStats: false })).filter((t) => t.labels.includes('smartnode'));
    expect(owned.map((t) => t.infoHash).sort()).toEqual(sets.map((s) => s.infoHash).sort());
    for (const t of owned) expect(t.downloadDir).toBe(join(downloadDir, t.infoHash));
    const mine = (await qb.listTorrents({ trackerStats: false })).find((t) => t.infoHash === owner.infoHash);
    expect(mine).toMatchObject({ labels: [], downloadDir: owner.dir });
    expect(await sha256Tree(join(owner.dir, 'owner-private'))).toEqual(owner.tree);
  }, 90_000);
});
