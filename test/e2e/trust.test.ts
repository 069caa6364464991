/**
 * Data you can trust and data you can give, end to end on a real swarm: node A publishes
 * generated datasets with `smartnode publish` (seeded in place, listed in a feed served over
 * HTTP); node B's smartnode has A's feed in its policy, mirrors them, and checks the content
 * digests the feed states. Then the data goes bad under B's daemon (bit rot, deleted files) and
 * B's checks find it and get it repaired; a feed digest that does not match is CORRUPT,
 * fetched again once, then banned. A's published data survives A's budget shrinking to nothing.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir, rm, stat, open } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTickingAgent, type TickingAgent } from '../helpers/agent.js';
import { eventually, makeWorkDir } from '../helpers/world.js';
import { parseRssFeed } from '../../src/feeds/index.js';
import { openAgentState } from '../../src/agent/state.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { waitComplete } from '../../src/testkit/complete.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startSwarm, type Swarm, type SwarmDaemon } from '../../src/testkit/swarm.js';
import { makeDataset, sha256File, sha256Tree, type Dataset } from '../../src/testkit/torrents.js';
import type { AgentEvent } from '../../src/agent/events.js';

const run = promisify(execFile);
const PASSWORD = 'e2e-trust-secret-51c';
const ENV = { ...process.env, SMARTNODE_E2E_PASSWORD: PASSWORD };
const MB = 1_000_000;

interface Listed {
  hashString: string;
  name: string;
  percentDone: number;
  status: number;
  labels: string[];
  downloadDir: string;
  error: number;
}

describe('publish on node A, mirror and keep it right on node B, on a real swarm', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let swarm: Swarm;
  let server: FeedServer;
  let a: SwarmDaemon;
  let b: SwarmDaemon;
  let multi: Dataset;
  let single: Dataset;
  let liar: Dataset;
  const hashes: Record<string, string> = {};
  let outDir: string;
  let policyA: string;
  let policyB: string;
  let downloadB: string;
  let stateB: string;
  let agent: TickingAgent;
  const events: AgentEvent[] = [];

  const policy = (o: {
    daemon: SwarmDaemon;
    stateDir: string;
    downloadDir: string;
    maxBytes: number;
    reverifyEvery?: string;
  }) => `version: 1
node:
  stateDir: ${o.stateDir}
daemon:
  url: ${o.daemon.rpcUrl}
  username: ${o.daemon.username}
  passwordEnv: SMARTNODE_E2E_PASSWORD
storage:
  downloadDir: ${o.downloadDir}
  maxBytes: ${o.maxBytes}
  minFreeBytes: 0
feeds:
  - id: lab-a
    url: ${server.url}/a/feed.xml
    format: rss
scoring:
  targetSeeders: 4
  minSeedTime: 0s
intervals:
  tick: 5s
  feedRefresh: 10s
  scrape: 10s
announceProbe:
  enabled: false
integrity:
  reverifyEvery: ${o.reverifyEvery ?? '0'}
  readRate: 4 MB/s
publish:
  dir: ${outDir}
  baseUrl: ${server.url}/a/
  title: Lab A datasets
  announce: [${swarm.tracker.announceUrl}]
`;
  const list = async (d: SwarmDaemon): Promise<Listed[]> =>
    (
      await rpcCall(d, 'torrent-get', {
        fields: [
          'hashString',
          'name',
          'percentDone',
          'status',
          'labels',
          'downloadDir',
          'error',
          'errorString',
          'peersConnected',
          'trackerStats',
        ],
      })
    )['torrents'] as Listed[];
  const onB = async (name: string): Promise<Listed | undefined> => (await list(b)).find((t) => t.hashString === hashes[name]);
  const completeOnB = async (name: string): Promise<void> => {
    // At most 2.3 MB over a private bridge: seconds. The timeout names B's and A's state.
    await waitComplete(b, [hashes[name] as string], { what: `${name} complete on B`, timeoutMs: 60_000, sources: [a] });
    await eventually(`${name} seeding on B`, async () => {
      const t = await onB(name);
      if (t?.percentDone === 1 && t.status === 6) return true;
      throw new Error(`${name} on B: ${JSON.stringify(t ?? 'absent')}`);
    });
  };
  const integrityOf = (name: string) => agent.runtime.deps.state.integrity().get(hashes[name] as never);
  /**
   * Ticks until every named torrent's content check has a verdict (it hashes in the background,
   * at the read budget). Until then each stays stopped on B: never seeded as good unchecked.
   */
  const untilChecked = async (names: readonly string[]): Promise<void> => {
    const verdict = (name: string) =>
      ['DIGEST_OK', 'CORRUPT'].includes(integrityOf(name)?.last?.code ?? '') && integrityOf(name)?.digestCheck == null;
    await eventually(
      `the content checks of ${names.join(', ')}`,
      async () => {
        for (const name of names) {
          if (verdict(name)) continue;
          expect(integrityOf(name)?.digestCheck, `${name} awaits its check`).not.toBeNull();
          await eventually(`${name} stopped until its check passes`, async () => (await onB(name))?.status === 0, 5000, 50);
        }
        await agent.tick();
        return names.every(verdict);
      },
      60_000,
      250,
    );
  };
  const mirrored = (name: string, d: Dataset) => join(downloadB, hashes[name]!, d.name);

  /** Serves A's publish directory the way a web server would; `tamper` rewrites the feed text. */
  const serveA = async (tamper: (xml: string) => string = (x) => x): Promise<void> => {
    server.setRoute('/a/feed.xml', { body: tamper(await readFile(join(outDir, 'feed.xml'), 'utf8')), contentType: 'application/rss+xml' });
    for (const file of await readdir(join(outDir, 'torrents'))) {
      server.setRoute(`/a/torrents/${file}`, {
        body: new Uint8Array(await readFile(join(outDir, 'torrents', file))),
        contentType: 'application/x-bittorrent',
      });
    }
  };
  const publish = async (path: string): Promise<string> => {
    const { stdout } = await run('node', ['bin/smartnode.js', 'publish', path, '--policy', policyA, '--json'], {
      env: ENV,
      timeout: 60_000,
    });
    expect(stdout).not.toContain(PASSWORD);
    return (JSON.parse(stdout) as { published: { infoHash: string } }).published.infoHash;
  };

  beforeAll(async () => {
    work = await makeWorkDir('e2e-trust');
    swarm = await startSwarm({
      id: 190,
      seeders: 0,
      extraDaemons: 2,
      workDir: join(work.dir, 'swarm'),
      rpcUsername: 'volunteer',
      rpcPassword: PASSWORD,
      rechokeKicker: true,
    });
    [a, b] = swarm.daemons as [SwarmDaemon, SwarmDaemon];
    server = await startFeedServer({ host: '127.0.0.1' });
    outDir = join(work.dir, 'a-feed');
    const labData = join(work.dir, 'lab-data');
    multi = await makeDataset({
      dir: labData,
      name: 'worm-atlas',
      files: [
        { path: 'images/1.bin', sizeBytes: 1 * MB },
        { path: 'images/2.bin', sizeBytes: 700_000 },
        { path: 'README.txt', sizeBytes: 5_000 },
      ],
      seed: 11,
    });
    single = await makeDataset({ dir: labData, name: 'connectome', files: [{ path: 'connectome.csv', sizeBytes: 1.5 * MB }], seed: 12 });
    liar = await makeDataset({ dir: labData, name: 'misdescribed', files: [{ path: 'm.bin', sizeBytes: 300_000 }], seed: 13 });
    policyA = join(work.dir, 'a.yaml');
    policyB = join(work.dir, 'b.yaml');
    downloadB = join(work.dir, 'b-mirror');
    stateB = join(work.dir, 'b-state');
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(downloadB, { recursive: true });
    await mkdir(join(work.dir, 'a-mirror'), { recursive: true });
    await writeFile(
      policyA,
      policy({ daemon: a, stateDir: join(work.dir, 'a-state'), downloadDir: join(work.dir, 'a-mirror'), maxBytes: 10 * MB }),
    );
    await writeFile(policyB, policy({ daemon: b, stateDir: stateB, downloadDir: downloadB, maxBytes: 20 * MB }));
  }, 120_000);

  afterAll(async () => {
    await agent?.close();
    await server?.close().catch(() => undefined);
    await swarm?.stop();
    await work?.cleanup();
  }, 60_000);

  it('A publishes: a torrent seeded in place, recorded, and listed in RSS and JSON with its digest', async () => {
    hashes['multi'] = await publish(multi.contentPath);
    hashes['single'] = await publish(join(single.contentPath, 'connectome.csv'));
    hashes['liar'] = await publish(liar.contentPath);
    const onA = await list(a);
    for (const [key, d, dir] of [
      ['multi', multi, multi.dir],
      ['single', single, single.contentPath],
      ['liar', liar, liar.dir],
    ] as const) {
      const t = onA.find((x) => x.hashString === hashes[key]);
      expect(t, `${d.name} in A's daemon`).toMatchObject({ percentDone: 1, status: 6, labels: ['smartnode-published'], downloadDir: dir });
    }
    const feed = await parseRssFeed(await readFile(join(outDir, 'feed.xml'), 'utf8'), {
      format: 'rss',
      feedId: 'a',
      feedUrl: `${server.url}/a/feed.xml`,
      nowMs: Date.now(),
    });
    expect(feed.warnings).toEqual([]);
    const item = feed.items.find((i) => i.infoHash === hashes['single']);
    expect(item?.digests?.content.sha256).toBe(await sha256File(join(single.contentPath, 'connectome.csv')));
    expect(item).toMatchObject({
      name: 'connectome.csv',
      sizeBytes: 1.5 * MB,
      torrentUrl: `${server.url}/a/torrents/${hashes['single']}.torrent`,
    });
    const json = JSON.parse(await readFile(join(outDir, 'feed.json'), 'utf8')) as { torrents: { infohash: string; sha256: string }[] };
    expect(json.torrents.map((t) => t.infohash).sort()).toEqual(Object.values(hashes).sort());
    const { stdout } = await run('node', ['bin/smartnode.js', 'publish', '--list', '--policy', policyA], { env: ENV });
    for (const h of Object.values(hashes)) expect(stdout).toContain(h);
  }, 120_000);

  it("B mirrors A's feed: the bytes hash-match and the digest check passes; a digest that does not match is CORRUPT", async () => {
    // The feed lies about one dataset's content.
    await serveA((xml) =>
      xml.replace(
        new RegExp(`(<infohash>${hashes['liar']}</infohash>\\s*<size>\\d+</size>\\s*<sha256>)[0-9a-f]{64}`),
        `$1${'0'.repeat(64)}`,
      ),
    );
    agent = await startTickingAgent(policyB, ENV);
    agent.runtime.bus.subscribe((e) => events.push(e));
    const first = await agent.tick();
    expect(
      first.actions
        .filter((x) => x.kind === 'add')
        .map((x) => x.infoHash)
        .sort(),
    ).toEqual(Object.values(hashes).sort());
    for (const name of ['multi', 'single', 'liar']) await completeOnB(name);
    await agent.tick();
    // Complete, but each feed states a digest: stopped until the content check passes.
    for (const name of ['multi', 'single', 'liar']) {
      expect(integrityOf(name)).toMatchObject({ digestCheck: { failures: 0 }, heldForCheck: true, lastVerifiedAtMs: null });
      // The daemon answers torrent-stop before its session thread has stopped the torrent.
      await eventually(`${name} stopped for its content check`, async () => (await onB(name))?.status === 0, 10_000, 100);
    }
    await untilChecked(['multi', 'single', 'liar']);
    // Passed: started again and seeding.
    await eventually(
      'the checked torrents to seed again',
      async () => {
        await agent.tick();
        return (await onB('multi'))?.status === 6 && (await onB('single'))?.status === 6;
      },
      30_000,
      500,
    );
    expect(await sha256Tree(mirrored('multi', multi))).toEqual(await sha256Tree(multi.contentPath));
    expect(await sha256File(join(downloadB, hashes['single']!, 'connectome.csv'))).toBe(
      await sha256File(join(single.contentPath, 'connectome.csv')),
    );
    expect(integrityOf('multi')?.last).toMatchObject({ code: 'DIGEST_OK' });
    expect(integrityOf('single')?.last).toMatchObject({ code: 'DIGEST_OK' });
    const corrupt = integrityOf('liar')?.last;
    expect(corrupt).toMatchObject({
      code: 'CORRUPT',
      expected: `sha256:${'0'.repeat(64)}`,
      actual: `sha256:${await sha256File(join(liar.contentPath, 'm.bin'))}`,
    });
    expect(events.some((e) => e.type === 'integrity' && e.code === 'CORRUPT' && e.infoHash === hashes['liar'])).toBe(true);
    // Fetched again once: a fresh download into its own directory ...
    await completeOnB('liar');
    await agent.tick();
    await eventually(
      'the fresh copy of liar to be checked',
      async () => {
        await agent.tick();
        return agent.runtime.deps.state.bans().has(hashes['liar'] as never);
      },
      60_000,
      250,
    );
    // ... still wrong: banned, removed with its data, never kept as good.
    expect(await onB('liar')).toBeUndefined();
    expect(agent.runtime.deps.state.bans().has(hashes['liar'] as never)).toBe(true);
    expect(integrityOf('liar')?.last?.text).toMatch(/again after a fresh download: banned/);
    await eventually(
      'the corrupt data to be deleted',
      () =>
        stat(join(downloadB, hashes['liar']!, 'misdescribed')).then(
          () => false,
          () => true,
        ),
      10_000,
    );
  }, 1_200_000);

  it('bit rot in mirrored files: the scheduled check finds it, the daemon repairs it, the hashes match again', async () => {
    for (const path of [join(mirrored('multi', multi), 'images', '2.bin'), join(downloadB, hashes['single']!, 'connectome.csv')]) {
      const file = await open(path, 'r+');
      await file.write(Buffer.from('rotten bytes here'), 0, 17, 300_000);
      await file.close();
    }
    const { writeFile } = await import('node:fs/promises');
    await writeFile(policyB, policy({ daemon: b, stateDir: stateB, downloadDir: downloadB, maxBytes: 20 * MB, reverifyEvery: '1m' }));
    await agent.reload();
    agent.runtime.bus.subscribe((e) => events.push(e));
    // One verify at a time: each tick starts the next once the last one's check is over.
    const found = (name: string) => events.some((e) => e.type === 'integrity' && e.infoHash === hashes[name] && e.code === 'BAD_PIECES');
    await eventually(
      'both torrents to be found damaged',
      async () => {
        await agent.tick();
        return found('multi') && found('single');
      },
      120_000,
      1000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}; integrity: ${JSON.stringify(Object.fromEntries(agent.runtime.deps.state.integrity()))}`);
    });
    for (const name of ['multi', 'single']) await completeOnB(name);
    await eventually(
      'both repairs to be recorded',
      async () => {
        await agent.tick();
        return integrityOf('multi')?.last?.code === 'REPAIRED' && integrityOf('single')?.last?.code === 'REPAIRED';
      },
      30_000,
      1000,
    );
    for (const name of ['multi', 'single']) expect(integrityOf(name)?.last?.code).toBe('REPAIRED');
    expect(await sha256Tree(mirrored('multi', multi))).toEqual(await sha256Tree(multi.contentPath));
    expect(await sha256File(join(downloadB, hashes['single']!, 'connectome.csv'))).toBe(
      await sha256File(join(single.contentPath, 'connectome.csv')),
    );
  }, 1_200_000);

  it('deleted mirrored files are noticed on the next tick and fetched again', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(policyB, policy({ daemon: b, stateDir: stateB, downloadDir: downloadB, maxBytes: 20 * MB }));
    await agent.reload();
    agent.runtime.bus.subscribe((e) => events.push(e));
    await rm(join(mirrored('multi', multi), 'images', '1.bin'));
    await rm(join(downloadB, hashes['single']!, 'connectome.csv'));
    await agent.tick();
    for (const name of ['multi', 'single']) expect(integrityOf(name)?.last?.code).toBe('DATA_VANISHED');
    // The daemon's verify: part of a torrent gone is re-downloaded; all of it gone is "No data found", re-added.
    await eventually(
      'the vanished data to be handled',
      async () => {
        await agent.tick();
        return integrityOf('multi')?.repairing === true && integrityOf('single')?.last?.code === 'REFETCHED';
      },
      60_000,
      1000,
    );
    for (const name of ['multi', 'single']) await completeOnB(name);
    await agent.tick();
    expect(integrityOf('multi')?.last?.code).toBe('REPAIRED');
    // The fresh copy of single is checked against the feed's digest again before it seeds.
    await untilChecked(['single']);
    expect(integrityOf('single')?.last?.code).toBe('DIGEST_OK');
    expect((await onB('single'))?.downloadDir).toBe(join(downloadB, hashes['single']!));
    expect(await sha256Tree(mirrored('multi', multi))).toEqual(await sha256Tree(multi.contentPath));
    expect(await sha256File(join(downloadB, hashes['single']!, 'connectome.csv'))).toBe(
      await sha256File(join(single.contentPath, 'connectome.csv')),
    );
    const { stdout } = await run('node', ['bin/smartnode.js', 'explain', hashes['multi']!, '--policy', policyB], {
      env: ENV,
      timeout: 60_000,
    });
    expect(stdout).toMatch(/integrity: last verified .* ago; REPAIRED: the pieces found bad were downloaded again/);
  }, 1_200_000);

  it("A's published data survives A's budget shrinking to nothing, and withdraw keeps the data", async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(
      policyA,
      policy({ daemon: a, stateDir: join(work.dir, 'a-state'), downloadDir: join(work.dir, 'a-mirror'), maxBytes: 1 }),
    );
    const before = await sha256Tree(multi.contentPath);
    await run('node', ['bin/smartnode.js', 'run', '--once', '--policy', policyA], { env: ENV, timeout: 60_000 });
    const onA = await list(a);
    for (const h of Object.values(hashes)) expect(onA.find((t) => t.hashString === h)?.status, `published ${h} still seeding`).toBe(6);
    expect(await sha256Tree(multi.contentPath)).toEqual(before);
    const { stdout } = await run('node', ['bin/smartnode.js', 'publish', '--withdraw', hashes['liar']!, '--policy', policyA], { env: ENV });
    expect(stdout).toMatch(/withdrawn misdescribed/);
    expect((await list(a)).some((t) => t.hashString === hashes['liar'])).toBe(false);
    expect(await sha256File(join(liar.contentPath, 'm.bin'))).toMatch(/^[0-9a-f]{64}$/);
    expect(await readFile(join(outDir, 'feed.xml'), 'utf8')).not.toContain(hashes['liar']);
    const stateA = openAgentState(join(work.dir, 'a-state'));
    expect(
      stateA
        .published()
        .map((r) => r.infoHash)
        .sort(),
    ).toEqual([hashes['multi'], hashes['single']].sort());
    expect(stateA.owned()).toEqual([]);
  }, 120_000);
});
