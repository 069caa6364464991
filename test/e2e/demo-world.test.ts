/**
 * The demo's world changes while it runs, and the agent is seen re-planning: the real demo
 * (dist/demo/main.js, its output to a file), with its real swarm. A seeder leaves, downloaders
 * surge, a new dataset appears in the feed; after each the demo prints the plan again, and the
 * new dataset shows up in a plan with its reason. Ctrl-C then tears it all down.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, makeWorkDir } from '../helpers/world.js';

const DEMO = resolve('dist/demo/main.js');
const CHANGES = [
  'the world changes: a seeder leaves: one of the seeders of "Seismic traces, station KX (demo)" drops it',
  'the world changes: downloaders surge: 8 leechers ask for "arXiv abstracts 2024 (demo)"',
  'the world changes: a new dataset appears in the feed: "Genome reads, sample 7 (demo)"',
];

describe('the demo world changes while it runs', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let demo: ChildProcess | null = null;

  beforeAll(async () => {
    work = await makeWorkDir('e2e-demo-world');
  });
  afterAll(async () => {
    if (demo?.pid !== undefined && demo.exitCode === null && demo.signalCode === null) process.kill(-demo.pid, 'SIGTERM');
    await work.cleanup();
  });

  it('a seeder leaves, downloaders surge, a dataset appears: each time the plan is shown again, the new dataset with its reason', async () => {
    expect(existsSync(DEMO), 'dist/demo/main.js: run `npm run build` first').toBe(true);
    const log = join(work.dir, 'log');
    demo = spawn('sh', ['-c', `exec node ${DEMO} > ${log} 2>&1`], { cwd: work.dir, detached: true, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => demo?.on('exit', (code) => done(code)));
    const text = (): string => (existsSync(log) ? readFileSync(log, 'utf8') : '');

    await eventually('the agent running', async () => text().includes('smartnode is running'), 240_000, 250);
    expect(text()).not.toContain('Genome reads');
    for (const change of CHANGES) {
      await eventually(change, async () => text().includes(change), 90_000, 250);
    }
    // Each change is followed by the plan made after it (at the next tick).
    for (const change of CHANGES) {
      await eventually(
        `the plan after: ${change}`,
        async () => {
          const lines = text().split('\n');
          return lines.slice(lines.findIndex((l) => l.includes(change)) + 1).some((l) => l.includes('re-planned after the change:'));
        },
        15_000,
        250,
      );
    }
    // The new dataset reaches the plan (the feed is re-read within its 10 s refresh) with a reason.
    const newcomer = await eventually(
      'the new dataset in a plan',
      async () => {
        const after = (text().split(CHANGES[2] ?? '')[1] ?? '').split('\n');
        const at = after.findIndex((l) => /^(add|keep|skip|remove)\s+Genome reads/.test(l));
        // A reason too long for its column continues on the line below.
        return at < 0 ? undefined : `${after[at]} ${after[at + 1] ?? ''}`;
      },
      60_000,
      250,
    );
    expect(newcomer).toMatch(/[A-Z_]{5,}: \S+/);
    expect(text()).not.toMatch(/could not change the world|tick failed/);

    process.kill(-(demo.pid ?? 0), 'SIGINT');
    expect(await exited).toBe(130);
    expect(existsSync(join(work.dir, '.smartnode-demo'))).toBe(false);
  }, 420_000);
});
