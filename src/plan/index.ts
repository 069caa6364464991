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
export { SPARE_COPIES_MULTIPLE, SPARE_FILL_SHARE, fillSpare, spareDesignated, spareOpen, type SpareFill } from './spare.js';
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
export { DEFAULT_SIGNALS, composeNeed, hasZeroNeed, hasZeroNeedUnobserved, withSignals, type CountsWithSignals } from './score.js';
export { continentOf, countCountries, countryHistogram, geoFactor, measureSpread } from './geo.js';
export {
  GATE_DOUBLING_MS,
  GATE_START,
  HERD_SHARE,
  UNCOUNTED_SHARE,
  herdDraw,
  herdFactor,
  nextGate,
  surplusRelease,
  type SurplusRelease,
} from './herd.js';
export { explainDecision, formatTopFactors } from './explain-decision.js';
export { describeCompetitors, describeSources, factorClauses, herdSentence } from './describe-factors.js';
export { estimateByLittle, estimateFromPeers, slowFactor, type LittleOptions, type PeerSample, type ScrapeSample } from './slow.js';
export { diffPlan, type Action } from './diff.js';
export {
  formatCounts,
  formatPlanTable,
  planToJSON,
  summarizePlan,
  type PlanJSON,
  type PlanSummary,
  type PlanTableOptions,
} from './explain.js';
export { hasNoSource, planWithAvailability, type AvailabilityInput } from './availability.js';
export type { AvailabilityPolicy } from './types.js';
export {
  billingPeriod,
  type CappedRate,
  capRate,
  type LocalTime,
  type RateRules,
  ratesAt,
  shareByNeed,
  type ShareClaim,
  utcDay,
} from './bandwidth.js';
export { describeReserveBreach } from './reasons.js';
// The planner's entry point under donated limits (disk reserve, budget, eviction confirmation).
export {
  type DeferredAdd,
  type LimitedPlan,
  NO_LIMITS,
  type PendingEviction,
  type PlanLimits,
  planWithinLimits,
  type ReserveBreach,
} from './limits.js';
