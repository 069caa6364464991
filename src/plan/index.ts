export type {
  Candidate,
  ChosenReasonCode,
  Decision,
  DecisionAction,
  FeedUsage,
  HeldTorrent,
  NotChosenReasonCode,
  Plan,
  PlanCapacity,
  PlanFeedQuota,
  PlanInput,
  PlanPolicy,
  Reason,
  ReasonCode,
  ScoreComponents,
  ScoreResult,
  ScoringPolicy,
} from './types.js';
export {
  DEFAULT_SCORING,
  MIN_SIZE_GB,
  SCORING_VERSION,
  UNKNOWN_SCARCITY,
  countsExcludingSelf,
  isKnownSize,
  leecherDemand,
  needPerGB,
  scoreCandidate,
  seederScarcity,
  swarmNeed,
} from './score.js';
export { planMirror } from './select.js';
export type {
  GeoFactor,
  GeoObservation,
  HerdFactor,
  PopulationObservation,
  ScoreFactors,
  SignalScoring,
  SlowFactor,
  SlowObservation,
  SwarmSignals,
} from './types.js';
export { DEFAULT_SIGNALS, composeNeed, withSignals, type CountsWithSignals } from './score.js';
export { continentOf, countCountries, countryHistogram, geoFactor, measureSpread } from './geo.js';
export { HERD_SHARE, herdDraw, herdFactor, surplusRelease, type SurplusRelease } from './herd.js';
export { explainDecision, formatTopFactors } from './explain-decision.js';
export { describeFactors } from './describe-factors.js';
export { estimateByLittle, estimateFromPeers, slowFactor, type LittleOptions, type PeerSample, type ScrapeSample } from './slow.js';
export { applyActions, diffPlan, type Action } from './diff.js';
export {
  formatCounts,
  formatPlanTable,
  planToJSON,
  summarizePlan,
  type PlanJSON,
  type PlanSummary,
  type PlanTableOptions,
} from './explain.js';
export { formatBytes, formatDuration, formatScore } from './format.js';
export { hasNoSource, planWithAvailability, type AvailabilityInput, type AvailabilityPolicy } from './availability.js';
