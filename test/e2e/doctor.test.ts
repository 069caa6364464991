/**
 * `smartnode doctor` against real parts: a real transmission-daemon on 127.0.0.1 running as the
 * unprivileged user `nobody` (as Debian's runs as debian-transmission), feeds from a real HTTP
 * server. A healthy setup passes every check with exit 0; each failure it names (daemon down,
 * wrong password, dir not writable by the daemon's user, feed 404, bad policy) fails with its
 * message and fix, and exit 1.
 */
import { chmod, chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CheckResult } from '../../src/setup/doctor.js';
import { expectedInfoHash } from '../../src/feeds/testing.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';

const NOBODY = { uid: 65534, gid: 65534 };
const PASSWORD = 'doctor-secret-4471';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

async function doctor(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; stdout: string; stderr: string; checks: CheckResult[] }> {
  const out = capture();
  const err = capture();
  const code = await main(['node', 'smartnode', 'doctor', ...args], {
    stdout: out.stream,
    stderr: err.stream,
    env: { PATH: process.env.PATH, ...env },
  });
  const jsonOut = capture();
  const jsonCode = await main(['node', 'smartnode', 'doctor', '--json', ...args], {
    stdout: jsonOut.stream,
    stderr: capture().stream,
    env: { PATH: process.env.PATH, ...env },
  });
  expect(jsonCode).toBe(code);
  const parsed = JSON.parse(jsonOut.text()) as { ok: boolean; checks: CheckResult[] };
  expect(parsed.ok).toBe(code === 0);
  return { code, stdout: out.text(), stderr: err.text(), checks: parsed.checks };
}

function check(checks: readonly CheckResult[], id: string): CheckResult {
  const found = checks.find((c) => c.id === id);
  if (found === undefined) throw new Error(`no check ${id} in ${checks.map((c) => c.id).join(', ')}`);
  return found;
}

