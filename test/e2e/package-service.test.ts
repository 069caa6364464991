/**
 * Running as a service: examples/smartnode.service passes `systemd-analyze verify` (Debian's
 * systemd; no systemd needs to run: verify works offline) and its offline security review, and
 * the built `smartnode run` behaves as the unit expects: a running agent answers doctor on its
 * control socket, and SIGTERM finishes the current action and exits 0 with a log line.
 */
import { execFile, spawn } from 'node:child_process';
import { access, chmod, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { expectedInfoHash } from '../../src/feeds/testing.js';
import type { CheckResult } from '../../src/setup/doctor.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { eventually } from '../helpers/world.js';

const run = promisify(execFile);
const UNIT = 'examples/smartnode.service';

async function analyze(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('systemd-analyze', args, { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number | string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error("systemd-analyze is missing: install Debian's systemd package (npm run setup does)");
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) keys.set(match[1], [...(keys.get(match[1]) ?? []), match[2] ?? '']);
  }
  return keys;
}

describe('examples/smartnode.service', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-unit-'));
  });
  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** The unit with ExecStart pointed at an executable this test creates (verify checks it exists). */
  async function unitCopy(name: string, edit: (text: string) => string = (t) => t): Promise<string> {
    const bin = join(dir, 'smartnode');
    await writeFile(bin, '#!/bin/sh\nexit 0\n');
    await chmod(bin, 0o755);
    const path = join(dir, name);
    await writeFile(path, edit((await readFile(UNIT, 'utf8')).replace('ExecStart=smartnode run', `ExecStart=${bin} run`)));
    return path;
  }

  it('runs smartnode run with the /etc policy after the daemon, unprivileged, sandboxed, restarting on failure', async () => {
    const keys = unitKeys(await readFile(UNIT, 'utf8'));
    // A bare name: systemd looks in /usr/local/bin, then /usr/bin (where a global npm install put it, by npm's prefix).
    expect(keys.get('ExecStart')).toEqual(['smartnode run --policy /etc/smartnode/policy.yaml']);
    expect(keys.get('After')?.[0]?.split(' ')).toContain('transmission-daemon.service');
    expect(keys.get('User')).toEqual(['smartnode']);
    expect(keys.get('StateDirectory')).toEqual(['smartnode']);
    expect(keys.get('Restart')).toEqual(['on-failure']);
    expect(keys.get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    expect(keys.get('KillSignal')).toEqual(['SIGTERM']);
    for (const [key, value] of [
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['ProtectHome', 'yes'],
      ['PrivateTmp', 'yes'],
    ] as const) {
      expect(keys.get(key), key).toEqual([value]);
    }
    expect(keys.get('ReadWritePaths')).toEqual(['-/srv/smartnode']);
  });

  it('passes systemd-analyze verify with no warning at all', async () => {
    const result = await analyze(['verify', await unitCopy('smartnode.service')]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('verify does read the keys: a misspelt one is reported (so the clean pass above means something)', async () => {
    const result = await analyze(['verify', await unitCopy('typo.service', (t) => t.replace('NoNewPrivileges=yes', 'NoNewPrivilege=yes'))]);
    expect(result.stderr).toContain("Unknown key 'NoNewPrivilege' in section [Service]");
  });

  it('rates "OK" or better in the offline security review (exposure at most 4.0 of 10)', async () => {
    const result = await analyze(['security', '--offline=true', '--threshold=40', await unitCopy('smartnode.service')]);
    expect(result.stdout).toMatch(/Overall exposure level for smartnode\.service: [0-3]\.\d|4\.0/);
    expect(result.code).toBe(0);
  });
});

describe('smartnode run under a service manager (built CLI)', () => {
  let root: string;
  let daemon: DaemonProcess;
  let feeds: FeedServer;
  const PASSWORD = 'service-secret-3390';

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'smartnode-svc-'));
    daemon = await startDaemonProcess({
      configDir: join(root, 'daemon'),
      downloadDir: join(root, 'mirror'),
      bindAddress: '127.0.0.1',
      rpcPort: await findFreePort(),
      peerPort: await findFreePort(),
      username: 'volunteer',
      password: PASSWORD,
    });
    feeds = await startFeedServer({ host: '127.0.0.1' });
    const spec = { name: 'survey', length: 40_000, announce: 'http://127.0.0.1:1/announce' };
    feeds.setRoute('/c.csv', {
      contentType: 'text/csv',
      body:
        'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED\n' +
        `Dataset,survey,${expectedInfoHash(spec)},40000,9,0,3,1700000000,1700000000\n`,
    });
    await writeFile(join(root, 'pw'), `${PASSWORD}\n`, { mode: 0o600 });
    await writeFile(
      join(root, 'policy.yaml'),
      [
        'daemon:',
        `  url: ${daemon.rpcUrl}`,
        '  username: volunteer',
        `  passwordFile: ${join(root, 'pw')}`,
        'storage:',
        `  downloadDir: ${join(root, 'mirror')}`,
        '  maxBytes: 10 MB',
        '  minFreeBytes: 1 MB',
        'feeds:',
        '  - id: c',
        `    url: ${feeds.url}/c.csv`,
        '    format: at-csv',
        'scrape:',
        '  enabled: false',
        'intervals:',
        '  tick: 1h',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await daemon?.stop();
    await feeds?.close();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it("a running agent passes doctor's control-socket check; SIGTERM then stops it cleanly with exit 0", async () => {
    const stateDir = join(root, 'state');
    const { child, output, exited } = runAgent(join(root, 'policy.yaml'), stateDir);
    try {
      await eventually('the first tick is done', async () => output().includes('"msg":"tick 1 done'), 30_000, 100);

      const chunks: string[] = [];
      const sink = new Writable({
        write(c: Buffer, _e, done) {
          chunks.push(c.toString());
          done();
        },
      });
      const code = await main(['node', 'smartnode', 'doctor', '--json', '--policy', join(root, 'policy.yaml'), '--state-dir', stateDir], {
        stdout: sink,
        stderr: sink,
        env: { PATH: process.env.PATH },
      });
      const report = JSON.parse(chunks.join('')) as { checks: CheckResult[] };
      const agent = report.checks.find((c) => c.id === 'agent');
      expect(agent?.status, agent?.detail).toBe('passed');
      expect(agent?.detail).toContain(`${join(stateDir, 'control.sock')} answered (node `);
      expect(code).toBe(0);

      child.kill('SIGTERM');
      const { code: exitCode, signal } = await exited;
      expect(signal).toBeNull();
      expect(exitCode).toBe(0);
      expect(output()).toContain('"msg":"SIGTERM: finishing the current action, then stopping"');
      expect(output()).toContain('"msg":"smartnode stopped"');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });

  it('smartnode service writes a unit naming the real node and smartnode and the download dir; verify passes it', async () => {
    const unitPath = join(root, 'written.service');
    const written = await run('node', ['bin/smartnode.js', 'service', '--policy', join(root, 'policy.yaml'), '--output', unitPath]);
    expect(written.stdout).toContain(`wrote ${unitPath}`);
    const keys = unitKeys(await readFile(unitPath, 'utf8'));
    const [node, script, ...rest] = keys.get('ExecStart')?.[0]?.split(' ') ?? [];
    expect(node).toBe(await realpath(process.execPath));
    expect(script).toBe(await realpath('bin/smartnode.js'));
    expect(rest).toEqual(['run', '--policy', join(root, 'policy.yaml')]);
    expect(keys.get('ReadWritePaths')).toEqual([`-${join(root, 'mirror')}`]);
    const docs = keys.get('Documentation')?.[0] ?? '';
    expect(docs).toMatch(/^file:\//);
    await access(fileURLToPath(docs));
    const verified = await analyze(['verify', unitPath]);
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    // An existing unit is kept unless --force.
    const again = await run('node', ['bin/smartnode.js', 'service', '--policy', join(root, 'policy.yaml'), '--output', unitPath]).catch(
      (e: { stderr: string }) => e,
    );
    expect(again.stderr).toContain('pass --force to replace it');

    // doctor checks the unit: this one passes; one naming a path the install did not use fails as systemd would (203/EXEC).
    expect(await doctorUnit(unitPath)).toMatchObject({ status: 'passed' });
    const stale = join(root, 'stale.service');
    await writeFile(
      stale,
      (await readFile(UNIT, 'utf8')).replace('ExecStart=smartnode run', 'ExecStart=/usr/local/bin/smartnode-nowhere run'),
    );
    const staleCheck = await doctorUnit(stale);
    expect(staleCheck?.status).toBe('failed');
    expect(staleCheck?.detail).toContain(
      '/usr/local/bin/smartnode-nowhere, which is not an executable file: systemd would fail with 203/EXEC',
    );
    expect(staleCheck?.fix).toContain('smartnode service');
    // ...and one whose sandbox does not let the agent write the download dir.
    const sandboxed = join(root, 'sandboxed.service');
    await writeFile(sandboxed, (await readFile(unitPath, 'utf8')).replace(/^ReadWritePaths=.*$/m, 'ReadWritePaths=-/srv/smartnode'));
    const sandboxCheck = await doctorUnit(sandboxed);
    expect(sandboxCheck?.status).toBe('failed');
    expect(sandboxCheck?.detail).toContain(`not the download dir ${join(root, 'mirror')}`);
  });

  async function doctorUnit(unitPath: string): Promise<CheckResult | undefined> {
    const chunks: string[] = [];
    const sink = new Writable({
      write(c: Buffer, _e, done) {
        chunks.push(c.toString());
        done();
      },
    });
    const args = ['doctor', '--json', '--skip', 'agent', '--policy', join(root, 'policy.yaml'), '--state-dir', join(root, 'doctor-state')];
    await main(['node', 'smartnode', ...args, '--unit', unitPath], { stdout: sink, stderr: sink, env: { PATH: process.env.PATH } });
    return (JSON.parse(chunks.join('')) as { checks: CheckResult[] }).checks.find((c) => c.id === 'unit');
  }

  it('one SIGTERM in the middle of a tick stops after the step under way and exits 0, not 130', async () => {
    const policy = (await readFile(join(root, 'policy.yaml'), 'utf8')).replace('/c.csv', '/slow.csv');
    await writeFile(join(root, 'slow.yaml'), policy);
    const body = `TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED\n`;
    feeds.setRoute('/slow.csv', { contentType: 'text/csv', body, delayMs: 1500 });
    const { child, output, exited } = runAgent(join(root, 'slow.yaml'), join(root, 'state-slow'));
    try {
      await eventually('the tick to be fetching the slow feed', async () => feeds.requests.some((r) => r.path === '/slow.csv'), 30_000, 20);
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      expect(output()).not.toContain('second SIGTERM');
      // The feed read under way is abandoned (a stop never waits on a site), and nothing fails for it.
      expect(output()).not.toContain('"event":"tick-failed"');
      expect(output()).toContain('"msg":"smartnode stopped"');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  }, 60_000);
});

/** The built `smartnode run` as a service runs it: JSON logs, a bare environment. */
function runAgent(policyPath: string, stateDir: string) {
  const child = spawn('node', ['bin/smartnode.js', 'run', '--policy', policyPath, '--state-dir', stateDir, '--log-format', 'json'], {
    env: { PATH: process.env.PATH },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  child.stderr.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, output: () => out, exited };
}
