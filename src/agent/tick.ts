/**
 * One reconcile tick, three values: observe (IO, no daemon writes) -> planTick (pure) ->
 * apply (IO only, fixed order, idempotent). Level-based: every tick re-reads the daemon; every
 * action is "add if absent" or "remove if present and ours". What carries over to the next
 * tick is the CarriedState returned here, which the loop passes back in.
 */
import type { DaemonTorrent } from '../daemon/index.js';
import type { Action, Plan } from '../plan/index.js';
import { stoppingError } from '../shared/index.js';
import { apply } from './apply.js';
import { applyDiskFullRestarts } from './disk-full.js';
import type { AgentConfig, AgentDeps } from './config.js';
import { createObserveMemo, observe } from './observe.js';
import { plannedEvent, planTick } from './plan-tick.js';
import { initialDecideMemory } from './population.js';
import type { CarriedState, TickPlan } from './tick-types.js';

export function initialCarriedState(): CarriedState {
  return { observe: createObserveMemo(), decide: initialDecideMemory() };
}

/**
 * What a tick starts from in a new process: what the decisions learnt (competitor estimate,
 * usual swarm levels, stall backoffs) as the agent state kept it, with a warning when that
 * memory could not be used. The loop, `plan` and `explain` all start here, so a dry run shows
 * the decisions the running agent would take.
 */
export function restoredCarriedState(deps: Pick<AgentDeps, 'state'>): { carried: CarriedState; warning: string | null } {
  const restored = deps.state.readDecideMemory();
  return { carried: { observe: createObserveMemo(), decide: restored.memory }, warning: restored.warning };
}

export interface TickResult {
  plan: Plan;
  actions: Action[];
  tickPlan: TickPlan;
  /** Actions carried out (0 in a dry run). */
  appliedAdds: number;
  appliedRemoves: number;
  failed: number;
  torrents: DaemonTorrent[];
  /** What the next tick starts from. */
  carried: CarriedState;
}

export async function runTick(
  deps: AgentDeps,
  config: AgentConfig,
  options: {
    dryRun: boolean;
    tick: number;
    carried?: CarriedState;
    /** Once aborted, no further action starts: the one under way finishes, the rest wait for the next run. */
    stop?: AbortSignal;
  },
): Promise<TickResult> {
  const carried = options.carried ?? initialCarriedState();
  const nowMs = deps.clock();
  const observation = await observe(deps, config, carried.observe, nowMs, { dryRun: options.dryRun, stop: options.stop });
  // A stop during observe (its requests were abandoned) ends the tick before anything is planned on a partial view.
  const stopped = (): boolean => options.stop?.aborted === true;
  if (stopped()) throw stoppingError();
  const { plan: tickPlan, next } = planTick(carried.decide, observation, config, nowMs);
  deps.bus.emit(plannedEvent(observation, tickPlan));
  const applied = await apply(deps, config, tickPlan, { dryRun: options.dryRun, stop: options.stop });
  if (!options.dryRun && !stopped()) await applyDiskFullRestarts(deps, observation.torrents, observation.ownership.owned, tickPlan);
  return {
    plan: tickPlan.plan,
    actions: tickPlan.actions,
    tickPlan,
    torrents: [...observation.torrents],
    appliedAdds: applied.appliedAdds,
    appliedRemoves: applied.appliedRemoves,
    failed: applied.failed,
    // A dry run applied nothing: the decisions' memory stays as it was.
    carried: { observe: observation.memo, decide: options.dryRun ? carried.decide : next },
  };
}
