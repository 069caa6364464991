/** The policy domain: what a policy file may say, how it is read, and how it is shown. */
export {
  MAX_DURATION_MS,
  MAX_SIZE_BYTES,
  parseDuration,
  parseRate,
  parseSize,
  type UnitResult,
} from './units.js';
export {
  POLICY_VERSION,
  policySchema,
  type DaemonPolicy,
  type FeedFormat,
  type FeedPolicy,
  type FeedFilterPolicy,
  type IntervalsPolicy,
  type LimitsPolicy,
  type Policy,
  type PolicyInput,
  type ScoringPolicy,
  type ScrapePolicy,
  type RequestBudgetPolicy,
  type StoragePolicy,
} from './schema.js';
export { formatPolicyPath, suggestKey, type PolicyPath, type PolicyProblem } from './issues.js';
export { parsePolicyText, type LocatedProblem } from './parse.js';
export {
  loadPolicyFile,
  resolveSecrets,
  type LoadedPolicy,
  type ReadSecretFile,
  type ResolvedSecrets,
  type SecretEnv,
} from './load.js';
export { describePolicySchema, policyJsonSchema, renderPolicyJsonSchema, type JsonSchema } from './json-schema.js';
export { checkPolicyFile, summarizePolicy, type CheckPolicyOptions, type PolicyCheckResult } from './check.js';
export { DAY_NAMES } from './bandwidth-schema.js';
export type { MetricsPolicy, NotifyPolicy } from './schema.js';
export { DEFAULT_METRICS_PORT, NOTIFY_EVENTS, type NotifyEventName } from './ops-schema.js';
export { resolveOpsSecrets, type OpsSecrets, type WebhookTarget } from './ops-secrets.js';
