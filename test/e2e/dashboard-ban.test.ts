/**
 * Banning in a small mirror, as a volunteer does it: the real agent (`smartnode run`) against a
 * real transmission-daemon, the real `smartnode dashboard` in tmux. Removing one of two owned
 * torrents is more than the donated maxEvictFraction, so the removal is held: the footer must
 * say so (not that it is being removed), `y` must confirm it even when other notices came
 * after, and `u` (and `smartnode unban`) must lift the ban.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlSocketPath, readAgentStatus } from '../../src/control/index.js';
import { aTorrentFile, expectedInfoHash } from '../../src/feeds/testing.js';
import type { StatusSnapshot } from '../../src/status/index.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { startTmux, type TmuxSession, waitForScreen } from '../helpers/tmux.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const execFileAsync = promisify(execFile);
const ROOT = process.cwd();
const SIZE = 40_000;
const PASSWORD = 'ban-secret-7781';
const env = { ...process.env, SN_BAN_PASSWORD: PASSWORD };
const DATASETS = ['tide-gauges', 'moth-counts', 'radio-bursts'].map((name, i) => {
  const spec = { name, length: SIZE + i, announce: 'http://127.0.0.1:1/announce' };
  return { name, hash: expectedInfoHash(spec), metainfo: aTorrentFile(spec) };
});

describe('ban, a held removal, confirm and unban in a real terminal', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let daemon: DaemonProcess;
  let server: FeedServer;
  let agent: ChildProcess | undefined;
  let agentOutput = '';
  let tmux: TmuxSession | undefined;
  let stateDir: string;

  const status = (): Promise<StatusSnapshot> => readAgentStatus(controlSocketPath(stateDir));
  const screenShows = (what: string | RegExp, timeoutMs = 20_000): Promise<string> =>
    waitForScreen(tmux!, what, { timeoutMs, context: () => `--- agent ---\n${agentOutput.slice(-3000)}` });

  /** Types a filter as a person does, each step seen on screen (keys in one chunk are one input). */
  async function filterTo(name: string): Promise<void> {
    await tmux!.literal('/');
    await screenShows('filter: _');
    await tmux!.literal(name);
    await screenShows(`filter: ${name}_`);
    await tmux!.keys('Enter');
    await screenShows(`filter "${name}"`);
  }
  const cli = async (...args: string[]): Promise<string> =>
    (await execFileAsync('node', ['bin/smartnode.js', ...args, '--state-dir', stateDir], { cwd: ROOT })).stdout;

  beforeAll(async () => {
    await execFileAsync('npm', ['run', 'build'], { cwd: ROOT });
    work = await makeWorkDir('dashboard-ban');
    stateDir = join(work.dir, 'state');
    daemon = await startDaemonProcess({
      configDir: join(work.dir, 'daemon'),
      downloadDir: join(work.dir, 'daemon-downloads'),
      bindAddress: '127.0.0.1',
      rpcPort: await findFreePort(),
      peerPort: await findFreePort(),
      username: 'volunteer',
      password: PASSWORD,
    });
    server = await startFeedServer({ host: '127.0.0.1' });
    for (const d of DATASETS) server.setTorrent(d.hash, d.metainfo);
    server.setRoute('/main.csv', {
      contentType: 'text/csv',
      body: `${[
        'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED',
        ...DATASETS.map((d, i) => `Dataset,${d.name},${d.hash},${SIZE + i},${i},2,3,1700000000,1700000000`),
      ].join('\n')}\n`,
    });
    const policyPath = join(work.dir, 'policy.yaml');
    // Room for two of the three; removing one of two is 50 %, over the 25 % the limits allow.
    await writeFile(
      policyPath,
      `version: 1
node:
  stateDir: ${stateDir}
daemon:
  url: ${daemon.rpcUrl}
  username: volunteer
  passwordEnv: SN_BAN_PASSWORD
storage:
  downloadDir: ${join(work.dir, 'mirror')}
  maxBytes: ${2 * SIZE + 10} B
  minFreeBytes: 0
feeds:
  - id: main
    url: ${server.url}/main.csv
intervals:
  tick: 2s
scoring:
  minSeedTime: 0s
limits:
  maxEvictFraction: 0.25
scrape:
  enabled: false
`,
    );
    agent = spawn('node', ['bin/smartnode.js', 'run', '--policy', policyPath, '--log-format', 'json'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (c: Buffer): void => {
      agentOutput = (agentOutput + c.toString()).slice(-20_000);
    };
    agent.stdout?.on('data', keep);
    agent.stderr?.on('data', keep);
    await eventually('two owned', async () => ((await status()).mirror?.owned.length === 2 ? true : undefined), 60_000).catch(
      (error: Error) => {
        throw new Error(`${error.message}\n--- agent ---\n${agentOutput.slice(-3000)}`);
      },
    );
  }, 180_000);

  afterAll(async () => {
    await tmux?.kill();
    if (agent !== undefined && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await daemon?.stop();
    await server?.close();
    await work?.cleanup();
  });

  it('b b holds the removal and says so; y confirms it; u lifts the ban; the CLI bans and unbans too', async () => {
    const victim = (await status()).mirror!.owned[0]!;
    tmux = await startTmux({
      name: `sn-ban-${process.pid}`,
      command: `node bin/smartnode.js dashboard --state-dir ${stateDir}`,
      columns: 120,
      rows: 30,
      cwd: ROOT,
    });
    await screenShows('u unban');
    await filterTo(victim.name);
    await tmux.literal('b');
    await screenShows('press b again');
    await tmux.literal('b');
    let screen = await screenShows('held until confirmed (y on the dashboard)');
    // The footer tells what happens: the removal waits; nothing claims it is under way.
    await eventually(
      'the ban to be answered',
      async () => ((await status()).bans.includes(victim.infoHash) ? true : undefined),
      10_000,
      100,
    );
    screen = await tmux.screen();
    expect(screen).not.toContain('removing it now');
    expect((await status()).mirror!.owned.map((o) => o.infoHash)).toContain(victim.infoHash);

    await tmux.literal('y');
    await screenShows('eviction confirmed');
    await eventually(
      'the banned torrent to be removed',
      async () => ((await status()).mirror!.owned.some((o) => o.infoHash === victim.infoHash) ? undefined : true),
      20_000,
      100,
    );

    // A banned torrent is no candidate; the decisions list keeps its removal, and u there lifts the ban.
    // (the filter holds across views)
    await tmux.literal('3');
    await screenShows(new RegExp(`remove +${victim.name}`));
    await tmux.literal('u');
    await screenShows(`unbanned ${victim.infoHash}`);
    await eventually('the ban to be lifted', async () => ((await status()).bans.length === 0 ? true : undefined), 10_000, 100);

    // The same from a shell.
    expect(await cli('ban', victim.infoHash)).toMatch(new RegExp(`^banned ${victim.infoHash}`));
    expect((await status()).bans).toEqual([victim.infoHash]);
    expect(await cli('unban', victim.infoHash)).toBe(`unbanned ${victim.infoHash}\n`);
    expect((await status()).bans).toEqual([]);
  }, 120_000);
});
