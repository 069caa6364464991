/**
 * Simulator matrix benchmark: `smartnode simulate --matrix` as it runs, every named world
 * against every strategy at 200 nodes x 2,000 torrents, over all cores. Target: the 14-day
 * matrix within 15 minutes on this 2-core machine, with the shadow run finding no decision
 * changed by the simulator's shortcuts.
 *
 * SIM_MATRIX_DAYS=N (default 2) runs N days and projects 14 from them: the first days, with
 * every node filling an empty mirror, cost the most per day, so the projection overstates the
 * full run. The verdict reads the projected CPU time over the cores, which other load on the
 * machine does not inflate the way it does the wall time (both are printed; note `uptime`).
 *
 * Run alone: `npm run build && node dist/bench/matrix-bench.js`.
 */
import { availableParallelism, loadavg } from 'node:os';
import { defaultSimConfig } from '../cli/index.js';
import { DEFAULT_SIM, MATRIX_STRATEGIES, WORLDS, runMatrix } from '../sim/index.js';
import { isMainModule, runBenchMain, type Figures } from './entry.js';

const TARGET = { days: 14, wallS: 900 };

export async function benchMatrix(days = Number(process.env['SIM_MATRIX_DAYS'] ?? 2)): Promise<Figures> {
  const workers = availableParallelism();
  const loadBefore = loadavg()[0] ?? 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const worldWallS: string[] = [];
  const rows = await runMatrix({ ...DEFAULT_SIM, days }, WORLDS, MATRIX_STRATEGIES, defaultSimConfig(), workers, {}, (row) => {
    worldWallS.push(`${row.world} ${(row.wallMs / 1000).toFixed(0)}`);
  });
  const wallS = (performance.now() - started) / 1000;
  // The process's CPU time, worker threads included.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const scale = TARGET.days / days;
  const projectedCpuOverWorkersS = (cpuS * scale) / workers;
  const shadowTicks = rows.reduce((a, r) => a + (r.shadow?.ticks ?? 0), 0);
  const shadowChanged = rows.reduce((a, r) => a + (r.shadow?.changed ?? 0), 0);
  const met = projectedCpuOverWorkersS <= TARGET.wallS && shadowChanged === 0 && shadowTicks > 0;
  return {
    workers,
    loadAverage1m: `${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after`,
    simulatedDays: days,
    worldsWallS: worldWallS.join(', '),
    wallS: Number(wallS.toFixed(1)),
    cpuS: Number(cpuS.toFixed(1)),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    [days >= TARGET.days ? 'wall14dS' : 'projected14dWallS']: Number((wallS * scale).toFixed(0)),
    [days >= TARGET.days ? 'cpuOverWorkers14dS' : 'projected14dCpuOverWorkersS']: Number(projectedCpuOverWorkersS.toFixed(0)),
    shadowTicks,
    shadowChanged,
    matrixVerdict: met
      ? 'within target'
      : shadowChanged > 0 || shadowTicks === 0
        ? `MISS: the shadow run changed ${shadowChanged} of ${shadowTicks} decisions`
        : `MISS: ${(projectedCpuOverWorkersS / TARGET.wallS).toFixed(1)}x the 900 s target`,
  };
}

if (isMainModule(import.meta.url)) runBenchMain(benchMatrix, (f) => f['matrixVerdict'] === 'within target');
