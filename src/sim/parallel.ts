/**
 * Runs strategies on worker threads (`workers` 1: all in this thread). The scripts decide in
 * microseconds, so each runs whole in one worker, where a step costs no messages, up to
 * `workers` of them at once; beside them smartnode's nodes are split over `workers` more (one
 * shard each), with the run loop in this thread. The result does not depend on the number of
 * workers (run.ts, shard.ts).
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
  private readonly worker: Worker;

  /** `decides`: the worker runs smartnode's decisions (a young generation sized for them); a script's run needs no more than the default. */
  constructor(decides: boolean) {
    this.worker = new Worker(
      new URL('./worker.js', import.meta.url),
      decides ? { resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } } : {},
    );
  }

  request(message: WorkerMessage): Promise<ShardReply> {
    return this.send(message);
  }

  /** One strategy's whole run in the worker. */
  run(message: Extract<WorkerMessage, { kind: 'run' }>): Promise<StrategyOutcome> {
    return this.send(message);
  }

  private send<R>(message: WorkerMessage): Promise<R> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.worker.off('message', onMessage);
        reject(new SmartnodeError('INTERNAL', `simulator worker failed: ${error.message}`, { cause: error }));
      };
      const onMessage = (reply: R): void => {
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
  const done = new Map<StrategyName, StrategyOutcome>();
  const members = shardsOf(options, workers);
  const sharded: StrategyName[] = members.length > 1 ? strategies.filter((s) => s === 'smartnode') : [];
  const whole = strategies.filter((s) => !sharded.includes(s));
  if (workers <= 1) {
    for (const name of whole) {
      const { stats, ...run } = runStrategy(options, createStrategy(name, config, createWorld(options)), (nowMs) => onStep?.(nowMs, name));
      done.set(name, { run, stats });
    }
    return inOrder(strategies, done);
  }
  // The scripts' whole runs and smartnode's shards at once, each on workers of its own: while
  // the shards wait on each other or on this thread's world step, the cores run the scripts.
  const runners = Array.from({ length: Math.min(workers, whole.length) }, () => new WorkerShard(whole.includes('smartnode')));
  const shards = sharded.length > 0 ? members.map(() => new WorkerShard(true)) : [];
  const queue = [...whole];
  const runWhole = async (w: WorkerShard): Promise<void> => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      done.set(name, await w.run({ kind: 'run', options, strategy: name, config }));
    }
  };
  const runSharded = async (): Promise<void> => {
    for (const strategy of sharded) {
      await Promise.all(shards.map((w, k) => w.request({ kind: 'init', options, strategy, config, members: members[k] ?? [] })));
      const loop = simulationLoop(options, strategy, members);
      let next = loop.next();
      while (!next.done) {
        const request = next.value;
        next = loop.next(await Promise.all(shards.map((w) => w.request(request))));
        if (request.kind === 'tick') onStep?.(request.nowMs, strategy);
      }
      const { stats, ...run } = next.value;
      done.set(strategy, { run, stats });
    }
  };
  try {
    await Promise.all([...runners.map(runWhole), runSharded()]);
  } finally {
    await Promise.all([...runners, ...shards].map((w) => w.terminate()));
  }
  return inOrder(strategies, done);
}

/** The outcomes in the order the strategies were given, whichever finished first. */
function inOrder(
  strategies: readonly StrategyName[],
  done: ReadonlyMap<StrategyName, StrategyOutcome>,
): Map<StrategyName, StrategyOutcome> {
  const out = new Map<StrategyName, StrategyOutcome>();
  for (const name of strategies) {
    const outcome = done.get(name);
    if (outcome !== undefined) out.set(name, outcome);
  }
  return out;
}
