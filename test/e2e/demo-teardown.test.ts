/**
 * `npm run demo | tee log`, then Ctrl-C: the terminal sends SIGINT to the whole pipeline, tee
 * dies with it and the demo's output pipe is closed while it tears down. The demo must still
 * remove everything it made: its network namespaces, its bridge, its daemons and its work dir.
 * The real demo (dist/demo/main.js, as `npm run demo` runs it) in its own process group, so the
 * SIGINT reaches every process of the pipeline as a terminal's would.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeWorkDir } from '../helpers/world.js';

const DEMO = resolve('dist/demo/main.js');

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '')
    .sort();
}

function links(): string[] {
  return execFileSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(': ')[1]?.split('@')[0] ?? '')
    .filter((n) => n !== '')
    .sort();
}

function daemonsUnder(dir: string): string[] {
  const out = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.includes('transmission-daemon') && l.includes(dir));
}

describe('the demo through a closed pipe', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let pipeline: ChildProcess | null = null;

  beforeAll(async () => {
    work = await makeWorkDir('e2e-demo-pipe');
  });
  afterAll(async () => {
    // A pipeline a failed assertion left running: SIGTERM, on which the demo tears down its world.
    if (pipeline?.pid !== undefined && pipeline.exitCode === null && pipeline.signalCode === null) {
      process.kill(-pipeline.pid, 'SIGTERM');
    }
    await work.cleanup();
  });

  it('`demo | tee log`, then Ctrl-C: no namespace, bridge, daemon or work dir is left', async () => {
    expect(existsSync(DEMO), 'dist/demo/main.js: run `npm run build` first').toBe(true);
    const nsBefore = namespaces();
    const linksBefore = links();
    const log = join(work.dir, 'log');
    const demoDir = join(work.dir, '.smartnode-demo');
    pipeline = spawn('sh', ['-c', `node ${DEMO} | tee ${log} > /dev/null`], { cwd: work.dir, detached: true, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => pipeline?.on('exit', (code) => done(code)));

    await eventually(
      'the demo world up and the agent running',
      async () => existsSync(log) && readFileSync(log, 'utf8').includes('smartnode is running'),
      240_000,
      250,
    );
    // The demo really made a network, daemons and its work dir: the assertions below can fail.
    expect(namespaces().length).toBeGreaterThan(nsBefore.length);
    expect(links().length).toBeGreaterThan(linksBefore.length);
    expect(daemonsUnder(demoDir).length).toBeGreaterThan(0);
    expect(existsSync(demoDir)).toBe(true);

    // Ctrl-C: SIGINT to the pipeline's process group (sh, node, tee).
    process.kill(-(pipeline.pid ?? 0), 'SIGINT');
    await exited;
    // The demo itself may outlive the shell: wait for it to finish its teardown.
    await eventually('the demo to exit', async () => daemonsUnder(demoDir).length === 0 && !demoProcessAlive(), 60_000, 200);

    expect(namespaces()).toEqual(nsBefore);
    expect(links()).toEqual(linksBefore);
    expect(existsSync(demoDir)).toBe(false);
  }, 360_000);
});

function demoProcessAlive(): boolean {
  const out = execFileSync('ps', ['-eo', 'args='], { encoding: 'utf8' });
  return out.split('\n').some((l) => l.startsWith('node ') && l.includes(DEMO));
}
