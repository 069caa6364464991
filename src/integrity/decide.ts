/**
 * Pure integrity decisions, one tick at a time. Given the daemon's view of each owned torrent,
 * what the agent remembers (IntegrityRecord) and whether its files are on disk, decide:
 *   - a verify that finished: every piece good, pieces bad (the daemon re-downloads them), or
 *     no data at all ("No data found": the daemon cannot repair that, so it is fetched afresh);
 *   - a torrent that just completed: the daemon checked each piece as it arrived; a content
 *     digest from the feed is checked on top, and until that check passes the torrent is not
 *     counted as verified (a check that could not run is tried again, backing off);
 *   - files gone from disk: verify now, so the daemon notices and fetches them again;
 *   - at most one scheduled re-verify, longest-unverified first, never while another check
 *     runs, never in the owner's busy hours, spaced so reads stay within the read budget.
 * A fresh fetch is only for torrents the plan still keeps, inside the agent's own directory.
 */
import type { InfoHash } from '../shared/index.js';
import { judgeDigest, type DigestComparison } from './judge.js';
import { freshIntegrityRecord, type IntegrityFinding, type IntegrityRecord } from './record.js';

export interface IntegrityTorrent {
  infoHash: InfoHash;
  name: string;
  status: string;
  percentDone: number;
  leftUntilDoneBytes: number;
  sizeBytes: number;
  error: number;
  errorString: string;
  /** The plan keeps it this tick (a torrent on its way out is not fetched again). */
  desired: boolean;
  /** Its data lies inside the agent's download directory (never re-added anywhere else). */
  inOwnDir: boolean;
  /** Whether its files are where the daemon expects them; 'unknown' when not looked at. */
  presence: 'present' | 'missing' | 'unknown';
  /** The feed states a content digest for it. */
  hasExpectedDigest: boolean;
  /** Its content check under way or finished and not yet taken into the record; absent: none. */
  digest?: DigestOutcome;
}

/** A content check as the agent's background hashing reports it. */
export type DigestOutcome =
  | { state: 'running' }
  | { state: 'done'; comparisons: readonly DigestComparison[] }
  | { state: 'failed'; error: string };

export interface IntegritySchedule {
  /** 0 = scheduled re-verification off. */
  reverifyEveryMs: number;
  /** Disk-read budget for scheduled verifies (bytes/s); null = no budget. */
  readRateBytesPerSec: number | null;
  /** The bandwidth schedule marks now as the owner's busy hours. */
  busy: boolean;
}

export type IntegrityStep =
  | { kind: 'verify'; infoHash: InfoHash; why: 'scheduled' | 'vanished' }
  | { kind: 'digest'; infoHash: InfoHash }
  /** Remove and add the torrent again into its own directory, so the daemon downloads it afresh. */
  | { kind: 'refetch'; infoHash: InfoHash; why: 'vanished' | 'corrupt'; deleteData: boolean }
  /** Still wrong after one fresh download: banned, removed with its data. */
  | { kind: 'ban'; infoHash: InfoHash }
  /** A finding to announce (already in the record). */
  | { kind: 'report'; infoHash: InfoHash; finding: IntegrityFinding };

export interface IntegrityDecision {
  records: Map<InfoHash, IntegrityRecord>;
  steps: IntegrityStep[];
}

// 3.00: "No data found! Ensure your drives..."; 4.1: "Paused torrent as no data was found! ...".
const NO_DATA = /no data (?:was )?found/i;
/** Transmission's error 3: a local error (disk, files). */
const LOCAL_ERROR = 3;
/** A content check that could not run is tried again after 1 min, doubling, at most 6 h apart. */
const DIGEST_RETRY_BASE_MS = 60_000;
const DIGEST_RETRY_MAX_MS = 6 * 3_600_000;

