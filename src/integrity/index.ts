/** The integrity domain: is the mirrored data right, and what to do when it is not. */
export {
  INTEGRITY_CODES,
  MAX_PRESENCE_FILES,
  describeIntegrity,
  freshIntegrityRecord,
  integrityRecordSchema,
  toIntegrityView,
  type IntegrityCode,
  type IntegrityFinding,
  type IntegrityRecord,
  type IntegrityView,
} from './record.js';
export { compareDigests, judgeDigest, type DigestComparison } from './judge.js';
export {
  decideIntegrity,
  digestRetryDelayMs,
  isBusyWindow,
  nextVerifyAllowedAtMs,
  pickScheduledVerify,
  type DigestOutcome,
  type IntegrityDecision,
  type IntegritySchedule,
  type IntegrityStep,
  type IntegrityTorrent,
} from './decide.js';
export { HASH_CHUNK_BYTES, hashContent, readFileChunks, type ContentHashes, type HashFile, type HashOptions } from './digest.js';
