/** Runs strategies on worker threads (one strategy a job, `workers` at a time). */
import { Worker } from 'node:worker_threads';
import type { AgentConfig } from '../agent/index.js';
import { SmartnodeError } from '../shared/index.js';
import type { SimOptions } from './model.js';
import type { SimRun } from './run.js';
import type { SmartnodeStats } from './smartnode.js';
import type { StrategyName } from './strategies.js';
import type { WorkerJob } from './worker.js';

export interface StrategyOutcome {
  run: SimRun;
  stats: SmartnodeStats | null;
}

export async function runStrategiesInWorkers(
  options: SimOptions,
  strategies: readonly StrategyName[],
  config: AgentConfig,
  workers: number,
): Promise<Map<StrategyName, StrategyOutcome>> {
  const queue = [...strategies];
  const results = new Map<StrategyName, StrategyOutcome>();
  const runOne = (worker: Worker, strategy: StrategyName): Promise<StrategyOutcome> =>
    new Promise((resolve, reject) => {
      const onError = (error: Error): void =>
        reject(new SmartnodeError('INTERNAL', `simulation of ${strategy} failed: ${error.message}`, { cause: error }));
      worker.once('error', onError);
      worker.once('message', (message: StrategyOutcome) => {
        worker.off('error', onError);
        resolve(message);
      });
      const job: WorkerJob = { options, strategy, config };
      worker.postMessage(job);
    });
  const lane = async (): Promise<void> => {
    const worker = new Worker(new URL('./worker.js', import.meta.url));
    try {
      for (let next = queue.shift(); next !== undefined; next = queue.shift()) results.set(next, await runOne(worker, next));
    } finally {
      await worker.terminate();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(workers, strategies.length)) }, lane));
  return results;
}
