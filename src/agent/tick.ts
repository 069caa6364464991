/**
 * One reconcile tick, three values: observe (IO, no daemon writes) -> planTick (pure) ->
 * apply (IO only, fixed order, idempotent). Level-based: every tick re-reads the daemon; every
 * action is "add if absent" or "remove if present and ours". What carries over to the next
 * tick is the CarriedState returned here, which the loop passes back in.
 */
import type { DaemonTorrent } from '../daemon/index.js';
import type { Action, Plan } from '../plan/index.js';
import { actionEvent, apply } from './apply.js';
import { reportLimits } from './bandwidth.js';
import type { AgentConfig, AgentDeps } from './config.js';
import { createObserveMemo, observe } from './observe.js';
import { planTick } from './plan-tick.js';
import { runIntegrityStep } from './integrity-step.js';
import { initialDecideMemory } from './population.js';
import type { CarriedState, TickPlan } from './tick-types.js';

export function initialCarriedState(): CarriedState {
  return { observe: createObserveMemo(), decide: initialDecideMemory() };
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
  options: { dryRun: boolean; tick: number; carried?: CarriedState },
): Promise<TickResult> {
  const carried = options.carried ?? initialCarriedState();
  const nowMs = deps.clock();
  const observation = await observe(deps, config, carried.observe, nowMs, { dryRun: options.dryRun });
  const { plan: tickPlan, next } = planTick(carried.decide, observation, config, nowMs);
  const { plan, actions } = tickPlan;
  deps.bus.emit({
    type: 'planned',
    atMs: nowMs,
    candidates: observation.candidates.length,
    desired: plan.desired.length,
    adds: actions.filter((a) => a.kind === 'add').length,
    removes: actions.filter((a) => a.kind === 'remove').length,
    capacityBytes: plan.capacityBytes,
    committedBytes: plan.committedBytes,
    ...(tickPlan.population === null
      ? {}
      : {
          population: {
            ...tickPlan.population,
            noSource: plan.decisions.filter((d) => d.reason.code === 'NO_SOURCE').length,
            stalled: plan.decisions.filter((d) => d.reason.code === 'STALLED').length,
          },
        }),
  });
  const base = { plan, actions, tickPlan, torrents: [...observation.torrents] };

  if (options.dryRun) {
    for (const action of actions) deps.bus.emit(actionEvent(action, nowMs, true));
    if (deps.donated !== undefined && tickPlan.bandwidth !== null) reportLimits(deps.bus, deps.donated, tickPlan, nowMs, 0);
    // Nothing was applied: the decisions' memory stays as it was.
    return { ...base, appliedAdds: 0, appliedRemoves: 0, failed: 0, carried: { observe: observation.memo, decide: carried.decide } };
  }

  const applied = await apply(deps, config, tickPlan);
  await runIntegrityStep(deps, config, {
    torrents: observation.torrents,
    merged: observation.merged,
    desired: new Set(plan.desired),
    nowMs,
  });
  return {
    ...base,
    appliedAdds: applied.appliedAdds,
    appliedRemoves: applied.appliedRemoves,
    failed: applied.failed,
    carried: { observe: observation.memo, decide: next },
  };
}
