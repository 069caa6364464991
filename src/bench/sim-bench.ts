/**
 * Simulator benchmark: smartnode's real decision (planTick) for 200 nodes over a
 * 10,000-torrent world for the first two hours, its nodes split over worker threads (the
 * cores). Target (issue's speed target): 1,000 nodes x 10,000 torrents x 30 days of hourly
 * ticks within 10 minutes on this machine, projected from this run's wall time per decision
 * (the world's own steps are counted in it, a slight overestimate). The first hours start
 * from empty mirrors; later ticks weigh about as many candidates (torrents below target and
 * a node's own).
 *
 * Run alone: `npm run build && node dist/bench/sim-bench.js`.
 */
import { availableParallelism } from 'node:os';
import { defaultSimConfig } from '../cli/index.js';
import { DEFAULT_SIM, runStrategiesInWorkers } from '../sim/index.js';
import { isMainModule, runBenchMain, type Figures } from './entry.js';

const NODES = 200;
const TORRENTS = 10_000;
const DAYS = 2 / 24;
const TARGET = { nodes: 1_000, days: 30, wallMinutes: 10 };

export async function benchSim(): Promise<Figures> {
  const config = defaultSimConfig();
  const workers = availableParallelism();
  const options = { ...DEFAULT_SIM, nodes: NODES, torrents: TORRENTS, days: DAYS };
  const started = performance.now();
  const outcome = (await runStrategiesInWorkers(options, ['smartnode'], config, workers)).get('smartnode');
  const wallMs = performance.now() - started;
  const stats = outcome?.stats;
  if (stats === undefined || stats === null || stats.decisions === 0) throw new Error('sim bench: smartnode made no decisions');
  const targetDecisions = (TARGET.nodes * TARGET.days * 24 * 60) / options.tickMinutes;
  const projectedMinutes = ((wallMs / stats.decisions) * targetDecisions) / 60_000;
  return {
    workers,
    decisions: stats.decisions,
    candidatesPerDecision: Math.round(stats.candidates / stats.decisions),
    decideMsPerDecision: Number((stats.decideMs / stats.decisions).toFixed(2)),
    usPerCandidate: Number(((1000 * stats.decideMs) / stats.candidates).toFixed(2)),
    wallS: Number((wallMs / 1000).toFixed(1)),
    projected1000x10000x30dMinutes: Number(projectedMinutes.toFixed(0)),
    projectedVsTarget: Number((projectedMinutes / TARGET.wallMinutes).toFixed(1)),
    simVerdict: projectedMinutes <= TARGET.wallMinutes ? 'within target' : `MISS: ${projectedMinutes.toFixed(0)} min projected`,
  };
}

if (isMainModule(import.meta.url)) runBenchMain(benchSim, (f) => f['simVerdict'] === 'within target');
