/**
 * `smartnode simulate` splits smartnode's nodes over worker threads; the result must not depend
 * on how many. Runs the built CLI (workers load dist/sim/worker.js).
 */
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { defaultSimConfig } from '../../dist/cli/index.js';
import { DEFAULT_SIM, runStrategiesInWorkers, SIM_START_MS } from '../../dist/sim/index.js';

const run = promisify(execFile);

async function simulate(
  workers: number,
  world: string[] = [],
): Promise<{ metrics: Array<Record<string, unknown>>; series: unknown; speed: unknown }> {
  const args = ['--nodes', '24', '--torrents', '200', '--days', '1', '--seed', '5', '--strategies', 'smartnode,uniform-random', ...world];
  const { stdout } = await run(process.execPath, ['bin/smartnode.js', 'simulate', ...args, '--json', '--workers', String(workers)]);
  return JSON.parse(stdout);
}

describe('simulate on worker threads', () => {
  beforeAll(async () => {
    await stat('dist/sim/worker.js').catch(() => {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    });
  });

  it('gives the same metrics and series with 1, 2 and 3 workers', async () => {
    const [one, two, three] = await Promise.all([simulate(1), simulate(2), simulate(3)]);
    const plain = (r: Awaited<ReturnType<typeof simulate>>) => ({ metrics: r.metrics.map((m) => ({ ...m, wallMs: 0 })), series: r.series });
    expect(plain(one).metrics[0]).toMatchObject({ strategy: 'smartnode', nodes: 24 });
    expect(one.metrics[0]?.adds).toBeGreaterThan(0);
    expect(plain(two)).toEqual(plain(one));
    expect(plain(three)).toEqual(plain(one));
    expect(three.speed).toMatchObject({ workers: 3 });
  }, 120_000);

  it('gives the same result with 1 and 2 workers in a world of late joiners, churn and a mixed population', async () => {
    const world = ['--world', 'mixed', '--arrival-days', '0.5', '--churn', '0.3'];
    const [one, two] = await Promise.all([simulate(1, world), simulate(2, world)]);
    const plain = (r: Awaited<ReturnType<typeof simulate>>) => ({ metrics: r.metrics.map((m) => ({ ...m, wallMs: 0 })), series: r.series });
    expect(one.metrics[0]).toMatchObject({ strategy: 'smartnode', nodes: 24, replacedNodes: 7 });
    expect(plain(two)).toEqual(plain(one));
  }, 120_000);

  it('reports each step of a sharded run with its simulated time, in order, to the end of the run', async () => {
    const seen: number[] = [];
    const options = { ...DEFAULT_SIM, nodes: 6, torrents: 60, days: 2 };
    await runStrategiesInWorkers(options, ['smartnode'], defaultSimConfig(), 2, (nowMs) => seen.push(nowMs));
    const stepMs = 10 * 60_000;
    expect(seen.length).toBe((2 * 86_400_000) / stepMs);
    expect(seen[0]).toBe(SIM_START_MS);
    expect(seen.every((t, i) => i === 0 || t - (seen[i - 1] as number) === stepMs)).toBe(true);
  }, 120_000);
});
