/**
 * The dashboard as a person uses it: a real agent (`smartnode run`, the built binary) against a
 * real transmission-daemon on 127.0.0.1 with a feed from a real HTTP server, and the real
 * `smartnode dashboard` binary in a real terminal (tmux). Keys are typed, the screen is read.
 * No peers are needed: the torrents are added and never complete.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlSocketPath, readAgentStatus } from '../../src/control/index.js';
import type { StatusSnapshot } from '../../src/status/index.js';
import { aTorrentFile, expectedInfoHash } from '../../src/feeds/testing.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { startTmux, type TmuxSession, waitForScreen } from '../helpers/tmux.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const execFileAsync = promisify(execFile);
const ROOT = process.cwd();
const PASSWORD = 'dashboard-secret-42';
const TICK_MS = 2000;
const SIZE = 40_000;

const DATASETS = ['ocean-temps', 'bird-songs', 'seismic-traces', 'genome-reads', 'arxiv-abstracts'].map((name, i) => {
  const spec = { name, length: SIZE + i, announce: 'http://127.0.0.1:1/announce' };
  return { name, hash: expectedInfoHash(spec), metainfo: aTorrentFile(spec), seeders: i };
});

describe('smartnode dashboard in a real terminal', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let daemon: DaemonProcess;
  let server: FeedServer;
  let agent: ChildProcess | undefined;
  let agentOutput = '';
  let tmux: TmuxSession | undefined;
  let policyPath: string;
  let stateDir: string;
  const env = { ...process.env, SN_DASH_PASSWORD: PASSWORD };

  function startAgent(): ChildProcess {
    const child = spawn('node', ['bin/smartnode.js', 'run', '--policy', policyPath, '--log-format', 'json'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (c: Buffer) => {
      agentOutput = (agentOutput + c.toString()).slice(-20_000);
    });
    child.stderr?.on('data', (c: Buffer) => {
      agentOutput = (agentOutput + c.toString()).slice(-20_000);
    });
    agent = child;
    return child;
  }
  async function stopAgent(): Promise<void> {
    const child = agent;
    agent = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  const status = (): Promise<StatusSnapshot> => readAgentStatus(controlSocketPath(stateDir));
  const screenShows = (what: string | RegExp, timeoutMs = 20_000): Promise<string> =>
    waitForScreen(tmux!, what, { timeoutMs, context: () => `--- agent ---\n${agentOutput.slice(-3000)}` });

  beforeAll(async () => {
    await execFileAsync('npm', ['run', 'build'], { cwd: ROOT }); // the binaries under test run from dist/
    work = await makeWorkDir('dashboard');
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
        ...DATASETS.map((d, i) => `Dataset,${d.name},${d.hash},${SIZE + i},${d.seeders},2,3,1700000000,1700000000`),
      ].join('\n')}\n`,
    });
    policyPath = join(work.dir, 'policy.yaml');
    // Room for three of the five: two stay candidates with the planner's reason.
    await writeFile(
      policyPath,
      `version: 1
node:
  stateDir: ${stateDir}
daemon:
  url: ${daemon.rpcUrl}
  username: volunteer
  passwordEnv: SN_DASH_PASSWORD
storage:
  downloadDir: ${join(work.dir, 'mirror')}
  maxBytes: ${3 * SIZE + 10} B
  minFreeBytes: 0
feeds:
  - id: main
    url: ${server.url}/main.csv
intervals:
  tick: ${TICK_MS / 1000}s
scoring:
  minSeedTime: 0s
scrape:
  enabled: false
`,
    );
    startAgent();
    await eventually(
      'the agent to finish a tick with three owned',
      async () => {
        const s = await status();
        return s.mirror !== null && s.mirror.owned.length === 3 ? s : undefined;
      },
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    await tmux?.kill();
    await stopAgent();
    await daemon?.stop();
    await server?.close();
    await work?.cleanup();
  });

  it('without a terminal it says so and exits non-zero', async () => {
    const result = await execFileAsync('node', ['bin/smartnode.js', 'dashboard', '--state-dir', stateDir], { cwd: ROOT, env }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('needs an interactive terminal');
  });

  it('status prints the agent, its mirror with reasons, as text and JSON', async () => {
    const text = (await execFileAsync('node', ['bin/smartnode.js', 'status', '--policy', policyPath], { cwd: ROOT, env })).stdout;
    expect(text).toMatch(/^node [0-9a-f-]{36}$/m);
    expect(text).toMatch(/daemon: connected to transmission-daemon \d/);
    expect(text).toContain('mirror: 3 owned');
    expect(text).toMatch(/best candidates \(2 not held\)/);
    const json = JSON.parse(
      (await execFileAsync('node', ['bin/smartnode.js', 'status', '--state-dir', stateDir, '--json'], { cwd: ROOT, env })).stdout,
    ) as StatusSnapshot;
    expect(json.mirror?.owned).toHaveLength(3);
    expect(json.mirror?.candidates.every((c) => c.reason.text.length > 0)).toBe(true);
    expect(JSON.stringify(json)).not.toContain(PASSWORD);
  });

  it('shows, switches views, pins, pauses, survives 60 columns and the agent going away', async () => {
    const first = await status();
    tmux = await startTmux({
      name: `sn-dash-${process.pid}`,
      command: `node bin/smartnode.js dashboard --state-dir ${stateDir}`,
      columns: 80,
      rows: 24,
      cwd: ROOT,
    });

    // What a person sees first: who, what state, the mirror, the keys.
    let screen = await screenShows(`node ${first.nodeId.slice(0, 8)}`);
    screen = await screenShows('1 Mirror 3');
    expect(screen).toMatch(/daemon \d\.\d+ ok/);
    expect(screen).toContain('q quit');
    const owned = first.mirror!.owned.map((o) => o.name);
    expect(owned.some((n) => screen.includes(n))).toBe(true);

    // Views switch.
    await tmux.keys('2');
    await screenShows('why not chosen');
    // The agent keeps ticking: the view must list the candidates it holds not as of now.
    await eventually(
      'the candidates view to list every candidate the agent holds not',
      async () => {
        const notHeld = ((await status()).mirror?.candidates ?? []).map((c) => c.name);
        const text = await tmux!.screen();
        return notHeld.length > 0 && notHeld.every((name) => text.includes(name)) ? true : undefined;
      },
      20_000,
      100,
    );
    await tmux.keys('3');
    screen = await screenShows(/\d\d:\d\d:\d\d add +\S+: /);
    await tmux.keys('4');
    await screenShows('main: 5 items');
    await tmux.keys('Tab');
    await screenShows(/name +feed +size/);

    // Pin the row under the cursor: it shows on screen and lands in agent state (state.json).
    await tmux.keys('Down', 'p');
    screen = await screenShows(/^\s*\* \S+/m);
    const pinnedName = /^\s*\* (\S+)/m.exec(screen)![1]!.replace(/…$/, '');
    const stateFile = JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as { pins: string[] };
    expect(stateFile.pins).toHaveLength(1);
    const pinnedHash = first.mirror!.owned.find((o) => o.name.startsWith(pinnedName))?.infoHash;
    expect(stateFile.pins).toEqual([pinnedHash]);
    expect((await status()).pins).toEqual([pinnedHash]);

    // Details of the selected torrent: the planner's reason code and the score components.
    await tmux.keys('Enter');
    screen = await screenShows(/planner: keep \[(PINNED|KEPT)\]/);
    expect(screen).toMatch(/score \S+\/GB = need/);
    // Escape closes the details; the next key waits for that: an Escape and a key read together
    // by a busy dashboard are one Alt+key to the terminal parser, and the details would stay open.
    await tmux.keys('Escape');
    await screenShows(/name +feed +size/);

    // Pause stops ticks.
    await tmux.keys('Space');
    await screenShows('PAUSED');
    const pausedAt = (await status()).agent.tick;
    expect((await status()).paused).toBe(true);
    await tmux.keys('t');
    await screenShows('the agent is paused');
    await new Promise((r) => setTimeout(r, 3 * TICK_MS)); // three tick intervals with nothing to poll for: no tick may start
    expect((await status()).agent.tick).toBe(pausedAt);
    await tmux.keys('Space');
    await screenShows(/running next tick/);
    await eventually('ticks to resume', async () => ((await status()).agent.tick > pausedAt ? true : undefined), 15_000, 100);

    // A 60-column terminal: still drawn, nothing wider, the keys still listed.
    await tmux.resize(60, 24);
    screen = await screenShows(/^t tick now/m);
    for (const line of screen.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(screen).toContain('1 Mirror 3');
    expect(await tmux.isAlive()).toBe(true);
    await tmux.resize(80, 24);

    // The agent goes away: the dashboard says so, and reconnects when it is back.
    await stopAgent();
    await screenShows('agent unreachable');
    startAgent();
    await eventually(
      'the dashboard to reconnect',
      async () => {
        const text = await tmux!.screen();
        return !text.includes('agent unreachable') && /running next tick|TICKING/.test(text) ? true : undefined;
      },
      30_000,
      100,
    );
    await eventually('the pin to survive the restart', async () => ((await status()).pins.includes(pinnedHash!) ? true : undefined));

    // Ban an owned torrent (b asks, a second b bans): it leaves the daemon at once, with the
    // planner's BANNED reason, and is never mirrored again. Each key waits for the screen to
    // show the one before it took effect, as a person typing would.
    await tmux.keys('1');
    screen = await screenShows(/name +feed +size/);
    await tmux.keys('g');
    // The restarted agent lists its mirror after its first tick.
    const mirror = await eventually('the restarted agent to list its mirror', async () => (await status()).mirror ?? undefined);
    const unpinned = mirror.owned.map((o) => o.name).find((n) => !n.startsWith(pinnedName))!;
    await tmux.keys('/');
    await screenShows('filter: _');
    await tmux.literal(unpinned);
    await screenShows(`filter: ${unpinned}_`);
    await tmux.keys('Enter');
    await screenShows(`filter "${unpinned}"`);
    await tmux.keys('b');
    await screenShows('press b again to ban');
    await tmux.keys('b');
    const bannedHash = DATASETS.find((d) => d.name === unpinned)!.hash;
    await eventually(
      'the banned torrent to leave the daemon',
      async () => {
        const s = await status();
        return s.bans.includes(bannedHash as never) && !s.mirror!.owned.some((o) => o.infoHash === bannedHash) ? true : undefined;
      },
      20_000,
      100,
    ).catch(async (error: unknown) => {
      const s = await status();
      const seen = JSON.stringify({ bans: s.bans, owned: s.mirror?.owned.map((o) => [o.name, o.action, o.reason.code]) });
      throw new Error(
        `${(error as Error).message}\n--- screen ---\n${await tmux!.screen()}\n--- status ---\n${seen}\n` +
          `--- agent ---\n${agentOutput.slice(-3000)}`,
      );
    });
    await tmux.keys('Escape');
    await eventually('the filter to clear', async () => (!(await tmux!.screen()).includes(`filter "${unpinned}"`) ? true : undefined));
    await tmux.keys('3');
    screen = await screenShows(`remove  ${unpinned}: banned by the owner`);
    const later = (await status()).agent.tick;
    await eventually('two more ticks', async () => ((await status()).agent.tick >= later + 2 ? true : undefined), 20_000, 100);
    expect((await status()).mirror!.owned.some((o) => o.infoHash === bannedHash)).toBe(false);
    expect((JSON.parse(await readFile(join(stateDir, 'state.json'), 'utf8')) as { bans: string[] }).bans).toEqual([bannedHash]);

    // Quitting detaches; the agent keeps running.
    await tmux.keys('q');
    await eventually('the dashboard to exit', async () => (!(await tmux!.isAlive()) ? true : undefined), 10_000, 100);
    expect(agent?.exitCode).toBeNull();
    const after = await status();
    await eventually(
      'the agent to keep ticking',
      async () => ((await status()).agent.tick > after.agent.tick ? true : undefined),
      15_000,
      100,
    );
    await tmux.kill();
    tmux = undefined;
  }, 180_000);

  it('run --dashboard: the agent and the dashboard in one terminal, logs in a file, q stops the agent', async () => {
    await stopAgent();
    const logPath = join(stateDir, 'smartnode.log');
    tmux = await startTmux({
      name: `sn-run-${process.pid}`,
      command: `node bin/smartnode.js run --dashboard --policy ${policyPath}`,
      columns: 80,
      rows: 24,
      cwd: ROOT,
      env: { SN_DASH_PASSWORD: PASSWORD },
    });
    const screen = await screenShows(/running next tick|TICKING/, 30_000);
    expect(screen).toContain('q quit');
    expect(screen).not.toMatch(/"level":|INFO /); // no log lines on the screen
    const log = await eventually('ticks logged to the file', async () => {
      const text = await readFile(logPath, 'utf8');
      return /tick \d+ done/.test(text) ? text : undefined;
    });
    expect(log).toContain('smartnode starting');
    expect(log).not.toContain(PASSWORD);
    await tmux.keys('q');
    await eventually('the agent to stop', async () => (!(await tmux!.isAlive()) ? true : undefined), 20_000, 100);
    await eventually(
      'the log to say it stopped',
      async () => ((await readFile(logPath, 'utf8')).includes('smartnode stopped') ? true : undefined),
      5000,
    );
    await expect(status()).rejects.toMatchObject({ code: 'CONTROL_UNAVAILABLE' });
  }, 120_000);
});
