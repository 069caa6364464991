/**
 * A worker thread holding one shard of the simulated nodes: the main thread's run loop sends
 * `init` (options, strategy, its nodes' indexes) and then every shard request, and gets each reply back.
 * Or, between sharded runs, `run`: one strategy's whole run, every node in this thread.
 */
import { parentPort } from 'node:worker_threads';
import type { AgentConfig } from '../agent/index.js';
import { createWorld, type SimOptions } from './model.js';
import { runStrategy, stepsPerTickOf } from './run.js';
import { Shard, type ShardRequest } from './shard.js';
import { createStrategy, mixedStrategyOf, type StrategyName } from './strategies.js';

export type WorkerMessage =
  | { kind: 'init'; options: SimOptions; strategy: StrategyName; config: AgentConfig; members: number[] }
  /** A whole run of one strategy in this thread; the reply is its outcome (parallel.ts, StrategyOutcome). */
  | { kind: 'run'; options: SimOptions; strategy: StrategyName; config: AgentConfig }
  | ShardRequest;

let shard: Shard | null = null;

parentPort?.on('message', (message: WorkerMessage) => {
  if (message.kind === 'init') {
    const strategy = createStrategy(message.strategy, message.config, createWorld(message.options));
    shard = new Shard(message.options, strategy, message.members, stepsPerTickOf(message.options), mixedStrategyOf(message.options));
    parentPort?.postMessage({ ok: true });
    return;
  }
  if (message.kind === 'run') {
    const { stats, ...run } = runStrategy(message.options, createStrategy(message.strategy, message.config, createWorld(message.options)));
    parentPort?.postMessage({ run, stats });
    return;
  }
  if (shard === null) throw new Error('simulator worker: a request came before init');
  parentPort?.postMessage(shard.handle(message));
});
