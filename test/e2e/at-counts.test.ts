/**
 * A new node against a site that behaves like Academic Torrents: the built CLI (`smartnode run`)
 * with a real transmission-daemon reads a 40-item database.xml (no counts, no trackers) from the
 * test site, whose tracker answers a multi-hash scrape with one file and answers 429 with
 * Retry-After to any request closer than 1/rate to the one before. The agent runs until every
 * torrent has a live count (kept in the state dir, or the daemon's own for what it added); the
 * site counts every request and none came too soon. The API key, sent as the feed's cookie,
 * reaches the site only on the site's own requests and is written into no state or cache file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startAtSite, syntheticCatalogue, type AtSite, type AtTorrent } from '../../src/testkit/at-site.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { makeWorkDir } from '../helpers/world.js';

const RATE = 5;
const API_KEY = 'uid=4242;pass=0123456789abcdef0123456789abcdef';

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('smartnode run against an Academic Torrents-like site', () => {
  let daemon: TestDaemon;
  let site: AtSite;
  let work: { dir: string; cleanup: () => Promise<void> };
  let agent: ChildProcess | undefined;
  let catalogue: AtTorrent[] = [];
  const stateDir = (): string => join(work.dir, 'state');
  let log = '';

  beforeAll(async () => {
    work = await makeWorkDir('at-counts');
    daemon = await startTestDaemon();
    catalogue = syntheticCatalogue(40);
    site = await startAtSite({ host: '127.0.0.1', torrents: catalogue, ratePerSecond: RATE, retryAfterSeconds: 5, apiKey: API_KEY });
    for (const [i, t] of catalogue.entries()) site.setSwarm(t.infoHash, { seeders: i % 5, leechers: i % 2, completed: i });
    // The one entry that fits the 20 MB budget (4 MB, passkeyed) has a seeder: the agent adds it,
    // fetching its .torrent with the API key.
    site.setSwarm(catalogue[0]?.infoHash as AtTorrent['infoHash'], { seeders: 1, leechers: 3, completed: 0 });
    const downloadDir = join(work.dir, 'mirror');
    await mkdir(downloadDir, { recursive: true });
    const policyPath = join(work.dir, 'policy.yaml');
    await writeFile(
      policyPath,
      `version: 1
node: { stateDir: ${stateDir()} }
daemon: { url: ${daemon.rpcUrl}, username: ${daemon.username}, passwordEnv: AT_RPC_PASSWORD }
storage: { downloadDir: ${downloadDir}, maxBytes: 20 MB, minFreeBytes: 0 }
feeds:
  - id: at-all
    url: ${site.databaseUrl}
    format: rss
    cookieEnv: AT_API_KEY
    trackers: [${site.announceUrl}]
intervals: { tick: 5s, feedRefresh: 1h, scrape: 1h }
announceProbe: { enabled: false }
requestBudget: { perSite: 1, sites: { 127.0.0.1: ${RATE} } }
`,
    );
    agent = spawn('node', ['bin/smartnode.js', 'run', '--policy', policyPath], {
      env: { ...process.env, AT_RPC_PASSWORD: daemon.password, AT_API_KEY: API_KEY },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    agent.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
  }, 60_000);

  async function stopAgent(): Promise<void> {
    if (agent?.pid !== undefined && agent.exitCode === null) {
      const exited = new Promise((resolve) => agent?.once('exit', resolve));
      agent.kill('SIGTERM');
      await exited;
    }
  }

  afterAll(async () => {
    await stopAgent();
    await site?.close();
    await daemon?.teardown();
    await work?.cleanup();
  });

  it('counts every torrent within the budget, and keeps the API key out of every file', async () => {
    const started = Date.now();
    let counted = new Set<string>();
    let held = new Set<string>();
    const deadline = Date.now() + 90_000;
    for (;;) {
      const saved = await readFile(join(stateDir(), 'swarm-counts.json'), 'utf8').catch(() => '{"counts":{}}');
      counted = new Set(Object.keys((JSON.parse(saved) as { counts: Record<string, unknown> }).counts));
      const list = await rpcCall(daemon, 'torrent-get', { fields: ['hashString'] });
      held = new Set((list['torrents'] as Array<{ hashString: string }>).map((t) => t.hashString));
      const first = catalogue[0]?.infoHash ?? '';
      if (held.has(first) && catalogue.every((t) => counted.has(t.infoHash) || held.has(t.infoHash))) break;
      if (Date.now() > deadline || agent?.exitCode !== null) {
        throw new Error(`not every torrent counted: ${counted.size} counted, ${held.size} held; log:\n${log.slice(-3000)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const seconds = (Date.now() - started) / 1000;
    const ours = site.requests.filter((r) => !r.daemon);
    console.log(`40-item catalogue counted in ${seconds.toFixed(1)} s with ${ours.length} requests at ${RATE}/s; held ${held.size}`);

    // Nothing smartnode sent came sooner than the budget allows: the site refused nothing.
    expect(site.violations()).toBe(0);
    // The single-hash tracker was found out once: at most one multi-hash scrape ever.
    expect(ours.filter((r) => r.scrapeHashes > 1).length).toBeLessThanOrEqual(1);
    const saved = JSON.parse(await readFile(join(stateDir(), 'swarm-counts.json'), 'utf8')) as {
      trackers: { singleHash: string[] };
    };
    expect(saved.trackers.singleHash).toEqual([site.announceUrl]);

    // The passkeyed .torrent was fetched with the key; the key is in no file smartnode wrote.
    const downloads = ours.filter((r) => r.path.startsWith('/download/'));
    expect(downloads.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const r of downloads) expect(r.cookie).toBe(API_KEY);
    // Stopped first, so every file it writes (atomically, through temporary files) is complete.
    await stopAgent();
    for (const file of await filesUnder(stateDir())) {
      expect((await readFile(file)).includes(Buffer.from('0123456789abcdef0123456789abcdef')), file).toBe(false);
    }
    expect(log).not.toContain('0123456789abcdef0123456789abcdef');
  }, 120_000);
});