export function digestRetryDelayMs(failures: number): number {
  return Math.min(DIGEST_RETRY_MAX_MS, DIGEST_RETRY_BASE_MS * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}

export function decideIntegrity(input: {
  nowMs: number;
  torrents: readonly IntegrityTorrent[];
  records: ReadonlyMap<InfoHash, IntegrityRecord>;
  schedule: IntegritySchedule;
}): IntegrityDecision {
  const { nowMs } = input;
  const records = new Map<InfoHash, IntegrityRecord>();
  const steps: IntegrityStep[] = [];
  // One check reads the disk at a time: a running content check holds back the next.
  let checkRunning = input.torrents.some((t) => t.digest?.state === 'running');
  const finding = (r: IntegrityRecord, t: IntegrityTorrent, code: IntegrityFinding['code'], text: string): void => {
    r.last = { atMs: nowMs, code, text };
    steps.push({ kind: 'report', infoHash: t.infoHash, finding: r.last });
  };
  const refetchVanished = (r: IntegrityRecord, t: IntegrityTorrent): void => {
    if (t.desired && t.inOwnDir) {
      r.completedAtMs = null;
      r.repairing = false;
      r.digestCheck = null;
      finding(r, t, 'REFETCHED', 'the daemon found none of its data; added again into its own directory to download it afresh');
      steps.push({ kind: 'refetch', infoHash: t.infoHash, why: 'vanished', deleteData: false });
    } else {
      finding(
        r,
        t,
        'DATA_VANISHED',
        t.inOwnDir
          ? 'the daemon found none of its data; not fetched again: the plan no longer keeps it'
          : "the daemon found none of its data; not fetched again: it lies outside smartnode's directory",
      );
    }
  };

  for (const t of input.torrents) {
    let r = structuredClone(input.records.get(t.infoHash) ?? freshIntegrityRecord());
    records.set(t.infoHash, r);
    const checking = t.status === 'check-wait' || t.status === 'checking';
    const noData = t.error === LOCAL_ERROR && NO_DATA.test(t.errorString);
    if (checking) {
      checkRunning = true;
      continue;
    }
    if (r.verifying !== null) {
      r.verifying = null;
      if (noData) {
        refetchVanished(r, t);
      } else if (t.percentDone < 1) {
        r.repairing = true;
        finding(
          r,
          t,
          'BAD_PIECES',
          `verify found ${t.leftUntilDoneBytes} of ${t.sizeBytes} bytes bad or missing; the daemon downloads them again`,
        );
      } else {
        r.lastVerifiedAtMs = nowMs;
        finding(r, t, 'VERIFIED', 'the daemon re-checked every piece: all good');
      }
      continue;
    }
    if (noData) {
      // Found without our verify (the daemon started and saw nothing): same remedy, once per
      // episode. A vanish finding older than the data's last completion or verify belongs to an
      // earlier episode: this one is new.
      if (!isCurrentVanish(r)) refetchVanished(r, t);
      continue;
    }
    if (r.digestCheck !== null) {
      const judged = decideDigestCheck(r, t, nowMs, checkRunning);
      r = judged.record;
      records.set(t.infoHash, r);
      steps.push(...judged.steps);
      if (judged.steps.some((s) => s.kind === 'digest')) checkRunning = true;
      continue;
    }
    if (r.repairing && t.percentDone >= 1) {
      r.repairing = false;
      r.lastVerifiedAtMs = nowMs;
      finding(r, t, 'REPAIRED', 'the pieces found bad were downloaded again; the data is whole');
    }
    if (t.percentDone >= 1 && r.completedAtMs === null) {
      r.completedAtMs = nowMs;
      if (t.hasExpectedDigest) {
        // Verified only once the content matches the feed; the check starts when the disk is free.
        r.digestCheck = { failures: 0, retryAtMs: nowMs };
        if (!checkRunning) {
          steps.push({ kind: 'digest', infoHash: t.infoHash });
          checkRunning = true;
        }
      } else {
        // Transmission checked every piece against its hash as it arrived.
        r.lastVerifiedAtMs = nowMs;
      }
      continue;
    }
    if (r.completedAtMs !== null && !r.repairing && t.presence === 'missing') {
      r.verifying = { startedAtMs: nowMs, why: 'vanished' };
      checkRunning = true;
      finding(r, t, 'DATA_VANISHED', 'its files are gone from disk; verifying so the daemon fetches them again');
      steps.push({ kind: 'verify', infoHash: t.infoHash, why: 'vanished' });
    }
  }

  const next = pickScheduledVerify(input.torrents, records, input.schedule, nowMs, checkRunning);
  if (next !== null) {
    const r = records.get(next.infoHash)!;
    r.verifying = { startedAtMs: nowMs, why: 'scheduled' };
    r.lastVerifyStart = { atMs: nowMs, sizeBytes: next.sizeBytes };
    steps.push({ kind: 'verify', infoHash: next.infoHash, why: 'scheduled' });
  }
  return { records, steps };
}

/** A DATA_VANISHED or REFETCHED finding newer than the last time the data was known whole. */
function isCurrentVanish(r: IntegrityRecord): boolean {
  if (r.last?.code !== 'REFETCHED' && r.last?.code !== 'DATA_VANISHED') return false;
  const wholeAtMs = Math.max(r.completedAtMs ?? Number.NEGATIVE_INFINITY, r.lastVerifiedAtMs ?? Number.NEGATIVE_INFINITY);
  return r.last.atMs >= wholeAtMs;
}

/**
 * A pending content check: judge a finished one (DIGEST_OK; CORRUPT, fetched again once, then
 * banned), take a failed one as a retry after a growing pause, or start one when due and the
 * disk is free. A feed that no longer states a digest leaves the pieces' own check standing.
 */
function decideDigestCheck(
  record: IntegrityRecord,
  t: IntegrityTorrent,
  nowMs: number,
  checkRunning: boolean,
): { record: IntegrityRecord; steps: IntegrityStep[] } {
  const r = record;
  const check = r.digestCheck!;
  const job = t.digest;
  const report = (x: IntegrityRecord): IntegrityStep => ({ kind: 'report', infoHash: t.infoHash, finding: x.last! });
  if (job?.state === 'running') return { record: r, steps: [] };
  if (job?.state === 'done') {
    const judged = judgeDigest(r, job.comparisons, nowMs);
    const next: IntegrityRecord = { ...judged.record, digestCheck: null };
    const steps: IntegrityStep[] = [report(next)];
    if (judged.verdict === 'ban') steps.push({ kind: 'ban', infoHash: t.infoHash });
    else if (judged.verdict === 'refetch' && t.desired && t.inOwnDir)
      steps.push({ kind: 'refetch', infoHash: t.infoHash, why: 'corrupt', deleteData: true });
    // Not fetched again (on its way out, or outside our directory): it stays stopped, never seeded as good.
    else if (judged.verdict === 'refetch') next.digestCheck = { failures: 0, retryAtMs: Number.MAX_SAFE_INTEGER };
    return { record: next, steps };
  }
  if (job?.state === 'failed') {
    const failures = check.failures + 1;
    const delayMs = digestRetryDelayMs(failures);
    r.digestCheck = { failures, retryAtMs: nowMs + delayMs };
    r.last = {
      atMs: nowMs,
      code: 'CHECK_FAILED',
      text: `the content check could not run (${job.error}); tried again in ${Math.round(delayMs / 60_000)} min (failure ${failures})`,
    };
    return { record: r, steps: [report(r)] };
  }
  if (!t.hasExpectedDigest) {
    r.digestCheck = null;
    r.lastVerifiedAtMs = r.completedAtMs;
    return { record: r, steps: [] };
  }
  if (nowMs < check.retryAtMs || checkRunning) return { record: r, steps: [] };
  return { record: r, steps: [{ kind: 'digest', infoHash: t.infoHash }] };
}

/** The torrent whose data was verified longest ago and is due, if a check may start now. */
export function pickScheduledVerify(
  torrents: readonly IntegrityTorrent[],
  records: ReadonlyMap<InfoHash, IntegrityRecord>,
  schedule: IntegritySchedule,
  nowMs: number,
  checkRunning: boolean,
): IntegrityTorrent | null {
  if (schedule.reverifyEveryMs <= 0 || schedule.busy || checkRunning) return null;
  if (nowMs < nextVerifyAllowedAtMs(records.values(), schedule.readRateBytesPerSec)) return null;
  let best: { t: IntegrityTorrent; verifiedAtMs: number } | null = null;
  for (const t of torrents) {
    const r = records.get(t.infoHash);
    if (r === undefined || r.completedAtMs === null || r.repairing || r.verifying !== null || r.digestCheck !== null) continue;
    if (t.status !== 'seeding' || t.percentDone < 1 || t.error !== 0) continue;
    const verifiedAtMs = r.lastVerifiedAtMs ?? r.completedAtMs;
    if (nowMs - verifiedAtMs < schedule.reverifyEveryMs) continue;
    if (best === null || verifiedAtMs < best.verifiedAtMs) best = { t, verifiedAtMs };
  }
  return best?.t ?? null;
}

/** A verify of S bytes at a budget of R bytes/s holds the disk for S / R: the next waits that long. */
export function nextVerifyAllowedAtMs(records: Iterable<IntegrityRecord>, readRateBytesPerSec: number | null): number {
  if (readRateBytesPerSec === null || readRateBytesPerSec <= 0) return Number.NEGATIVE_INFINITY;
  let at = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (r.lastVerifyStart === null) continue;
    at = Math.max(at, r.lastVerifyStart.atMs + (r.lastVerifyStart.sizeBytes / readRateBytesPerSec) * 1000);
  }
  return at;
}

/** Busy hours: a schedule window in force that caps a direction below its base rate. */
export function isBusyWindow(
  base: { uploadBytesPerSec: number | null; downloadBytesPerSec: number | null },
  now: { window: number | null; uploadBytesPerSec: number | null; downloadBytesPerSec: number | null },
): boolean {
  if (now.window === null) return false;
  const below = (rate: number | null, baseRate: number | null): boolean => rate !== null && (baseRate === null || rate < baseRate);
  return below(now.uploadBytesPerSec, base.uploadBytesPerSec) || below(now.downloadBytesPerSec, base.downloadBytesPerSec);
}
