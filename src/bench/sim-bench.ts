/**
 * Simulator benchmark: smartnode's real decision (planTick, planning only what can act) in
 * the target world itself, 1,000 nodes x 10,000 torrents x 30 days of hourly ticks, its nodes
 * split over worker threads (the cores). Target: the 30-day run within 10 minutes on this
 * machine. The wall time counts the world's own steps and the workers' messages.
 *
 * A decision's cost follows the torrents a node weighs (those below target, and its own), so
 * the first days, with every node filling an empty mirror, cost several times what a day
 * costs once the swarm is served: the bench prints the first and the last simulated day's wall
 * time. SIM_BENCH_DAYS=N runs the first N days only and projects the 30 from their cost per
 * decision, which overstates the full run (a quick look, not the figure).
 *
 * The 10,000 nodes x 100,000 torrents estimate is `smartnode simulate`'s own (speedOf): the
 * measured cost per candidate a decision weighs, ten times the candidates and ten times the
 * decisions, on the same cores.
 *
 * Run alone: `npm run build && node dist/bench/sim-bench.js`. The figures are wall times:
 * note the machine's load beside them (`uptime`).
 */
import { availableParallelism, loadavg } from 'node:os';
import { defaultSimConfig, speedOf } from '../cli/index.js';
import { DEFAULT_SIM, runStrategiesInWorkers, SIM_START_MS } from '../sim/index.js';
import { isMainModule, runBenchMain, type Figures } from './entry.js';

const TARGET = { nodes: 1_000, torrents: 10_000, days: 30, wallS: 600 };

const DAY_MS = 86_400_000;

export async function benchSim(days = Number(process.env['SIM_BENCH_DAYS'] ?? TARGET.days)): Promise<Figures> {
  const config = defaultSimConfig();
  const workers = availableParallelism();
  const options = { ...DEFAULT_SIM, nodes: TARGET.nodes, torrents: TARGET.torrents, days };
  const loadBefore = loadavg()[0] ?? 0;
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  // Wall time of each simulated day, from the steps' simulated clock.
  const dayWallS: number[] = [];
  let dayStarted = started;
  const onStep = (nowMs: number): void => {
    const day = Math.floor((nowMs - SIM_START_MS) / DAY_MS);
    if (day <= dayWallS.length) return;
    const now = performance.now();
    dayWallS.push((now - dayStarted) / 1000);
    dayStarted = now;
  };
  const outcome = (await runStrategiesInWorkers(options, ['smartnode'], config, workers, onStep)).get('smartnode');
  dayWallS.push((performance.now() - dayStarted) / 1000);
  const wallS = (performance.now() - started) / 1000;
  // The process's CPU time, workers included: what the run cost whatever else the cores ran.
  const cpu = process.cpuUsage(cpuBefore);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const stats = outcome?.stats;
  if (stats === undefined || stats === null || stats.decisions === 0) throw new Error('sim bench: smartnode made no decisions');
  const ticksPerDay = (24 * 60) / options.tickMinutes;
  const targetDecisions = TARGET.nodes * TARGET.days * ticksPerDay;
  const scale = days >= TARGET.days ? 1 : targetDecisions / stats.decisions;
  const projectedS = wallS * scale;
  const speed = speedOf(stats, options, workers);
  const ratio = projectedS / TARGET.wallS;
  return {
    workers,
    loadAverage1m: `${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after`,
    simulatedDays: days,
    decisions: stats.decisions,
    candidatesPerDecision: Math.round(speed.candidatesPerDecision),
    decideMsPerDecision: Number(speed.msPerDecision.toFixed(2)),
    usPerCandidate: Number(speed.usPerCandidate.toFixed(3)),
    wallS: Number(wallS.toFixed(1)),
    firstDayWallS: Number((dayWallS[0] ?? 0).toFixed(1)),
    lastDayWallS: Number((dayWallS[dayWallS.length - 1] ?? 0).toFixed(1)),
    wallMsPerDecision: Number(((1000 * wallS) / stats.decisions).toFixed(2)),
    cpuS: Number(cpuS.toFixed(1)),
    // On cores of its own the run would take about its CPU time over the workers.
    [days >= TARGET.days ? 'full30dCpuOverWorkersS' : 'projected30dCpuOverWorkersS']: Number(((cpuS * scale) / workers).toFixed(0)),
    [days >= TARGET.days ? 'full30dWallS' : 'projected30dWallS']: Number(projectedS.toFixed(0)),
    wallVsTarget600s: Number(ratio.toFixed(2)),
    estimate10000x100000x30dMsPerDecision: Number(speed.estimate.msPerDecision.toFixed(0)),
    estimate10000x100000x30dHours: Number(speed.estimate.hours.toFixed(1)),
    simVerdict: ratio <= 1 ? 'within target' : `MISS: ${ratio.toFixed(1)}x the 600 s target`,
  };
}

if (isMainModule(import.meta.url)) runBenchMain(benchSim, (f) => f['simVerdict'] === 'within target');
