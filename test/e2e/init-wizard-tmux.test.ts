/**
 * `smartnode init` as a volunteer of Academic Torrents runs it: the built binary in a real
 * terminal (tmux) next to a real transmission-daemon that wants a password. `--feed` names a
 * collection and a feed of the volunteer's own; at the feed step both are already selected,
 * typing one again is answered with where it is, and a collection is typed by name before the
 * list is confirmed. The API key is asked without echo and checked for shape. Every key is
 * sent only once the screen shows the prompt it answers.
 *
 * Then the files: the key is in the environment file (mode 0600) and in no other file init
 * could have written, nor on the terminal; the policy names its variable on the Academic
 * Torrents feeds only (https), loads, validates, and resolves the key from that file.
 */
import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFile, resolveSecrets } from '../../src/policy/index.js';
import { AT_COOKIE_ENV, isAcademicTorrentsUrl } from '../../src/setup/index.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { startTmux, type TmuxSession } from '../helpers/tmux.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const run = promisify(execFile);
const ROOT = process.cwd();
const PASSWORD = 'tmux-wizard-secret-7710';
const AT_KEY = 'uid=31337;pass=5eed5eed5eed5eed5eed5eed5eed5eed';
const OWN_FEED = 'http://127.0.0.1:9/feeds/own.rss'; // never fetched: init only writes it down

/**
 * The binary runs from dist/: build it unless it is newer than every source file. A full tsc
 * run takes over a minute on a busy two-core machine, longer than a hook may wait.
 */
async function buildIfStale(): Promise<void> {
  const built = await stat(join(ROOT, 'dist/cli/main.js')).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const sources = (await filesUnder(join(ROOT, 'src'))).filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f));
  const newest = Math.max(...(await Promise.all(sources.map(async (f) => (await stat(f)).mtimeMs))));
  if (newest > built) await run('npm', ['run', 'build'], { cwd: ROOT });
}

