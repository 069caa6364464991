/**
 * The agent loop: a tick every interval, backoff on failure (retryable errors retry sooner),
 * pause/resume and "tick now" from the control endpoint, and a clean stop: an abort lets the
 * action under way finish and starts no other (never half-way through a daemon call).
 */
import { SmartnodeError, isStopping, toErrorView } from '../shared/index.js';
import type { AgentEvent } from './events.js';
import type { AgentConfig, AgentDeps } from './config.js';
import { restoredCarriedState, runTick, type TickResult } from './tick.js';

export interface AgentLoopOptions {
  tickIntervalMs: number;
  dryRun: boolean;
  signal: AbortSignal;
  /** Called with each successful tick's result (the CLI prints plans from it). */
  onTick?: (result: TickResult) => void;
  /** Re-reads the config before each tick (live policy edits land here later). */
  readConfig: () => AgentConfig;
}

export interface AgentLoopHandle {
  /** Wakes the loop to tick at once; false when it is not waiting (a tick is running, or it stopped). */
  tickNow(): boolean;
  readonly done: Promise<void>;
  nextTickAtMs(): number | null;
}

const MIN_BACKOFF_MS = 1000;

export function startAgentLoop(deps: AgentDeps, options: AgentLoopOptions): AgentLoopHandle {
  let wake: (() => void) | null = null;
  let nextAt: number | null = null;
  let tick = 0;
  let failures = 0;
  // What one tick hands the next (observe memo, the decisions' memory); what the decisions
  // learnt survives a restart in the agent state.
  const restored = restoredCarriedState(deps);
  if (restored.warning !== null) deps.bus.emit({ type: 'state-warning', atMs: deps.clock(), message: restored.warning });
  let carried = restored.carried;
  const keepDecideMemory = (): void => {
    try {
      deps.state.writeDecideMemory(carried.decide);
    } catch (error) {
      // Only the estimates are at stake: the tick stands, the next one writes again.
      deps.bus.emit({ type: 'state-warning', atMs: deps.clock(), message: error instanceof Error ? error.message : String(error) });
    }
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      nextAt = deps.clock() + ms;
      deps.bus.emit({ type: 'tick-scheduled', atMs: deps.clock(), nextTickAtMs: nextAt });
      const timer = setTimeout(done, ms);
      const onAbort = (): void => done();
      function done(): void {
        clearTimeout(timer);
        options.signal.removeEventListener('abort', onAbort);
        wake = null;
        nextAt = null;
        resolve();
      }
      wake = done;
      options.signal.addEventListener('abort', onAbort, { once: true });
    });

  const loop = async (): Promise<void> => {
    while (!options.signal.aborted) {
      if (deps.state.isPaused()) {
        await sleep(options.tickIntervalMs);
        continue;
      }
      tick++;
      const started = deps.clock();
      deps.bus.emit({ type: 'tick-started', atMs: started, tick });
      let waitMs = options.tickIntervalMs;
      try {
        const result = await runTick(deps, options.readConfig(), { dryRun: options.dryRun, tick, carried, stop: options.signal });
        carried = result.carried;
        if (!options.dryRun) keepDecideMemory();
        failures = 0;
        deps.bus.emit(tickFinishedEvent(result, { tick, startedAtMs: started, nowMs: deps.clock(), dryRun: options.dryRun }));
        options.onTick?.(result);
      } catch (error) {
        // A tick ended by the stop is no failure: the agent simply stops.
        if (options.signal.aborted && isStopping(error)) break;
        failures++;
        // Announce the daemon again once it answers (it may have been restarted or upgraded).
        if (error instanceof SmartnodeError && error.code === 'DAEMON_UNREACHABLE')
          carried = { ...carried, observe: { ...carried.observe, daemonVersion: null } };
        waitMs = backoffMs(error, failures, options.tickIntervalMs);
        deps.bus.emit({ type: 'tick-failed', atMs: deps.clock(), tick, error: toErrorView(error), retryInMs: waitMs });
      }
      if (options.signal.aborted) break;
      await sleep(waitMs);
    }
  };

  return {
    tickNow: () => {
      if (wake === null) return false;
      wake();
      return true;
    },
    done: loop(),
    nextTickAtMs: () => nextAt,
  };
}

/** Retryable errors back off exponentially from 1 s up to the tick interval; others wait a tick. */
export function backoffMs(error: unknown, failures: number, tickIntervalMs: number): number {
  const retryable = error instanceof SmartnodeError ? error.retryable : false;
  if (!retryable) return tickIntervalMs;
  return Math.min(tickIntervalMs, MIN_BACKOFF_MS * 2 ** Math.min(failures - 1, 16));
}

/** The tick-finished event: in a dry run it counts the planned actions, otherwise the applied ones. */
export function tickFinishedEvent(
  result: TickResult,
  at: { tick: number; startedAtMs: number; nowMs: number; dryRun: boolean },
): AgentEvent {
  return {
    type: 'tick-finished',
    atMs: at.nowMs,
    tick: at.tick,
    durationMs: at.nowMs - at.startedAtMs,
    adds: at.dryRun ? result.actions.filter((a) => a.kind === 'add').length : result.appliedAdds,
    removes: at.dryRun ? result.actions.filter((a) => a.kind === 'remove').length : result.appliedRemoves,
    failed: result.failed,
    dryRun: at.dryRun,
  };
}
