/**
 * A crash leaves a valid agent state that owns nothing, while state.json.bak still owns six
 * torrents and the real transmission-daemon holds them, labelled, but reloaded into its own
 * default directory (as 3.00 does with a torrent whose resume file lost its location). The
 * next `smartnode run --once` trusts the backup over the emptied state: the six are owned again
 * and pointed back at their directories, none left behind as an orphan outside the budget.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAgentState } from '../../src/agent/state.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { publishCsvFeed, writeOneFeedPolicy } from '../helpers/one-feed.js';
import { makeWorkDir } from '../helpers/world.js';

const REPO = resolve(import.meta.dirname, '../..');

describe('an agent state emptied by a crash, with its backup intact', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let daemon: TestDaemon;
  let feeds: FeedServer;
  let policy = '';
  let hashes: string[] = [];

  beforeAll(async () => {
    work = await makeWorkDir('emptied-state');
    daemon = await startTestDaemon();
    feeds = await startFeedServer({ host: '127.0.0.1' });
    hashes = publishCsvFeed(
      feeds,
      Array.from({ length: 6 }, (_, i) => `kept-${i}`),
      { sizeBytes: 40_000 },
    );
    policy = await writeOneFeedPolicy({
      workDir: work.dir,
      daemonUrl: daemon.rpcUrl,
      username: daemon.username,
      passwordEnv: 'SN_EMPTIED_PASSWORD',
      feedUrl: `${feeds.url}/c.csv`,
      extra: 'intervals:\n  tick: 1h\n',
    });
  }, 60_000);

  afterAll(async () => {
    await feeds?.close();
    await daemon?.teardown();
    await work?.cleanup();
  });

  const runOnce = async (): Promise<string> => {
    const child = spawn(process.execPath, [join(REPO, 'bin/smartnode.js'), 'run', '--once', '--policy', policy, '--log-format', 'json'], {
      env: { ...process.env, SN_EMPTIED_PASSWORD: daemon.password },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code, output).toBe(0);
    return output;
  };
  const rows = async () =>
    (await rpcCall(daemon, 'torrent-get', { fields: ['hashString', 'labels', 'downloadDir'] }))['torrents'] as {
      hashString: string;
      labels: string[];
      downloadDir: string;
    }[];

  it('owns the six again from the backup and points them back home', async () => {
    // A newly seen feed is taken a few adds a tick (slow start): tick until all six are owned.
    for (let run = 0; run < 5 && openAgentState(join(work.dir, 'state')).owned().length < 6; run++) await runOnce();
    const statePath = join(work.dir, 'state', 'state.json');
    expect(openAgentState(join(work.dir, 'state')).owned()).toHaveLength(6);

    // The crash's aftermath: the daemon reloaded them into its default directory, and the
    // state file is valid but owns nothing; its backup still owns the six.
    for (const h of hashes) await rpcCall(daemon, 'torrent-set-location', { ids: [h], location: daemon.downloadDir, move: false });
    const state = JSON.parse(await readFile(statePath, 'utf8')) as { owned: Record<string, unknown> };
    await writeFile(statePath, JSON.stringify({ ...state, owned: {} }, null, '\t'));

    const output = await runOnce();
    expect(output).toContain('ownership restored from the backup');
    const after = openAgentState(join(work.dir, 'state'));
    expect(
      after
        .owned()
        .map((r) => `${r.infoHash} ${r.phase}`)
        .sort(),
    ).toEqual(hashes.map((h) => `${h} owned`).sort());
    for (const row of await rows()) {
      expect(row.labels).toContain('smartnode');
      expect(row.downloadDir).toBe(join(work.dir, 'mirror', row.hashString));
    }
  }, 120_000);
});
