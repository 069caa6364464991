/** Setting a node up: the `init` wizard's proposals and files, and the `doctor` checks. */
export { type CheckResult, runDoctor, summarizeChecks } from './doctor.js';
export {
  checkDaemonConnection,
  type ConnectionCheck,
  type DirProposal,
  findLocalDaemonUser,
  proposeDownloadDirs,
  readDaemonSettingsFile,
  suggestMaxSize,
  writeInitFiles,
} from './init.js';
export {
  type FeedChoice,
  feedFormatFromUrl,
  feedIdFromUrl,
  type PasswordSource,
  renderInitPolicy,
} from './policy-text.js';
export { renderServiceUnit, SERVICE_STATE_DIR, SERVICE_UNIT_PATH } from './service-unit.js';
export {
  AT_COOKIE_ENV,
  AT_FEEDS,
  checkAtApiKey,
  feedsFromFlags,
  type FeedInput,
  isAcademicTorrentsUrl,
  readFeedInput,
  SCIOP_FEEDS,
  SUGGESTED_FEEDS,
  withAtCookieEnv,
  withEnvironmentVariable,
} from './feed-choices.js';
