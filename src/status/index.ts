/**
 * The status model, pure: what the agent's events add up to (a StatusSnapshot), the mirror as
 * `status` and the dashboard show it, and the plain-text status. Both ends of the control
 * socket and the dashboard build on it; none of it does IO.
 */
export { buildMirrorView, DEFAULT_CANDIDATE_LIMIT, type MirrorViewInput } from './mirror-view.js';
export {
  initialStatus,
  reduceStatus,
  DECISION_LOG_LIMIT,
  STATUS_PROTOCOL,
  type StatusSnapshot,
  type DecisionEntry,
  type FeedStatus,
  type PlanSummaryView,
  type AgentRunState,
  type DaemonLinkState,
  type BandwidthView,
  type Notice,
} from './status-model.js';
export { formatStatusText } from './status-text.js';
export { computeCollectionHealth, describeFeedHealth, shareOf, type HealthInput } from './collection-health.js';
