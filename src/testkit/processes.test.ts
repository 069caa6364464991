import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNetwork, leftoversOf } from './netns.js';

const run = promisify(execFile);
const REPO = resolve(import.meta.dirname, '../..');

// What the demo does: start a swarm, install the handlers, print the daemon pids, idle.
const CHILD = `
import { startSwarm, installTeardownOnSignals } from './testkit/swarm.js';
const [workDir, mode] = process.argv.slice(2);
const swarm = await startSwarm({ seeders: 1, extraDaemons: 1, workDir });
installTeardownOnSignals(swarm.stop, swarm.stopNowSync);
console.log(JSON.stringify({ prefix: swarm.network.prefix, pids: [...swarm.seeders, ...swarm.daemons].map((d) => d.pid) }));
if (mode === 'exit') process.exit(0);
setInterval(() => undefined, 1000);
`;

// Builds a network as whoever runs it; prints the error message if it refuses.
const NETWORK_CHILD = `
import { createNetwork } from './testkit/netns.js';
try {
  const network = await createNetwork({ hosts: 1 });
  await network.destroy();
  console.log('created');
} catch (error) {
  console.log(error.message);
}
`;

// Another run: builds three networks at once, reports them, starts a process in each, idles.
const NETWORKS_CHILD = `
import { execFileSync } from 'node:child_process';
import { createNetwork } from './testkit/netns.js';
const networks = await Promise.all([1, 2, 3].map(() => createNetwork({ hosts: 1, label: 'other-run' })));
const pids = networks.map((n) =>
  Number(execFileSync('ip', ['netns', 'exec', n.hosts[0].name, 'sh', '-c', 'sleep 120 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' }).trim()),
);
console.log(JSON.stringify({ networks: networks.map((n) => ({ prefix: n.prefix, subnet: n.subnet })), pids }));
process.stdin.on('end', async () => {
  await Promise.all(networks.map((n) => n.destroy()));
  process.exit(0);
});
process.stdin.resume();
`;

describe('the harness in real processes', () => {
  let build = '';
  beforeAll(async () => {
    // Node 20 cannot run TypeScript: compile the harness (and what it imports) for the child.
    build = await mkdtemp(join(tmpdir(), 'sn-signals-'));
    await run(
      join(REPO, 'node_modules/.bin/tsc'),
      [
        '--outDir',
        build,
        '--rootDir',
        join(REPO, 'src'),
        '--module',
        'nodenext',
        '--moduleResolution',
        'nodenext',
        '--target',
        'es2022',
        '--skipLibCheck',
        '--types',
        'node',
        '--strict',
        join(REPO, 'src/testkit/swarm.ts'),
      ],
      { cwd: REPO },
    );
    await writeFile(join(build, 'package.json'), '{"type":"module"}');
    await symlink(join(REPO, 'node_modules'), join(build, 'node_modules'));
    await writeFile(join(build, 'child.js'), CHILD);
    await writeFile(join(build, 'network-child.js'), NETWORK_CHILD);
    await writeFile(join(build, 'networks-child.js'), NETWORKS_CHILD);
    await chmod(build, 0o755);
  }, 60_000);

  it('fails with what to do when not root', async () => {
    // uid/gid 65534 is "nobody" on Debian.
    const { stdout } = await run(process.execPath, [join(build, 'network-child.js')], { uid: 65534, gid: 65534 });
    expect(stdout).toMatch(/needs root \(uid 0\).*uid 65534: run the tests as root/);
  });

  it('two runs building networks at the same moment get distinct names and subnets; a crashed run is cleaned by the next', async () => {
    const children = [0, 1].map(() => spawn(process.execPath, [join(build, 'networks-child.js')], { stdio: ['pipe', 'pipe', 'inherit'] }));
    try {
      const mine = Promise.all([1, 2, 3].map(() => createNetwork({ hosts: 1, label: 'this-run' })));
      const reports = await Promise.all(children.map(firstLine));
      const theirs = reports.map((r) => JSON.parse(r) as { networks: { prefix: string; subnet: string }[]; pids: number[] });
      const all = [...(await mine), ...theirs.flatMap((t) => t.networks)];
      expect(new Set(all.map((n) => n.prefix)).size).toBe(9);
      expect(new Set(all.map((n) => n.subnet)).size).toBe(9);
      for (const n of await mine) await n.destroy();

      // One run ends cleanly; the other is killed with its networks and processes in place.
      const [clean, crashed] = children;
      const [cleanReport, crashedReport] = theirs;
      if (clean === undefined || crashed === undefined || cleanReport === undefined || crashedReport === undefined)
        throw new Error('two runs');
      const cleanExit = new Promise((done) => clean.once('exit', done));
      clean.stdin.end();
      await cleanExit;
      for (const n of cleanReport.networks) expect(await leftoversOf(n.prefix)).toEqual([]);
      const crashedExit = new Promise((done) => crashed.once('exit', done));
      crashed.kill('SIGKILL');
      await crashedExit;
      for (const n of crashedReport.networks) expect((await leftoversOf(n.prefix)).length).toBeGreaterThan(0);

      const next = await createNetwork({ hosts: 1, label: 'next-run' });
      await next.destroy();
      for (const n of crashedReport.networks) expect(await leftoversOf(n.prefix)).toEqual([]);
      for (const pid of crashedReport.pids) expect(await isAlive(pid)).toBe(false);
    } finally {
      for (const child of children) child.kill('SIGKILL');
    }
  }, 60_000);

  it('fails with what to do when iproute2 is missing', async () => {
    const { stdout } = await run(process.execPath, [join(build, 'network-child.js')], {
      env: { ...process.env, PATH: '/nonexistent' },
    });
    expect(stdout).toMatch(/needs the `ip` command from iproute2.*apt-get install iproute2/);
  });
  afterAll(async () => {
    if (build !== '') await rm(build, { recursive: true, force: true });
  });

  for (const [mode, expectedCode] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['exit', 0],
  ] as const) {
    it(`${mode === 'exit' ? 'a plain process.exit' : mode} tears the swarm down`, async () => {
      const work = await mkdtemp(join(tmpdir(), 'sn-signals-work-'));
      const child = spawn(process.execPath, [join(build, 'child.js'), work, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      try {
        const line = await new Promise<string>((done, fail) => {
          child.stdout.once('data', (chunk: Buffer) => done(chunk.toString()));
          void exited.then(() => fail(new Error(`child exited before starting its swarm: ${stderr}`)));
        });
        const { prefix, pids } = JSON.parse(line) as { prefix: string; pids: number[] };
        expect(pids).toHaveLength(2);
        if (mode !== 'exit') {
          expect((await leftoversOf(prefix)).length).toBeGreaterThan(0);
          child.kill(mode);
        }
        const code = await Promise.race([
          exited,
          new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`child did not exit 15 s after ${mode}`)), 15_000)),
        ]);
        expect(code, stderr).toBe(expectedCode);
        expect(await leftoversOf(prefix)).toEqual([]);
        for (const pid of pids) expect(await isAlive(pid)).toBe(false);
      } finally {
        child.kill('SIGKILL');
        await rm(work, { recursive: true, force: true });
      }
    }, 60_000);
  }
});

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((done, fail) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) done(out.slice(0, out.indexOf('\n')));
    });
    child.once('exit', (code) => fail(new Error(`child exited (${String(code)}) before reporting: ${out}`)));
  });
}

async function isAlive(pid: number): Promise<boolean> {
  try {
    return !/^\d+ \(.*\) Z/.test(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