/** Every file under a directory, recursively. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('smartnode init in a real terminal, for an Academic Torrents volunteer', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let daemon: DaemonProcess;
  let tmux: TmuxSession | undefined;
  const name = `sn-init-${process.pid}`;

  beforeAll(async () => {
    await buildIfStale();
    work = await makeWorkDir('init-tmux');
    daemon = await startDaemonProcess({
      configDir: join(work.dir, 'daemon'),
      downloadDir: join(work.dir, 'daemon-downloads'),
      bindAddress: '127.0.0.1',
      rpcPort: await findFreePort(),
      peerPort: await findFreePort(),
      username: 'volunteer',
      password: PASSWORD,
    });
  }, 180_000);
  afterAll(async () => {
    await tmux?.kill();
    await daemon?.stop();
    await work?.cleanup();
  });

  it('asks for the feeds and the API key, and the key lands only in the environment file', async () => {
    const etc = join(work.dir, 'etc');
    const home = join(work.dir, 'home');
    const mirror = join(work.dir, 'mirror');
    await mkdir(home);
    await mkdir(mirror);
    const policyPath = join(etc, 'policy.yaml');
    const envFile = join(etc, 'environment');
    const init = [
      'node bin/smartnode.js init',
      `--settings ${join(daemon.configDir, 'settings.json')}`,
      `--policy ${policyPath}`,
      `--download-dir ${mirror}`,
      '--min-free "1 MB"',
      '--feed medical',
      `--feed ${OWN_FEED}`,
    ].join(' ');
    tmux = await startTmux({
      name,
      command: `sh -c '${init}; echo "init exited $?"'`,
      columns: 200,
      rows: 60,
      cwd: ROOT,
      env: { HOME: home, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    });
    const session = tmux;
    let last = '';
    const screenShows = async (what: string | RegExp): Promise<string> => {
      try {
        return await eventually(
          `the screen to show ${String(what)}`,
          async () => {
            last = await session.screen();
            return (typeof what === 'string' ? last.includes(what) : what.test(last)) ? last : undefined;
          },
          15_000,
          50,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- screen ---\n${last}`);
      }
    };
    /** The screen's row with the ❯ marker, and the row holding `text`, among rows holding `among`. */
    const rowsOf = (screen: string, among: RegExp, text: string): { focused: number; wanted: number } => {
      const rows = screen.split('\n').filter((line) => among.test(line));
      return { focused: rows.findIndex((line) => line.trimStart().startsWith('❯')), wanted: rows.findIndex((line) => line.includes(text)) };
    };
    /** Arrow keys one at a time, each once the screen shows where the previous one put the ❯. */
    const focusRow = async (among: RegExp, text: string): Promise<void> => {
      for (;;) {
        const { focused, wanted } = rowsOf(await session.screen(), among, text);
        expect(wanted).toBeGreaterThanOrEqual(0);
        if (focused === wanted) return;
        const next = focused + (focused < wanted ? 1 : -1);
        await session.keys(focused < wanted ? 'Down' : 'Up');
        await eventually('the ❯ moved', async () => rowsOf(await session.screen(), among, text).focused === next, 5000, 50);
      }
    };

    await screenShows(/RPC password for volunteer .*not shown\):\s*$/m);
    await session.literal(PASSWORD);
    await screenShows(`not shown): ${'*'.repeat(PASSWORD.length)}`);
    await session.keys('Enter');
    await screenShows('connected: Transmission 3.00');

    await screenShows(`${mirror}  (`);
    await focusRow(/^\s*[❯ ] \/.*\(|another directory/, `${mirror}  (`);
    await session.keys('Enter');
    await screenShows(new RegExp(`Disk budget for ${mirror} .*Enter keeps`));
    await session.literal('5 GB');
    await screenShows(/Enter keeps .*\): 5 GB/);
    await session.keys('Enter');

    // The feed step: the --feed collection is its built-in row, the own feed is listed as added.
    const feeds = await screenShows('Type an Academic Torrents collection name or any feed URL');
    expect(feeds).toContain('Academic Torrents (a built-in snapshot of well-known feeds');
    expect(feeds).toMatch(/\[x\] Academic Torrents collection: medical +https:\/\/academictorrents\.com\/collection\/medical\.csv/);
    expect(feeds).toContain(`[x] ${OWN_FEED}`);
    expect(feeds).toMatch(/\[ \] SciOp: torrents with no seeder/);
    expect(feeds.match(/\[x\]/g)).toHaveLength(2);
    await session.literal(OWN_FEED);
    await screenShows(`then Enter to add it: ${OWN_FEED}`);
    await session.keys('Enter');
    await screenShows(`${OWN_FEED} is already in the list as own; it is selected`);
    await session.literal('physics');
    await screenShows('then Enter to add it: physics');
    await session.keys('Enter');
    await screenShows('added at-physics: https://academictorrents.com/collection/physics.csv');
    expect(await session.screen()).toContain('[x] Academic Torrents collection: physics');
    await session.keys('Enter');

    await screenShows(/Academic Torrents API key.*not shown; Enter to skip\):\s*$/m);
    await session.literal('uid=31337;pass=not-hex');
    await screenShows(`Enter to skip): ${'*'.repeat('uid=31337;pass=not-hex'.length)}`);
    await session.keys('Enter');
    await screenShows(/expected the key as Academic Torrents shows it[\s\S]*Enter to skip\):\s*$/m);
    await session.literal(AT_KEY);
    await screenShows(`Enter to skip): ${'*'.repeat(AT_KEY.length)}`);
    await session.keys('Enter');

    // The question may wrap: compare with whitespace runs as one space.
    const confirm = (await screenShows('(Y/n)')).replace(/\s+/g, ' ');
    expect(confirm).toContain(`Write ${policyPath}: ${mirror}, up to 5 GB, feeds at-medical, own, at-physics,`);
    expect(confirm).toContain('with your Academic Torrents API key (kept out of the policy)? (Y/n)');
    await session.keys('y');
    const done = await screenShows(/init exited \d+/);
    expect(done).toContain('init exited 0');
    expect(done).toContain(`wrote ${envFile} (mode 0600: your Academic Torrents API key as ${AT_COOKIE_ENV}`);
    expect(done).toContain(`sudo chown smartnode: ${envFile}`);
    const terminal = (await run('tmux', ['-L', name, 'capture-pane', '-p', '-S', '-', '-t', `${name}:0.0`])).stdout;
    expect(terminal).toContain('init exited 0');
    expect(terminal).not.toContain(AT_KEY);
    expect(terminal).not.toContain('5eed5eed');
    expect(terminal).not.toContain(PASSWORD);

    // The key: in the environment file, only the owner may read it; in no other file of this run.
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    const holding: string[] = [];
    for (const file of await filesUnder(work.dir)) if ((await readFile(file)).includes('5eed5eed')) holding.push(file);
    expect(holding).toEqual([envFile]);
    // A shell (and systemd's EnvironmentFile=) reads the ';' inside the quoted value as part of it.
    const fromFile = (await run('env', ['-i', 'sh', '-c', `set -a; . ${envFile}; printf %s "$${AT_COOKIE_ENV}"`])).stdout;
    expect(fromFile).toBe(AT_KEY);

    // The policy: the variable named on the Academic Torrents feeds (https) and no other.
    const { policy } = await loadPolicyFile(policyPath);
    expect(policy.feeds.map((f) => [f.id, f.url, f.cookieEnv])).toEqual([
      ['at-medical', 'https://academictorrents.com/collection/medical.csv', AT_COOKIE_ENV],
      ['own', OWN_FEED, undefined],
      ['at-physics', 'https://academictorrents.com/collection/physics.csv', AT_COOKIE_ENV],
    ]);
    for (const feed of policy.feeds) expect(feed.cookieEnv !== undefined).toBe(isAcademicTorrentsUrl(feed.url));
    expect(policy.storage).toMatchObject({ downloadDir: mirror, maxBytes: 5e9, minFreeBytes: 1e6 });
    const secrets = await resolveSecrets(policy, { [AT_COOKIE_ENV]: fromFile }, (path) => readFile(path, 'utf8'));
    expect(secrets.rpcPassword).toBe(PASSWORD);
    expect([...secrets.feedCookies]).toEqual([
      ['at-medical', AT_KEY],
      ['at-physics', AT_KEY],
    ]);
    const check = await run('node', ['bin/smartnode.js', 'policy', 'check', policyPath], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: home, [AT_COOKIE_ENV]: fromFile },
    });
    expect(check.stdout).toContain('cookie from the environment (cookieEnv)');
    expect(`${check.stdout}${check.stderr}`).not.toContain('5eed5eed');
  }, 120_000);
});
