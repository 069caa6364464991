/**
 * The real `smartnode run` with its wall clock stepped by libfaketime (the daemon's clock is
 * not), against a real transmission-daemon 3.00 holding downloads that cannot progress (their
 * tracker is a closed port). A step back an hour does not stop feed refreshes; a step forward
 * two days removes nothing; a download that really stalls is removed as STALLED, not BANNED.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { waitFor } from '../../src/testkit/swarm.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { publishCsvFeed, writeOneFeedPolicy } from '../helpers/one-feed.js';
import { makeWorkDir } from '../helpers/world.js';

const REPO = resolve(import.meta.dirname, '../..');
/** Debian's libfaketime (package libfaketime, installed with faketime by scripts/setup.mjs). */
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1';

interface LogLine {
  event?: string;
  kind?: string;
  reason?: string;
  infoHash?: string;
}

describe('a wall clock stepped under smartnode run', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let daemon: TestDaemon;
  let feeds: FeedServer;
  let policy = '';
  let child: ChildProcess | undefined;
  let output = '';
  const names = ['still-a', 'still-b', 'still-c', 'late-d'];
  let hashes: string[] = [];
  const fakeTimeFile = () => join(work.dir, 'faketime');
  const lines = (): LogLine[] =>
    output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  const ticksDone = () => lines().filter((l) => l.event === 'tick-finished').length;
  const owned = async (): Promise<string[]> =>
    ((await rpcCall(daemon, 'torrent-get', { fields: ['hashString', 'labels'] }))['torrents'] as { hashString: string; labels: string[] }[])
      .filter((t) => t.labels.includes('smartnode'))
      .map((t) => t.hashString)
      .sort();
  const moreTicks = async (n: number, what: string) => {
    const target = ticksDone() + n;
    await waitFor(async () => ticksDone() >= target, { timeoutMs: 30_000, intervalMs: 100, what: `${n} more ticks ${what}` });
  };
  const policyWith = async (stalledAfter: string): Promise<string> => {
    const path = await writeOneFeedPolicy({
      workDir: work.dir,
      daemonUrl: daemon.rpcUrl,
      username: daemon.username,
      passwordEnv: 'SN_CLOCK_PASSWORD',
      feedUrl: `${feeds.url}/c.csv`,
      extra: 'intervals: { tick: 1s, feedRefresh: 10s }\nlimits: { maxEvictFraction: 1 }\n',
    });
    const text = (await readFile(path, 'utf8')).replace(
      'scoring:\n',
      `scoring:\n  availability: { noSourceShare: 1, stalledAfter: ${stalledAfter}, backoff: 1h }\n`,
    );
    await writeFile(path, text);
    return path;
  };

  beforeAll(async () => {
    if (!existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} is missing: run scripts/setup.mjs (it installs the faketime package)`);
    work = await makeWorkDir('clock-step');
    daemon = await startTestDaemon();
    feeds = await startFeedServer({ host: '127.0.0.1' });
    hashes = publishCsvFeed(feeds, names.slice(0, 3), { sizeBytes: 40_000 });
    policy = await policyWith('1h');
    await writeFile(fakeTimeFile(), '+0\n');
  }, 60_000);

  afterAll(async () => {
    child?.kill('SIGKILL');
    await feeds?.close();
    await daemon?.teardown();
    await work?.cleanup();
  });

  it('refreshes feeds after a step back, removes nothing on a step forward, and names a real stall STALLED', async () => {
    child = spawn(process.execPath, [join(REPO, 'bin/smartnode.js'), 'run', '--policy', policy, '--log-format', 'json'], {
      env: {
        ...process.env,
        SN_CLOCK_PASSWORD: daemon.password,
        LD_PRELOAD: LIBFAKETIME,
        FAKETIME_TIMESTAMP_FILE: fakeTimeFile(),
        FAKETIME_NO_CACHE: '1',
        // A wall-clock step leaves the monotonic clock alone, as the kernel does.
        DONT_FAKE_MONOTONIC: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
    await waitFor(async () => (await owned()).length === 3, { timeoutMs: 30_000, intervalMs: 200, what: 'the three adds' });
    expect(await owned()).toEqual([...hashes].sort());
    await moreTicks(3, 'before any step');

    // Back an hour: the feed, fetched "in the future", is fetched again at its interval.
    await writeFile(fakeTimeFile(), '-1h\n');
    const [late] = publishCsvFeed(feeds, names, { sizeBytes: 40_000 }).slice(3);
    const steppedBackAt = Date.now();
    await waitFor(async () => (await owned()).includes(late ?? ''), {
      timeoutMs: 40_000,
      intervalMs: 200,
      what: `the feed's new torrent added after the clock went back an hour\n${output.slice(-2000)}`,
    });
    const refreshMs = Date.now() - steppedBackAt;

    // Forward two days (49 h from where it was): no download is taken for stalled, none for banned.
    await writeFile(fakeTimeFile(), '+2d\n');
    await moreTicks(6, 'after the step forward');
    expect(lines().filter((l) => l.event === 'action' && l.kind === 'remove')).toEqual([]);
    expect(await owned()).toHaveLength(4);

    // A stall that really lasts (6 s of 1 s ticks) removes them, each logged as STALLED.
    await policyWith('6s');
    // The daemon may drop the last torrent before the agent's log line about it is written: wait for both.
    const removals = () => lines().filter((l) => l.event === 'action' && l.kind === 'remove');
    await waitFor(async () => (await owned()).length === 0 && removals().length >= 4, {
      timeoutMs: 40_000,
      intervalMs: 200,
      what: `the stalled removals\n${output.slice(-2000)}`,
    });
    expect(removals().map((l) => l.reason)).toEqual(['STALLED', 'STALLED', 'STALLED', 'STALLED']);
    console.log(`clock steps: the feed refreshed ${refreshMs} ms after a step back of 1 h; 6 ticks after +49 h removed nothing`);
  }, 180_000);
});
