/**
 * Runs strategies one after another. smartnode's nodes are split over `workers` worker
 * threads (one shard each; one worker: all in this thread); the scripts decide in
 * microseconds, so they run here, where a step costs no messages. The run loop stays in this
 * thread; the result does not depend on the number of workers (run.ts, shard.ts).
 */
import { Worker } from 'node:worker_threads';
import type { AgentConfig } from '../agent/index.js';
import { SmartnodeError } from '../shared/index.js';
import { createWorld, type SimOptions } from './model.js';
import { runStrategy, shardsOf, simulationLoop, type SimRun } from './run.js';
import type { ShardReply } from './shard.js';
import type { SmartnodeStats } from './smartnode.js';
import { createStrategy, type StrategyName } from './strategies.js';
import type { WorkerMessage } from './worker.js';

export interface StrategyOutcome {
  run: SimRun;
  stats: SmartnodeStats | null;
}

/**
 * A decision's garbage (per-candidate objects, megabytes at 10,000 candidates) dies with it:
 * a young generation that holds a few decisions' worth keeps it from being promoted and
 * collected again by a full collection (about a sixth less CPU per decision, measured).
 */
const YOUNG_GENERATION_MB = 384;

/** One worker thread, one request at a time. */
class WorkerShard {
  private readonly worker = new Worker(new URL('./worker.js', import.meta.url), {
    resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
  });

  request(message: WorkerMessage): Promise<ShardReply> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.worker.off('message', onMessage);
        reject(new SmartnodeError('INTERNAL', `simulator worker failed: ${error.message}`, { cause: error }));
      };
      const onMessage = (reply: ShardReply): void => {
        this.worker.off('error', onError);
        resolve(reply);
      };
      this.worker.once('error', onError);
      this.worker.once('message', onMessage);
      this.worker.postMessage(message);
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

export async function runStrategiesInWorkers(
  options: SimOptions,
  strategies: readonly StrategyName[],
  config: AgentConfig,
  workers: number,
  /** Called after each tick of each strategy's run, with the simulated time it reached (progress, a benchmark's per-day timings). */
  onStep?: (nowMs: number, strategy: StrategyName) => void,
): Promise<Map<StrategyName, StrategyOutcome>> {
  const results = new Map<StrategyName, StrategyOutcome>();
  const members = shardsOf(options, workers);
  const sharded: StrategyName[] = members.length > 1 ? strategies.filter((s) => s === 'smartnode') : [];
  for (const name of strategies) {
    if (sharded.includes(name)) continue;
    const { stats, ...run } = runStrategy(options, createStrategy(name, config, createWorld(options)), (nowMs) => onStep?.(nowMs, name));
    results.set(name, { run, stats });
  }
  if (sharded.length === 0) return results;
  const pool = members.map(() => new WorkerShard());
  try {
    for (const strategy of sharded) {
      await Promise.all(pool.map((w, k) => w.request({ kind: 'init', options, strategy, config, members: members[k] ?? [] })));
      const loop = simulationLoop(options, strategy, members);
      let next = loop.next();
      while (!next.done) {
        const request = next.value;
        next = loop.next(await Promise.all(pool.map((w) => w.request(request))));
        if (request.kind === 'tick') onStep?.(request.nowMs, strategy);
      }
      const { stats, ...run } = next.value;
      results.set(strategy, { run, stats });
    }
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return results;
}
