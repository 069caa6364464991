import { execFile, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leftoversOf, networkSlot } from './netns.js';

const run = promisify(execFile);
// Slots 200-209 belong to the testkit's own tests; 202 and 203 are this file's.
const ID = 202;
const PREFIX = networkSlot(ID).prefix;
const REPO = resolve(import.meta.dirname, '../..');

// What the demo does: start a swarm, install the handlers, print the daemon pids, idle.
const CHILD = `
import { startSwarm, installTeardownOnSignals } from './testkit/swarm.js';
const [workDir, mode] = process.argv.slice(2);
const swarm = await startSwarm({ id: ${ID}, seeders: 1, extraDaemons: 1, workDir });
installTeardownOnSignals(swarm.stop, swarm.stopNowSync);
console.log(JSON.stringify({ pids: [...swarm.seeders, ...swarm.daemons].map((d) => d.pid) }));
if (mode === 'exit') process.exit(0);
setInterval(() => undefined, 1000);
`;

// Builds a network as whoever runs it; prints the error message if it refuses.
const NETWORK_CHILD = `
import { createNetwork } from './testkit/netns.js';
try {
  const network = await createNetwork({ prefix: 'sn203', subnetIndex: 203, hosts: 1 });
  await network.destroy();
  console.log('created');
} catch (error) {
  console.log(error.message);
}
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
    await chmod(build, 0o755);
  }, 60_000);

  it('fails with what to do when not root', async () => {
    // uid/gid 65534 is "nobody" on Debian.
    const { stdout } = await run(process.execPath, [join(build, 'network-child.js')], { uid: 65534, gid: 65534 });
    expect(stdout).toMatch(/needs root \(uid 0\).*uid 65534: run the tests as root/);
    expect(await leftoversOf('sn203')).toEqual([]);
  });

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
        const { pids } = JSON.parse(line) as { pids: number[] };
        expect(pids).toHaveLength(2);
        if (mode !== 'exit') {
          expect((await leftoversOf(PREFIX)).length).toBeGreaterThan(0);
          child.kill(mode);
        }
        const code = await Promise.race([
          exited,
          new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`child did not exit 15 s after ${mode}`)), 15_000)),
        ]);
        expect(code, stderr).toBe(expectedCode);
        expect(await leftoversOf(PREFIX)).toEqual([]);
        for (const pid of pids) expect(await isAlive(pid)).toBe(false);
      } finally {
        child.kill('SIGKILL');
        await rm(work, { recursive: true, force: true });
      }
    }, 60_000);
  }
});

async function isAlive(pid: number): Promise<boolean> {
  try {
    return !/^\d+ \(.*\) Z/.test(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
