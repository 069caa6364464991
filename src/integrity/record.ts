/**
 * What the agent remembers about the integrity of each owned torrent (kept in agent state):
 * when its data was last known whole, a daemon verify under way, a repair under way, the last
 * finding, and how often a digest mismatch was fetched again. Pure types and their schema.
 */
import { z } from 'zod';

export const INTEGRITY_CODES = [
  /** The daemon's verify found every piece good. */
  'VERIFIED',
  /** The feed's content digest matched the bytes on disk. */
  'DIGEST_OK',
  /** A verify found pieces bad or missing; the daemon downloads them again. */
  'BAD_PIECES',
  /** The pieces a verify found bad are downloaded again: the data is whole. */
  'REPAIRED',
  /** Files are gone under the daemon (deleted, a disk unmounted). */
  'DATA_VANISHED',
  /** Vanished data the verify could not find at all: the torrent was added again to fetch it afresh. */
  'REFETCHED',
  /** The bytes do not hash to the digest the feed states. */
  'CORRUPT',
  /** The content check could not run (the .torrent's host down, a read error): tried again later. */
  'CHECK_FAILED',
] as const;
export type IntegrityCode = (typeof INTEGRITY_CODES)[number];

const findingSchema = z.object({
  atMs: z.number(),
  code: z.enum(INTEGRITY_CODES),
  text: z.string(),
  /** For CORRUPT: `<algorithm>:<hex>` as the feed states it and as the bytes hash. */
  expected: z.string().optional(),
  actual: z.string().optional(),
});

export const integrityRecordSchema = z.object({
  /** ms; when the agent first saw the torrent complete; null until then (and after a re-fetch). */
  completedAtMs: z.number().nullable(),
  /** ms; the last check that found the data whole (pieces as they arrived, a verify, a digest). */
  lastVerifiedAtMs: z.number().nullable(),
  /** A daemon verify the agent started and has not yet seen finish. */
  verifying: z.object({ startedAtMs: z.number(), why: z.enum(['scheduled', 'vanished']) }).nullable(),
  /** The last scheduled verify's start and size: the read budget spaces the next one. */
  lastVerifyStart: z.object({ atMs: z.number(), sizeBytes: z.number() }).nullable(),
  /** Pieces found bad or missing that the daemon is downloading again. */
  repairing: z.boolean(),
  /** Fresh downloads after a digest mismatch (one is allowed, then the torrent is banned). */
  corruptRefetches: z.number().int().nonnegative(),
  /**
   * A content check the feed's digest asks for and that has not passed yet: the torrent stays
   * stopped meanwhile. `failures` checks could not run; the next may start at `retryAtMs`.
   */
  digestCheck: z.object({ failures: z.number().int().nonnegative(), retryAtMs: z.number() }).nullable().default(null),
  /** smartnode stopped the torrent for its content check and has not seen it started again. */
  heldForCheck: z.boolean().default(false),
  /** Files of the torrent (paths below its download dir) for the per-tick presence check; capped. */
  files: z.array(z.object({ path: z.string(), lengthBytes: z.number() })).nullable(),
  last: findingSchema.nullable(),
});

export type IntegrityRecord = z.infer<typeof integrityRecordSchema>;
export type IntegrityFinding = z.infer<typeof findingSchema>;

/** At most this many files per torrent are stat'ed each tick (the top-level path always is). */
export const MAX_PRESENCE_FILES = 1000;

export function freshIntegrityRecord(): IntegrityRecord {
  return {
    completedAtMs: null,
    lastVerifiedAtMs: null,
    verifying: null,
    lastVerifyStart: null,
    repairing: false,
    corruptRefetches: 0,
    digestCheck: null,
    heldForCheck: false,
    files: null,
    last: null,
  };
}

/** What `status`, the dashboard and `explain` show of one torrent's integrity. JSON-safe. */
export interface IntegrityView {
  lastVerifiedAtMs: number | null;
  verifying: boolean;
  repairing: boolean;
  /** Stopped until the feed's content digest is checked. */
  awaitingDigest: boolean;
  last: IntegrityFinding | null;
}

export function toIntegrityView(record: IntegrityRecord): IntegrityView {
  return {
    lastVerifiedAtMs: record.lastVerifiedAtMs,
    verifying: record.verifying !== null,
    repairing: record.repairing,
    awaitingDigest: record.digestCheck !== null,
    last: record.last,
  };
}

/** One line for humans: "verified 3d ago (VERIFIED: every piece good)". `age` formats a duration. */
export function describeIntegrity(view: IntegrityView | null | undefined, nowMs: number, age: (ms: number) => string): string {
  if (view === null || view === undefined) return 'integrity: not checked yet';
  const when = view.lastVerifiedAtMs === null ? 'never verified' : `last verified ${age(nowMs - view.lastVerifiedAtMs)} ago`;
  const doing = view.verifying
    ? ', verify under way'
    : view.repairing
      ? ', repair under way'
      : view.awaitingDigest
        ? ', stopped until its content digest is checked'
        : '';
  const last = view.last === null ? '' : `; ${view.last.code}: ${view.last.text}`;
  return `integrity: ${when}${doing}${last}`;
}