describe('smartnode doctor', () => {
  let root: string;
  let daemon: DaemonProcess;
  let rpcPort: number;
  let feeds: FeedServer;
  let mirror: string;
  let passwordFile: string;
  let stateDir: string;

  async function startDaemon(): Promise<DaemonProcess> {
    return startDaemonProcess({
      configDir: join(root, 'daemon'),
      downloadDir: mirror,
      bindAddress: '127.0.0.1',
      rpcPort,
      peerPort: await findFreePort(),
      username: 'volunteer',
      password: PASSWORD,
      runAs: NOBODY,
    });
  }

  function policy(
    overrides: { url?: string; feedPath?: string; downloadDir?: string; passwordFile?: string; extra?: string } = {},
  ): string {
    return [
      'daemon:',
      `  url: ${overrides.url ?? `http://127.0.0.1:${rpcPort}/transmission/rpc`}`,
      '  username: volunteer',
      `  passwordFile: ${overrides.passwordFile ?? passwordFile}`,
      '  timeout: 3s',
      'storage:',
      `  downloadDir: ${overrides.downloadDir ?? mirror}`,
      '  maxBytes: 10 MB',
      '  minFreeBytes: 1 MB',
      'feeds:',
      '  - id: datasets',
      `    url: ${feeds.url}${overrides.feedPath ?? '/collection/datasets.csv'}`,
      '    format: at-csv',
      overrides.extra ?? '',
    ].join('\n');
  }

  async function writePolicy(name: string, text: string): Promise<string> {
    const path = join(root, name);
    await writeFile(path, text);
    return path;
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'smartnode-doctor-'));
    await chmod(root, 0o755); // the daemon's user must be able to enter it
    mirror = join(root, 'mirror');
    await mkdir(mirror, { mode: 0o2775 });
    await chown(mirror, NOBODY.uid, NOBODY.gid);
    await mkdir(join(root, 'daemon'));
    await chown(join(root, 'daemon'), NOBODY.uid, NOBODY.gid);
    passwordFile = join(root, 'rpc-password');
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    stateDir = join(root, 'state');
    rpcPort = await findFreePort();
    daemon = await startDaemon();
    feeds = await startFeedServer({ host: '127.0.0.1' });
    const spec = { name: 'climate-2020', length: 50_000, announce: 'http://127.0.0.1:1/announce' };
    feeds.setRoute('/collection/datasets.csv', {
      contentType: 'text/csv',
      body:
        'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED\n' +
        `Dataset,climate-2020,${expectedInfoHash(spec)},50000,1,2,3,1700000000,1700000000\n`,
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await feeds?.close();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('passes every check on a healthy setup, naming the daemon user, and exits 0', async () => {
    const path = await writePolicy('healthy.yaml', policy());
    const result = await doctor(['--policy', path, '--state-dir', stateDir, '--skip', 'agent']);
    expect(result.stdout).not.toContain('[FAIL]');
    expect(result.code).toBe(0);
    for (const id of [
      'policy',
      'daemon-client',
      'daemon-reachable',
      'credentials',
      'rpc-version',
      'download-dir',
      'download-dir-writable',
      'download-dir-room',
      'feed:datasets',
      'state-dir',
    ]) {
      expect(check(result.checks, id).status, id).toBe('passed');
    }
    expect(check(result.checks, 'download-dir-writable').detail).toContain('the daemon runs as nobody (uid 65534');
    expect(check(result.checks, 'rpc-version').detail).toMatch(/RPC version 1[5-9]/);
    expect(check(result.checks, 'feed:datasets').detail).toContain('1 items as at-csv');
    expect(check(result.checks, 'agent').status).toBe('skipped');
    expect(check(result.checks, 'daemon-client').detail).toMatch(/^transmission-daemon \(pid \d+, user nobody\) listens on port \d+$/);
    expect(result.stdout).toMatch(/10 passed, 0 failed, 1 skipped\n$/);
    expect(result.stdout).not.toContain(PASSWORD);
  });

  it('fails the agent check when no agent runs, naming the socket and how to start it', async () => {
    const path = await writePolicy('healthy-agent.yaml', policy());
    const result = await doctor(['--policy', path, '--state-dir', stateDir]);
    expect(result.code).toBe(1);
    const agent = check(result.checks, 'agent');
    expect(agent.status).toBe('failed');
    expect(agent.detail).toBe(`no agent is running: no control socket at ${join(stateDir, 'control.sock')}`);
    expect(agent.fix).toContain('systemctl start smartnode');
  });

  it('wrong password: credentials fail with the fix; the daemon still counts as reachable', async () => {
    const wrong = join(root, 'wrong-password');
    await writeFile(wrong, 'not-the-password\n', { mode: 0o600 });
    const path = await writePolicy('wrong-password.yaml', policy({ passwordFile: wrong }));
    const result = await doctor(['--policy', path, '--state-dir', stateDir, '--skip', 'agent']);
    expect(result.code).toBe(1);
    expect(check(result.checks, 'daemon-reachable').status).toBe('passed');
    const credentials = check(result.checks, 'credentials');
    expect(credentials.status).toBe('failed');
    expect(credentials.detail).toContain('refused the RPC username or password (HTTP 401)');
    expect(credentials.fix).toContain('daemon.passwordFile');
    expect(check(result.checks, 'download-dir-room').status).toBe('skipped');
    expect(result.stdout).toContain('[FAIL] credentials accepted:');
    expect(result.stdout).not.toContain('not-the-password');
  });

  it("download dir not writable by the daemon's user: fails with the owner, mode and a chown fix", async () => {
    const locked = join(root, 'root-owned');
    await mkdir(locked, { mode: 0o755 });
    const path = await writePolicy('locked.yaml', policy({ downloadDir: locked }));
    const result = await doctor(['--policy', path, '--state-dir', stateDir, '--skip', 'agent']);
    expect(result.code).toBe(1);
    expect(check(result.checks, 'download-dir').status).toBe('passed');
    const writable = check(result.checks, 'download-dir-writable');
    expect(writable.status).toBe('failed');
    expect(writable.detail).toBe(
      `the daemon runs as nobody (uid 65534, pid ${daemon.pid}): ` +
        `${locked} (owner uid 0, group gid 0, mode 0755) is not writable by uid 65534`,
    );
    expect(writable.fix).toBe(`sudo chown nobody: ${locked} && sudo chmod 2775 ${locked} (and add the agent's user to the daemon's group)`);
  });

  it("download dir missing: the daemon cannot see it; the fix creates it for the daemon's user", async () => {
    const missing = join(root, 'no-such-dir');
    const path = await writePolicy('missing.yaml', policy({ downloadDir: missing }));
    const result = await doctor(['--policy', path, '--state-dir', stateDir, '--skip', 'agent']);
    expect(result.code).toBe(1);
    const dir = check(result.checks, 'download-dir');
    expect(dir.status).toBe('failed');
    expect(dir.detail).toContain(`cannot read free space of ${JSON.stringify(missing)}`);
    expect(dir.fix).toBe(
      `create it for the daemon's user: sudo install -d -o nobody -g nobody -m 2775 ${missing} (and add the agent's user to group nobody)`,
    );
  });

  it('a budget bigger than the filesystem fails the room check with a smaller maxBytes to set', async () => {
    const path = await writePolicy('huge.yaml', policy().replace('maxBytes: 10 MB', 'maxBytes: 900 PB'));
    const result = await doctor(['--policy', path, '--state-dir', stateDir, '--skip', 'agent']);
    expect(result.code).toBe(1);
    const room = check(result.checks, 'download-dir-room');
    expect(room.status).toBe('failed');
    expect(room.detail).toMatch(/free \+ 0 B already held, budget 900 PB \+ reserve 1 MB: .* short$/);
    expect(room.fix).toMatch(/^lower storage\.maxBytes to \S+ \S+ or less/);
  });

  it('feed 404: the feed check fails with the status and URL', async () => {
    const path = await writePolicy('feed-404.yaml', policy({ feedPath: '/collection/gone.csv' }));
    const result = await doctor(['--policy', path, '--state-dir', stateDir, '--skip', 'agent']);
    expect(result.code).toBe(1);
    const feed = check(result.checks, 'feed:datasets');
    expect(feed.status).toBe('failed');
    expect(feed.detail).toContain('404');
    expect(feed.detail).toContain(`${feeds.url}/collection/gone.csv`);
    expect(check(result.checks, 'credentials').status).toBe('passed');
  });

  it('bad policy: fails the policy check with file:line and stops there', async () => {
    const path = await writePolicy('bad.yaml', policy().replace('maxBytes: 10 MB', 'maxBytes: lots'));
    const result = await doctor(['--policy', path, '--state-dir', stateDir]);
    expect(result.code).toBe(1);
    expect(result.checks).toHaveLength(1);
    const first = check(result.checks, 'policy');
    expect(first.status).toBe('failed');
    expect(first.detail).toMatch(/bad\.yaml:\d+ storage\.maxBytes: expected a size like "500 GB", got "lots"/);
    expect(result.stdout).toMatch(/0 passed, 1 failed, 0 skipped\n$/);
  });

  it('daemon down: reachable fails with how to start it; the rest that needs it is skipped', async () => {
    const path = await writePolicy('down.yaml', policy());
    await daemon.stop();
    try {
      const result = await doctor(['--policy', path, '--state-dir', stateDir, '--skip', 'agent']);
      expect(result.code).toBe(1);
      const reachable = check(result.checks, 'daemon-reachable');
      expect(reachable.status).toBe('failed');
      expect(reachable.detail).toContain(`127.0.0.1:${rpcPort}`);
      expect(reachable.fix).toContain('sudo systemctl start transmission-daemon');
      expect(check(result.checks, 'credentials').status).toBe('skipped');
      expect(check(result.checks, 'download-dir').status).toBe('passed'); // seen locally
      expect(check(result.checks, 'feed:datasets').status).toBe('passed');
    } finally {
      daemon = await startDaemon();
    }
  });
});
