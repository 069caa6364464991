/**
 * An operator's view of a running agent, with the real parts: the built CLI (`smartnode run`)
 * drives a real transmission-daemon from a feed on a real local HTTP server; a real Prometheus
 * (Debian's package) scrapes its /metrics with a bearer token, and the test reads the series
 * back through Prometheus' HTTP API; a real HTTP receiver takes its webhooks, failing the first
 * with a 503 so the delivery has to retry; with the daemon stopped, both show it. No secret (RPC password, metrics token, webhook URL
 * or header) appears in anything the agent prints.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import {
  findFreePort,
  startPrometheus,
  startWebhookReceiver,
  type RunningPrometheus,
  type WebhookReceiver,
} from '../../src/testkit/index.js';
import { createRealTorrent, startTestDaemon, type RealTorrent, type TestDaemon } from '../helpers/daemon.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const runCli = async (args: string[]): Promise<string> =>
  (await promisify(execFile)('node', ['bin/smartnode.js', ...args], { timeout: 30_000 })).stdout;
const HEADER = 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED';
const METRICS_TOKEN = 'metrics-token-5f0a9c';
const HOOK_PATH = '/hooks/secret-path-77c1';
const HOOK_AUTH = 'Bearer hook-header-e3b0';

describe('metrics and webhooks of a running agent', () => {
  let daemon: TestDaemon;
  let feeds: FeedServer;
  let receiver: WebhookReceiver;
  let prometheus: RunningPrometheus;
  let work: { dir: string; cleanup: () => Promise<void> };
  let agent: ChildProcess | null = null;
  let agentOutput = '';
  let metricsPort = 0;
  const torrents: RealTorrent[] = [];

  beforeAll(async () => {
    work = await makeWorkDir('metrics');
    daemon = await startTestDaemon();
    feeds = await startFeedServer({ host: '127.0.0.1' });
    receiver = await startWebhookReceiver();
    for (let i = 0; i < 3; i++) {
      const t = await createRealTorrent({ root: work.dir, dataDir: join(work.dir, 'data'), withData: false, sizeBytes: 30_000 + i });
      feeds.setTorrent(t.infoHash, t.metainfo);
      torrents.push(t);
    }
    // MIRRORS is the seeder count: one torrent at the target of 2, one below, one at zero.
    const seeders = [2, 1, 0];
    const rows = torrents.map((t, i) => `Dataset,${t.name},${t.infoHash},${t.sizeBytes},${seeders[i]},3,10,1700000000,1700000000`);
    feeds.setRoute('/collection/ops.csv', { body: [HEADER, ...rows].join('\n'), contentType: 'text/csv' });
    const downloadDir = join(work.dir, 'mirror');
    await mkdir(downloadDir, { recursive: true });
    metricsPort = await findFreePort();
    const policyPath = join(work.dir, 'policy.yaml');
    await writeFile(
      policyPath,
      `version: 1
node:
  stateDir: ${join(work.dir, 'state')}
daemon:
  url: ${daemon.rpcUrl}
  username: ${daemon.username}
  passwordEnv: OPS_RPC_PASSWORD
storage:
  downloadDir: ${downloadDir}
  maxBytes: 1 GB
  minFreeBytes: 0
feeds:
  - id: ops
    url: ${feeds.url}/collection/ops.csv
    format: at-csv
scoring:
  targetSeeders: 2
  minSeedTime: 0s
intervals:
  tick: 2s
scrape:
  enabled: false
announceProbe:
  enabled: false
metrics:
  enabled: true
  port: ${metricsPort}
  bearerTokenEnv: OPS_METRICS_TOKEN
notify:
  webhooks:
    - name: ops
      urlEnv: OPS_WEBHOOK_URL
      headersEnv: { Authorization: OPS_WEBHOOK_AUTH }
  groupWindow: 1s
`,
    );
    receiver.script([503]);
    agent = spawn('node', ['bin/smartnode.js', 'run', '--policy', policyPath, '--log-format', 'json'], {
      env: {
        ...process.env,
        OPS_RPC_PASSWORD: daemon.password,
        OPS_METRICS_TOKEN: METRICS_TOKEN,
        OPS_WEBHOOK_URL: `${receiver.url}${HOOK_PATH}`,
        OPS_WEBHOOK_AUTH: HOOK_AUTH,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    agent.stdout?.on('data', (chunk: Buffer) => (agentOutput += chunk.toString()));
    agent.stderr?.on('data', (chunk: Buffer) => (agentOutput += chunk.toString()));
    prometheus = await startPrometheus({
      dir: join(work.dir, 'prometheus'),
      jobName: 'smartnode',
      targets: [{ address: `127.0.0.1:${metricsPort}`, instance: 'node-a' }],
      bearerToken: METRICS_TOKEN,
    });
  }, 90_000);

  afterAll(async () => {
    if (agent !== null && agent.exitCode === null) agent.kill('SIGKILL');
    await prometheus?.close();
    await receiver?.close();
    await feeds?.close();
    await daemon?.teardown().catch(() => undefined);
    await work?.cleanup();
  });

  const firstValue = (samples: { value: number }[]): number | undefined => samples[0]?.value;

  it('Prometheus scrapes the agent and reads the mirror, the feed, the daemon and the collection health back', async () => {
    const withOutput = (what: string) => `${what} (agent output: ${agentOutput.slice(-2000)})`;
    await eventually(
      withOutput('the agent listening'),
      async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status === 401,
      60_000,
    );
    // Prometheus scrapes with the token: the target is up.
    await prometheus.waitFor('up{job="smartnode",instance="node-a"}', (s) => firstValue(s) === 1, 30_000);
    // The two torrents below the target are added (the one at it needs no help); none can
    // finish: no peer has the data.
    await prometheus.waitFor('sum(smartnode_owned_torrents)', (s) => firstValue(s) === 2, 60_000);
    const owned = await prometheus.query('sum(smartnode_owned_bytes)');
    expect(firstValue(owned)).toBe((torrents[1]?.sizeBytes ?? 0) + (torrents[2]?.sizeBytes ?? 0));
    expect(firstValue(await prometheus.query('smartnode_budget_max_bytes'))).toBe(1e9);
    expect(firstValue(await prometheus.query('smartnode_daemon_up'))).toBe(1);
    const info = await prometheus.query('smartnode_daemon_info');
    expect(info[0]?.metric.version).toMatch(/^\d+\.\d+/);
    expect(firstValue(await prometheus.query('smartnode_feed_fetches_total{feed="ops",result="ok"}'))).toBeGreaterThanOrEqual(1);
    expect(firstValue(await prometheus.query('sum(smartnode_decisions_total{action="add"})'))).toBe(2);
    expect(firstValue(await prometheus.query('smartnode_ticks_total{result="ok"}'))).toBeGreaterThanOrEqual(1);
    expect(firstValue(await prometheus.query('process_resident_memory_bytes{job="smartnode"}'))).toBeGreaterThan(10e6);
    const build = await prometheus.query('smartnode_build_info');
    expect(build[0]?.metric.version).toBe('0.1.0');

    // Collection health: of 3 torrents, the one with 2 seeders is at the target (counting the
    // feed's mirrors), one is at zero; the README's fleet query gives the share of the bytes.
    expect(firstValue(await prometheus.query('smartnode_collection_torrents{feed="ops"}'))).toBe(3);
    expect(firstValue(await prometheus.query('smartnode_collection_at_target_torrents{feed="ops"}'))).toBe(1);
    expect(firstValue(await prometheus.query('smartnode_collection_zero_seeder_torrents{feed="ops"}'))).toBe(1);
    const fleet = await prometheus.query(
      '100 * sum by (feed) (smartnode_collection_at_target_bytes) / sum by (feed) (smartnode_collection_bytes)',
    );
    expect(fleet[0]?.value).toBeCloseTo((100 * (torrents[0]?.sizeBytes ?? 0)) / torrents.reduce((s, t) => s + t.sizeBytes, 0), 6);

    // `smartnode status` shows the same health, from the running agent's control socket.
    const status = await runCli(['status', '--state-dir', join(work.dir, 'state')]);
    expect(status).toContain("collection health (this node's view of the swarms):");
    expect(status).toMatch(/ops: 33% of 3 torrents and 33% of 90 kB at >= 2 seeders; 1 at zero/);

    // No per-torrent series by default, and no torrent name in any label.
    expect(await prometheus.query('{__name__=~"smartnode_torrent_(seeders|size_bytes|uploaded_bytes)"}')).toEqual([]);
    expect(firstValue(await prometheus.query('smartnode_torrent_series_omitted'))).toBe(2);
    const all = await prometheus.query('{job="smartnode"}');
    expect(JSON.stringify(all)).not.toContain('data-');
    const scrape = await prometheus.query('scrape_duration_seconds{job="smartnode"}');
    const series = await prometheus.query('scrape_samples_scraped{job="smartnode"}');
    const rss = await prometheus.query('process_resident_memory_bytes{job="smartnode"}');
    console.log(
      `metrics e2e: ${series[0]?.value} samples per scrape, scrape ${(1000 * (scrape[0]?.value ?? 0)).toFixed(1)} ms, ` +
        `agent RSS ${((rss[0]?.value ?? 0) / 1e6).toFixed(1)} MB`,
    );
  }, 150_000);

  it('the webhook got agent.started after a 503 (the delivery retried)', async () => {
    await receiver.waitFor((r) => r.some((x) => x.status === 200), 30_000, 'agent.started accepted');
    const first = receiver.received.slice(0, 2);
    expect(first.map((r) => r.status)).toEqual([503, 200]);
    expect(first.map((r) => r.body)).toEqual([first[0]?.body, first[0]?.body]);
    expect(first[1]?.body).toMatchObject({ event: 'agent.started', version: 1, data: { version: '0.1.0' } });
    expect(first[1]?.headers.authorization).toBe(HOOK_AUTH);
    expect(first[1]?.path).toBe(HOOK_PATH);
  });

  it('with the daemon stopped: Prometheus reads it down, and the webhook is told once', async () => {
    await daemon.stop();
    await prometheus.waitFor('smartnode_daemon_up', (s) => firstValue(s) === 0, 60_000);
    await receiver.waitFor(
      (r) => r.some((x) => (x.body as { event?: string }).event === 'daemon.unreachable'),
      30_000,
      'daemon.unreachable',
    );
    expect(firstValue(await prometheus.query('smartnode_ticks_total{result="failed"}'))).toBeGreaterThanOrEqual(1);
    const told = receiver.received.find((x) => (x.body as { event?: string }).event === 'daemon.unreachable');
    expect(told?.body).toMatchObject({ version: 1, data: { code: 'DAEMON_UNREACHABLE' } });
  }, 120_000);

  it('on SIGTERM the agent exits 0 after telling the webhook it stopped; no secret was printed', async () => {
    const exited = new Promise<number | null>((resolve) => agent?.once('exit', (code) => resolve(code)));
    agent?.kill('SIGTERM');
    expect(await exited).toBe(0);
    const events = receiver.received.filter((r) => r.status === 200).map((r) => (r.body as { event: string }).event);
    // One daemon.unreachable for the whole outage, however many ticks failed.
    expect(events).toEqual(['agent.started', 'daemon.unreachable', 'agent.stopped']);
    for (const secret of [daemon.password, METRICS_TOKEN, HOOK_PATH, 'secret-path', HOOK_AUTH, 'hook-header']) {
      expect(agentOutput).not.toContain(secret);
    }
    expect(agentOutput).toContain('metrics served at http://127.0.0.1:');
  }, 60_000);
});
