/**
 * The agent: one reconcile tick (observe -> planTick -> apply), the loop that runs it, and the
 * events it emits. A front end (the CLI, the demo) builds AgentDeps from the parts listed last
 * and AgentConfig from the policy; control, status and the dashboard know only the events and
 * the views they carry.
 */
export type { AgentConfig, AgentDeps, IntegrityConfig } from './config.js';
export { initialCarriedState, restoredCarriedState, runTick, type TickResult } from './tick.js';
export type { CarriedState, Observation, TickPlan } from './tick-types.js';
export { startAgentLoop, tickFinishedEvent, type AgentLoopHandle, type AgentLoopOptions } from './loop.js';

export {
  createEventBus,
  type AgentEvent,
  type AgentEventListener,
  type CandidateView,
  type EventBus,
  type MirrorView,
  type FeedHealthView,
  type OwnedTorrentView,
  type ProgressSample,
  type PopulationSummary,
  type ReasonView,
} from './events.js';

// The pure decision of one node, for a model of many (the simulator; the package's smartnode/decide).
export { planTick, type PlanTickOptions } from './plan-tick.js';
export { observationOf, type HeldView, type NodeView } from './observation-of.js';
export { buildCandidates, mergeFeedItems, type MergedItem } from './candidates.js';
export { initialDecideMemory, type DecideMemory } from './population.js';

// What AgentDeps are built from.
export { openAgentState, type AgentStateStore } from './state.js';
export { createHttpFeedSource } from './live-sources.js';
export { createScrapeCountSource, COUNT_BATCH, RETRY_UNCOUNTED_MS, type CountProgress } from './count-source.js';
export { openCountStore, COUNT_STORE_FILE, type CountStore } from './count-store.js';
export { createHttpTorrentSource, feedCookieFor, type HttpLimits } from './torrent-source.js';
export { createSignalSource } from './observe-signals.js';
export { openScrapeHistory } from './history.js';
export { openProbeCache } from './probe-cache.js';
export { createDigestJobs, type DigestJobs } from './digest-jobs.js';
export { applyBandwidth, createDonatedLimits, localTimeOf, type DonatedLimits } from './bandwidth.js';
export { effectiveRates, planBandwidth, planLimitsFor, type DonatedConfig } from './bandwidth-plan.js';
export { watchPolicyFile, type PolicyWatcher } from './policy-watch.js';
export { feedFilters, filterRejection, rejectionByFeeds, type FeedFilter } from './feed-filter.js';
