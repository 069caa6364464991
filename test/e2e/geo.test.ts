/**
 * Geography end to end on a real swarm (network slot 130): five seeding daemons in network
 * namespaces, a real tracker, the volunteer's daemon, a feed over HTTP. The policy's CIDR
 * override table gives the namespace hosts countries: seeders 0-2 in Germany, 3 in France, 4 in
 * Japan. Two candidates have three seeders each and the same size: "one-country" on seeders
 * 0, 1, 2 (all DE), "three-countries" on 0, 3, 4 (DE, FR, JP). The budget fits one. The agent
 * learns where the peers are by a real announce probe, picks the concentrated one, and says so.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { HISTORY_FILE } from '../../src/agent/history.js';
import { runTick } from '../../src/agent/tick.js';
import { main } from '../../src/cli/main.js';
import { buildRuntime } from '../../src/cli/runtime.js';
import { createScraper } from '../../src/swarm/index.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startSwarm, type Swarm } from '../../src/testkit/swarm.js';
import { makeDataset } from '../../src/testkit/torrents.js';
import { WORLD_FEED_PATH, renderAtRss, type WorldDataset } from '../../src/testkit/world.js';
import { makeWorkDir } from '../helpers/world.js';

const PASSWORD = 'geo-e2e-secret-71c';
const ENV = { ...process.env, SMARTNODE_GEO_PASSWORD: PASSWORD };
const MB = 1_000_000;

describe('geographic spread on a real swarm', () => {
  let swarm: Swarm;
  let feed: FeedServer;
  let work: { dir: string; cleanup: () => Promise<void> };
  const datasets: WorldDataset[] = [];

  beforeAll(async () => {
    work = await makeWorkDir('e2e-geo');
    swarm = await startSwarm({
      id: 130,
      seeders: 5,
      extraDaemons: 1,
      workDir: join(work.dir, 'swarm'),
      rpcUsername: 'volunteer',
      rpcPassword: PASSWORD,
    });
    feed = await startFeedServer({ host: '127.0.0.1' });
    const layout: [string, number[]][] = [
      ['one-country', [0, 1, 2]],
      ['three-countries', [0, 3, 4]],
    ];
    for (const [i, [name, seeders]] of layout.entries()) {
      const dataset = await makeDataset({
        dir: join(work.dir, 'datasets'),
        name,
        files: [{ path: `${name}.bin`, sizeBytes: 1 * MB }],
        seed: 40 + i,
      });
      const torrent = await swarm.seedTorrent(seeders, dataset);
      feed.setTorrent(torrent.infoHash, torrent.metainfo);
      datasets.push({ spec: { name, files: [], seeders: seeders.length }, dataset, torrent, infoHash: torrent.infoHash });
    }
    feed.setRoute(WORLD_FEED_PATH, { body: renderAtRss(datasets, feed.url), contentType: 'application/rss+xml; charset=utf-8' });
    const scraper = createScraper({ requestsPerSecond: 20, timeoutMs: 2000, now: Date.now });
    await swarm.waitFor(
      async () => {
        const outcome = await scraper.scrape(datasets.map((d) => ({ infoHash: d.infoHash, trackers: [swarm.tracker.announceUrl] })));
        return datasets.every((d) => outcome.results.get(d.infoHash)?.seeders === 3);
      },
      { timeoutMs: 30_000, what: 'the tracker to count three seeders of each' },
    );
  }, 180_000);

  afterAll(async () => {
    await feed?.close().catch(() => undefined);
    await swarm?.stop();
    await work?.cleanup();
  }, 60_000);

  it('picks the swarm whose seeders all sit in one country over an equal one spread over three, and says why', async () => {
    const volunteer = swarm.daemons[0];
    if (volunteer === undefined) throw new Error('no volunteer daemon');
    const country = ['DE', 'DE', 'DE', 'FR', 'JP'];
    const overrides = swarm.seeders.map((s, i) => `    - cidr: ${s.address}/32\n      country: ${country[i]}`).join('\n');
    const policyPath = join(work.dir, 'policy.yaml');
    const stateDir = join(work.dir, 'state');
    const downloadDir = join(work.dir, 'mirror');
    await writeFile(
      policyPath,
      `version: 1
node:
  stateDir: ${stateDir}
daemon:
  url: ${volunteer.rpcUrl}
  username: ${volunteer.username}
  passwordEnv: SMARTNODE_GEO_PASSWORD
storage:
  downloadDir: ${downloadDir}
  maxBytes: 1.5 MB
  minFreeBytes: 0
feeds:
  - id: geo
    url: ${feed.url}${WORLD_FEED_PATH}
    format: rss
scoring:
  minSeedTime: 0s
intervals:
  tick: 5s
  feedRefresh: 10s
  scrape: 10s
geo:
  overrides:
${overrides}
`,
    );
    const runtime = await buildRuntime({ policyPath, env: ENV });
    const events: AgentEvent[] = [];
    runtime.bus.subscribe((e) => events.push(e));
    const result = await runTick(runtime.deps, runtime.config, { dryRun: false, tick: 1 });

    const byName = new Map(result.plan.decisions.map((d) => [d.name, d]));
    const one = byName.get('one-country');
    const three = byName.get('three-countries');
    // Equal counts (three seeders; the probe itself may show as a leecher on both).
    expect(one?.components.seeders).toBe(3);
    expect(three?.components.seeders).toBe(3);
    expect(one?.components.leechers).toBe(three?.components.leechers);
    expect(one?.components.factors?.geo).toMatchObject({ countries: 1, topCountry: 'DE', knownPeers: 3, source: 'announce' });
    expect(three?.components.factors?.geo).toMatchObject({ countries: 3, knownPeers: 3, source: 'announce' });
    expect(one?.score).toBeGreaterThan(three?.score ?? Infinity);

    expect(result.actions.filter((a) => a.kind === 'add').map((a) => a.name)).toEqual(['one-country']);
    const added = events.find((e): e is Extract<AgentEvent, { type: 'action' }> => e.type === 'action' && e.kind === 'add');
    expect(added?.name).toBe('one-country');
    expect(added?.reason.text).toMatch(/peers all in one country \(DE\) on 1 continent/);
    expect(added?.reason.text).toMatch(/^3 seeders against a target of 5/);
    expect(three?.reason.code).toBe('NO_DISK_BUDGET');
    expect(events.filter((e) => e.type === 'probe-failed')).toEqual([]);

    // The daemon really got it, with our label.
    const answer = await rpcCall(volunteer, 'torrent-get', { fields: ['hashString', 'labels'] });
    const torrents = answer['torrents'] as { hashString: string; labels: string[] }[];
    expect(torrents.filter((t) => t.labels.includes('smartnode')).map((t) => t.hashString)).toEqual([datasets[0]?.infoHash]);
    // The scrape history the slow-download estimate reads is kept in the state dir.
    const history = JSON.parse(await readFile(join(stateDir, HISTORY_FILE), 'utf8')) as { torrents: Record<string, unknown[]> };
    expect(Object.keys(history.torrents).sort()).toEqual(datasets.map((d) => d.infoHash).sort());
  }, 120_000);

  it('`smartnode explain` prints the components with their sources, `plan` the top factors', async () => {
    const run = async (...args: string[]): Promise<{ code: number; out: string; err: string }> => {
      let out = '';
      let err = '';
      const sink = (write: (s: string) => void) =>
        new Writable({
          write(chunk, _enc, done) {
            write(String(chunk));
            done();
          },
        });
      const code = await main(['node', 'smartnode', ...args], {
        stdout: sink((s) => {
          out += s;
        }),
        stderr: sink((s) => {
          err += s;
        }),
        env: ENV,
      });
      return { code, out, err };
    };
    const policyPath = join(work.dir, 'policy.yaml');
    const explained = await run('explain', 'three-countries', '--policy', policyPath);
    expect(explained.err).toBe('');
    expect(explained.code).toBe(0);
    expect(explained.out).toContain(`three-countries (${datasets[1]?.infoHash})`);
    expect(explained.out).toMatch(
      new RegExp(
        /geography peers spread over 3 countries on 2 continents: concentration 0, continent gap 0\.333, /.source +
          /3 located, \d+ unknown; announce probe, \d+s ago/.source,
      ),
    );
    expect(explained.out).toMatch(/counts +3 seeders, \d+ leechers?, \d+ completed: scrape http:\/\/(?:10|172)\.\d+\.\d+\.1:\d+\/announce/);
    expect(explained.out).not.toContain(PASSWORD);
    const json = await run('explain', datasets[0]?.infoHash.slice(0, 10) ?? '', '--policy', policyPath, '--json');
    expect(JSON.parse(json.out)).toMatchObject({ schema: 'smartnode.explain/1', decision: { name: 'one-country', action: 'keep' } });
    const missing = await run('explain', 'no-such-torrent', '--policy', policyPath);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no candidate or held torrent matches "no-such-torrent"/);
    const plan = await run('plan', '--policy', policyPath);
    expect(plan.out).toMatch(/TOP FACTORS/);
    expect(plan.out).toMatch(/three-countries .*geo x1\.\d+/);
  }, 120_000);
});
