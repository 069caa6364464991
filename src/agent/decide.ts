/**
 * `smartnode/decide`: one node's whole decision for one tick, as a pure function, for anyone
 * who wants smartnode's real decisions in their own model of a swarm (the simulator uses it).
 *
 *   let memory = initialDecideMemory();
 *   const { plan, next } = planTick(memory, observationOf(view), config, nowMs);
 *   memory = next; // plan.adds / plan.removes: what this node does now
 *
 * planTick reads nothing but its arguments and writes nothing; what it learns (its estimates
 * of the other nodes, stalled downloads) is in `next`, which the caller passes to the next tick.
 * A model of many nodes may pass `{ decisions: 'actionable' }`: the same adds, removes and
 * `next`, with decisions only for the torrents that could be chosen (much less to build).
 */
export { planTick, type PlanTickOptions } from './plan-tick.js';
export { initialDecideMemory, type DecideMemory } from './population.js';
export { observationOf, type HeldView, type NodeView } from './observation-of.js';
export { mergeFeedItems, buildCandidates, type MergedItem } from './candidates.js';
export { reconcileOwnership, type OwnershipOp, type OwnershipView } from './ownership.js';
export type { AgentConfig } from './config.js';
export type { BandwidthPlan, DonatedConfig } from './bandwidth-plan.js';
export type { AddStep, Observation, ObservedSignals, RemoveStep, TickPlan } from './tick-types.js';
export type { Candidate, Decision, Plan, PlanPolicy, Reason, ReasonCode, ScoringPolicy, SignalScoring } from '../plan/index.js';
export type { FeedItem } from '../feeds/index.js';
export type { SwarmCounts } from '../swarm/index.js';
export { DEFAULT_SIGNALS } from '../plan/index.js';
export { toInfoHash, parseInfoHash, type InfoHash } from '../shared/index.js';
