/**
 * A worker thread running strategies on the simulator's world: the main thread hands each a
 * strategy, the same options and seed, and gets its metrics and series back.
 */
import { parentPort } from 'node:worker_threads';
import type { AgentConfig } from '../agent/index.js';
import { createWorld, type SimOptions } from './model.js';
import { runStrategy } from './run.js';
import { createStrategy, type StrategyName } from './strategies.js';

export interface WorkerJob {
  options: SimOptions;
  strategy: StrategyName;
  config: AgentConfig;
}

parentPort?.on('message', (job: WorkerJob) => {
  const strategy = createStrategy(job.strategy, job.config, createWorld(job.options));
  const run = runStrategy(job.options, strategy);
  const stats = 'stats' in strategy ? strategy.stats : null;
  parentPort?.postMessage({ run, stats });
});
