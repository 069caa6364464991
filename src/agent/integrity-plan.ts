/**
 * The integrity half of planning, pure: from what observe saw (integrity records, files on
 * disk, content checks under way) and this tick's desired set, the records to write and the
 * steps apply carries out, each with what it needs (the .torrent source of a re-fetch, the
 * expected digest of a content check). A torrent whose feed states a digest is held stopped
 * from the tick that sees it complete until its content check passes, then started again:
 * `heldForCheck` in its record makes that release level-based, so a crash between the check
 * and the start still ends with the torrent started.
 */
import type { DaemonTorrent } from '../daemon/index.js';
import { DIGEST_ALGORITHMS, type ContentDigests, type DigestAlgorithm } from '../feeds/index.js';
import { compareDigests, decideIntegrity, type DigestOutcome, type IntegrityTorrent } from '../integrity/index.js';
import type { InfoHash } from '../shared/index.js';
import type { AgentConfig } from './config.js';
import { isInsideDir } from './ownership.js';
import type { DigestJobView, IntegrityApplyStep, IntegrityObservation, IntegrityPlan, Observation } from './tick-types.js';

const ORDER: readonly IntegrityApplyStep['kind'][] = [
  'report',
  'check-failed',
  'stop',
  'verify',
  'refetch',
  'ban',
  'start',
  'digest',
  'settle',
];

export function planIntegrity(
  obs: Observation,
  seen: IntegrityObservation,
  config: AgentConfig,
  desired: ReadonlySet<InfoHash>,
  nowMs: number,
): IntegrityPlan {
  const settings = config.integrity ?? { reverifyEveryMs: 0, readRateBytesPerSec: null };
  const { records, presence, fileLists, digestJobs, busy, checksDigests } = seen;
  const ownedDirs = new Map(obs.records.filter((r) => r.phase === 'owned').map((r) => [r.infoHash, r.downloadDir]));
  const owned = obs.torrents.filter((t) => ownedDirs.has(t.infoHash));
  const byHash = new Map(owned.map((t) => [t.infoHash, t]));
  const jobs = new Map(digestJobs.map((j) => [j.infoHash, j]));
  const expectedOf = (hash: InfoHash): ContentDigests | null => obs.merged.get(hash)?.item.digests ?? null;

  const views: IntegrityTorrent[] = owned.map((t) => {
    const job = jobs.get(t.infoHash);
    return {
      infoHash: t.infoHash,
      name: t.name,
      status: t.status,
      percentDone: t.percentDone,
      leftUntilDoneBytes: t.leftUntilDoneBytes,
      sizeBytes: t.sizeWhenDoneBytes,
      error: t.error,
      errorString: t.errorString,
      desired: desired.has(t.infoHash),
      inOwnDir: isInsideDir(t.downloadDir, config.downloadDir),
      presence: presence.get(t.infoHash) ?? 'unknown',
      hasExpectedDigest: checksDigests && expectedOf(t.infoHash) !== null,
      ...(job === undefined ? {} : { digest: outcomeOf(job) }),
    };
  });
  const decision = decideIntegrity({ nowMs, torrents: views, records, schedule: { ...settings, busy } });

  const steps: IntegrityApplyStep[] = [];
  const leaving = new Set<InfoHash>();
  for (const step of decision.steps) {
    const t = byHash.get(step.infoHash)!;
    switch (step.kind) {
      case 'report':
        steps.push({ kind: 'report', infoHash: t.infoHash, name: t.name, step });
        break;
      case 'verify':
        steps.push({ kind: 'verify', infoHash: t.infoHash });
        break;
      case 'digest': {
        const m = obs.merged.get(t.infoHash);
        const expected = expectedOf(t.infoHash);
        if (m === undefined || expected === null) break;
        steps.push({
          kind: 'digest',
          request: {
            infoHash: t.infoHash,
            name: t.name,
            source: { item: m.item, feedId: m.primaryFeedId },
            downloadDir: t.downloadDir,
            expected,
            algorithms: algorithmsOf(expected),
            readRateBytesPerSec: settings.readRateBytesPerSec,
          },
        });
        break;
      }
      case 'refetch': {
        const m = obs.merged.get(t.infoHash);
        leaving.add(t.infoHash);
        steps.push({
          kind: 'refetch',
          infoHash: t.infoHash,
          name: t.name,
          source: m === undefined ? null : { item: m.item, feedId: m.primaryFeedId },
          currentDir: t.downloadDir,
          deleteData: step.deleteData,
        });
        break;
      }
      case 'ban':
        leaving.add(t.infoHash);
        steps.push({ kind: 'ban', infoHash: t.infoHash, dataDir: t.downloadDir });
        break;
    }
  }

  for (const [hash, r] of decision.records) {
    const job = jobs.get(hash);
    if (job?.state === 'done' && job.fileList !== null) r.files = job.fileList;
    const listed = fileLists.get(hash);
    if (r.files === null && listed !== undefined) r.files = listed;
    const t = byHash.get(hash)!;
    steps.push(...holdSteps(r, t, leaving.has(hash)));
  }
  for (const job of digestJobs) {
    if (job.state !== 'done' && job.state !== 'failed') continue;
    if (job.state === 'failed' && byHash.has(job.infoHash))
      steps.push({ kind: 'check-failed', infoHash: job.infoHash, name: byHash.get(job.infoHash)!.name, error: job.error });
    steps.push({ kind: 'settle', infoHash: job.infoHash, jobId: job.jobId });
  }
  // Records of torrents no longer owned go, except after a CORRUPT finding: it says why a torrent
  // is banned, and it counts the one fresh download even when that download is interrupted.
  const forget = [...records.keys()].filter((h) => !decision.records.has(h) && records.get(h)?.last?.code !== 'CORRUPT');
  steps.sort((a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind));
  return { records: decision.records, forget, steps };
}

/** Stop while a content check is pending; start once it is not and the torrent is still stopped. */
function holdSteps(r: { digestCheck: unknown; heldForCheck: boolean }, t: DaemonTorrent, leaving: boolean): IntegrityApplyStep[] {
  if (leaving) {
    r.heldForCheck = false;
    return [];
  }
  if (r.digestCheck !== null) {
    r.heldForCheck = true;
    return t.status === 'stopped' ? [] : [{ kind: 'stop', infoHash: t.infoHash }];
  }
  if (!r.heldForCheck) return [];
  if (t.status === 'stopped') return [{ kind: 'start', infoHash: t.infoHash }];
  r.heldForCheck = false;
  return [];
}

function outcomeOf(job: DigestJobView): DigestOutcome {
  if (job.state === 'done') return { state: 'done', comparisons: compareDigests(job.expected, { content: job.content, files: job.files }) };
  if (job.state === 'failed') return { state: 'failed', error: job.error.message };
  return { state: 'running' };
}

/** The strongest algorithm each stated digest set names: the hashing computes only those. */
function algorithmsOf(expected: ContentDigests): DigestAlgorithm[] {
  const wanted = new Set<DigestAlgorithm>();
  for (const set of [expected.content, ...expected.files.map((f) => f.digests)]) {
    const a = DIGEST_ALGORITHMS.find((x) => set[x] !== undefined);
    if (a !== undefined) wanted.add(a);
  }
  return [...wanted];
}
