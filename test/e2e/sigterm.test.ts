/**
 * SIGTERM to the real `smartnode run` binary, against a real transmission-daemon 3.00 and a
 * feed whose .torrent host answers slowly (1.5 s a file, and the site's request budget takes
 * them one at a time, so an add tick of twelve takes many seconds). The bound is the daemon call
 * under way: every request waiting for or using a site's budget is abandoned at once (asserted
 * under 5 s here, at any moment):
 * - in the middle of the add tick the add under way finishes and no other starts;
 * - during start-up, as soon as the process can take a signal (its handlers come before
 *   smartnode's modules load), it exits 0 having done nothing;
 * - while the feed hangs (it would answer only after the 30 s fetch timeout) it exits 0 at once.
 * Each exits 0 (what systemd expects of a stop), and the next start converges: every torrent
 * added, owned, labelled, in its own directory, no add left half-done.
 */
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAgentState } from '../../src/agent/state.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { waitFor } from '../../src/testkit/swarm.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { publishCsvFeed, writeOneFeedPolicy } from '../helpers/one-feed.js';
import { makeWorkDir } from '../helpers/world.js';

const REPO = resolve(import.meta.dirname, '../..');
const COUNT = 12;
const SIZE = 40_000;
const TORRENT_DELAY_MS = 1500;
const STOP_BOUND_MS = 5000;
describe('SIGTERM to smartnode run', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let daemon: TestDaemon;
  let feeds: FeedServer;
  let policy: string;
  const hashes: string[] = [];
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, SN_SIGTERM_PASSWORD: daemon.password });

  beforeAll(async () => {
    work = await makeWorkDir('sigterm');
    daemon = await startTestDaemon();
    feeds = await startFeedServer({ host: '127.0.0.1' });
    hashes.push(
      ...publishCsvFeed(
        feeds,
        Array.from({ length: COUNT }, (_, i) => `slow-${i}`),
        { sizeBytes: SIZE, torrentDelayMs: TORRENT_DELAY_MS },
      ),
    );
    policy = await writeOneFeedPolicy({
      workDir: work.dir,
      daemonUrl: daemon.rpcUrl,
      username: daemon.username,
      passwordEnv: 'SN_SIGTERM_PASSWORD',
      feedUrl: `${feeds.url}/c.csv`,
      extra: 'intervals:\n  tick: 1h\n',
    });
  }, 60_000);

  afterAll(async () => {
    await feeds?.close();
    await daemon?.teardown();
    await work?.cleanup();
  });

  const start = (args: readonly string[], options: { onStderr?: (chunk: string) => void; extraEnv?: NodeJS.ProcessEnv } = {}) => {
    const argv = [join(REPO, 'bin/smartnode.js'), 'run', '--policy', policy, '--log-format', 'json', ...args];
    const child = spawn(process.execPath, argv, {
      env: { ...env(), ...options.extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    const onStderr = options.onStderr ?? ((chunk: string) => (output += chunk));
    child.stderr.on('data', (c: Buffer) => onStderr(c.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    // A process that outlives the bound is killed, and the test fails with what it printed.
    const exitedWithin = async (ms: number): Promise<number | null | 'still running'> => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'still running'>((done) => {
        timer = setTimeout(() => done('still running'), ms);
      });
      const outcome = await Promise.race([exited, late]);
      clearTimeout(timer);
      if (outcome === 'still running') child.kill('SIGKILL');
      return outcome;
    };
    return { child, exitedWithin, output: () => output };
  };
  const held = async (): Promise<string[]> =>
    ((await rpcCall(daemon, 'torrent-get', { fields: ['hashString'] }))['torrents'] as { hashString: string }[]).map((t) => t.hashString);

  it('stops after the add under way in a long add tick, within the bound, and the next start converges', async () => {
    const run = start([]);
    await waitFor(async () => (await held()).length >= 1, { timeoutMs: 30_000, intervalMs: 50, what: 'the first add' });
    const addedAtSignal = (await held()).length;
    const sentAt = Date.now();
    run.child.kill('SIGTERM');
    const code = await run.exitedWithin(STOP_BOUND_MS);
    const stopMs = Date.now() - sentAt;
    expect(code, run.output()).toBe(0);
    expect(stopMs).toBeLessThan(STOP_BOUND_MS);
    const addedBeforeStop = (await held()).length;
    // At most the add under way: the next .torrent files arrive 1.5 s later, after the signal.
    expect(addedBeforeStop).toBeLessThanOrEqual(addedAtSignal + 1);
    const state = openAgentState(join(work.dir, 'state'));
    expect(state.owned().filter((r) => r.phase !== 'owned')).toEqual([]);

    // The next starts converge; slow start takes 4, 8, then 16 needy torrents a tick.
    for (let run = 0; run < 3 && (await held()).length < COUNT; run++) {
      const again = start(['--once']);
      expect(await again.exitedWithin(60_000), again.output()).toBe(0);
    }
    expect((await held()).sort()).toEqual([...hashes].sort());
    const after = openAgentState(join(work.dir, 'state'));
    expect(
      after
        .owned()
        .map((r) => `${r.infoHash} ${r.phase}`)
        .sort(),
    ).toEqual(hashes.map((h) => `${h} owned`).sort());
    const rows = (await rpcCall(daemon, 'torrent-get', { fields: ['hashString', 'labels', 'downloadDir'] }))['torrents'] as {
      hashString: string;
      labels: string[];
      downloadDir: string;
    }[];
    for (const row of rows) {
      expect(row.labels).toContain('smartnode');
      expect(row.downloadDir).toBe(join(work.dir, 'mirror', row.hashString));
    }
    console.log(`SIGTERM mid-tick: exited 0 in ${stopMs} ms with ${addedBeforeStop} of ${COUNT} added; the next run added the rest`);
  }, 120_000);

  it("during start-up, while smartnode's modules load: exits 0 within the bound having done nothing", async () => {
    const before = (await held()).length;
    // Node's module-loading diagnostics say when the executable's first lines have run and
    // smartnode's own modules begin to load: the signal arrives in the middle of start-up.
    let loading: () => void = () => undefined;
    const loadingStarted = new Promise<void>((resolve) => (loading = resolve));
    let diagnostics = '';
    const run = start([], {
      extraEnv: { NODE_DEBUG: 'esm' },
      onStderr: (chunk) => {
        diagnostics = (diagnostics + chunk).slice(-4096);
        if (diagnostics.includes('/dist/cli/main.js')) loading();
      },
    });
    await loadingStarted;
    const sentAt = Date.now();
    run.child.kill('SIGTERM');
    const code = await run.exitedWithin(STOP_BOUND_MS);
    const stopMs = Date.now() - sentAt;
    expect(code, run.output()).toBe(0);
    expect(run.output()).toMatch(/SIGTERM during start-up: stopping before the first tick/);
    expect(run.output()).not.toMatch(/"event":"(daemon-connected|planned|action)"/);
    expect((await held()).length).toBe(before);
    console.log(`SIGTERM during start-up: exited 0 in ${stopMs} ms`);
  }, 60_000);

  it('while the feed hangs: exits 0 within the bound, and the next start converges when the feed is back', async () => {
    const csv = feeds.requests.length;
    const body = await (await fetch(`${feeds.url}/c.csv`)).text();
    // The feed answers only after the fetch timeout (30 s): without the stop, the tick waits it out.
    feeds.setRoute('/c.csv', { contentType: 'text/csv', body, delayMs: 120_000 });
    const run = start([]);
    await waitFor(async () => feeds.requests.slice(csv + 1).some((r) => r.path === '/c.csv'), {
      timeoutMs: 30_000,
      intervalMs: 20,
      what: 'the feed request',
    });
    const sentAt = Date.now();
    run.child.kill('SIGTERM');
    const code = await run.exitedWithin(STOP_BOUND_MS);
    const stopMs = Date.now() - sentAt;
    expect(code, run.output()).toBe(0);
    expect(run.output()).not.toMatch(/"event":"(feed-failed|tick-failed)"/);

    feeds.setRoute('/c.csv', { contentType: 'text/csv', body });
    const again = start(['--once']);
    expect(await again.exitedWithin(60_000), again.output()).toBe(0);
    expect((await held()).sort()).toEqual([...hashes].sort());
    console.log(`SIGTERM during a hung feed fetch: exited 0 in ${stopMs} ms; the next run converged`);
  }, 120_000);
});
