/**
 * Pure: the mirror as `status` and the dashboard show it, built from one tick's result (the
 * daemon's torrents and the plan's decisions). Scores and reasons are the planner's, copied,
 * never recomputed or reworded here.
 */
import type { CandidateView, MirrorView, OwnedTorrentView, ReasonView } from '../agent/index.js';
import type { TickResult } from '../agent/index.js';
import { toIntegrityView, type IntegrityRecord } from '../integrity/index.js';
import type { Decision } from '../plan/index.js';
import type { InfoHash } from '../shared/index.js';
import { computeCollectionHealth } from './collection-health.js';

/** How many not-held candidates a view carries (best first); the total is counted apart. */
export const DEFAULT_CANDIDATE_LIMIT = 500;

export interface MirrorViewInput {
  result: Pick<TickResult, 'plan' | 'torrents'>;
  /** Adds and removals carried out this tick (the torrents list predates them). */
  appliedAdds: ReadonlySet<InfoHash>;
  appliedRemoves: ReadonlySet<InfoHash>;
  pins: ReadonlySet<InfoHash>;
  candidateLimit?: number;
  /** What agent state records of each owned torrent's integrity. */
  integrity?: ReadonlyMap<InfoHash, IntegrityRecord>;
  /** The policy's seeder target: with it, the view carries each feed's collection health. */
  targetSeeders?: number;
}

export function buildMirrorView(input: MirrorViewInput): MirrorView {
  const { plan, torrents } = input.result;
  const byHash = new Map(torrents.map((t) => [t.infoHash, t]));
  const limit = input.candidateLimit ?? DEFAULT_CANDIDATE_LIMIT;
  const owned: OwnedTorrentView[] = [];
  const candidates: CandidateView[] = [];
  let candidateTotal = 0;
  for (const d of plan.decisions) {
    if (d.isOwned) {
      if (!input.appliedRemoves.has(d.infoHash))
        owned.push(withIntegrity(ownedRow(d, byHash.get(d.infoHash), input.pins), input.integrity));
      continue;
    }
    if (input.appliedAdds.has(d.infoHash)) {
      owned.push(ownedRow(d, undefined, input.pins));
      continue;
    }
    if (d.isHeld) continue; // the owner's own torrents: never ours to show as candidates
    candidateTotal++;
    if (candidates.length < limit) candidates.push(candidateRow(d));
  }
  let up = 0;
  let down = 0;
  for (const t of torrents) {
    up += t.rateUploadBytesPerSec;
    down += t.rateDownloadBytesPerSec;
  }
  return {
    nowMs: plan.nowMs,
    owned,
    candidates,
    candidateTotal,
    capacityBytes: plan.capacityBytes,
    committedBytes: plan.committedBytes,
    maxBytes: plan.capacity.maxBytes,
    limitedBy: plan.capacity.limitedBy,
    diskFreeBytes: plan.capacity.diskFreeBytes,
    minFreeBytes: plan.capacity.minFreeBytes,
    uploadRateBytesPerSec: up,
    downloadRateBytesPerSec: down,
    feeds: plan.feeds.map((f) => ({ ...f })),
    ...(input.targetSeeders === undefined
      ? {}
      : { health: computeCollectionHealth(plan.decisions, input.targetSeeders), targetSeeders: input.targetSeeders }),
  };
}

function withIntegrity(row: OwnedTorrentView, records: ReadonlyMap<InfoHash, IntegrityRecord> | undefined): OwnedTorrentView {
  const record = records?.get(row.infoHash);
  return record === undefined ? row : { ...row, integrity: toIntegrityView(record) };
}

function reasonOf(d: Decision): ReasonView {
  return { code: d.reason.code, text: d.reason.text };
}

function ownedRow(d: Decision, t: TickResult['torrents'][number] | undefined, pins: ReadonlySet<InfoHash>): OwnedTorrentView {
  const sizeBytes = t?.sizeWhenDoneBytes ?? d.sizeBytes ?? 0;
  const uploaded = t?.uploadedEverBytes ?? 0;
  return {
    infoHash: d.infoHash,
    name: d.name,
    feedId: d.feedId,
    sizeBytes,
    percentDone: t?.percentDone ?? 0,
    status: t?.status ?? 'added',
    seeders: d.counts?.seeders ?? null,
    leechers: d.counts?.leechers ?? null,
    otherSeeders: d.components.seeders,
    countsSource: d.counts?.source ?? null,
    countsObservedAtMs: d.counts?.observedAtMs ?? null,
    countries: d.components.factors?.geo?.topCountry ? [d.components.factors.geo.topCountry] : [],
    uploadRateBytesPerSec: t?.rateUploadBytesPerSec ?? 0,
    downloadRateBytesPerSec: t?.rateDownloadBytesPerSec ?? 0,
    uploadedEverBytes: uploaded,
    downloadedEverBytes: t?.downloadedEverBytes ?? 0,
    ratio: sizeBytes > 0 ? uploaded / sizeBytes : null,
    score: d.score,
    need: d.need,
    scarcity: d.components.scarcity,
    demand: d.components.demand,
    pinned: pins.has(d.infoHash),
    factors: d.components.factors ?? null,
    action: t === undefined ? 'add' : d.action,
    reason: reasonOf(d),
  };
}

function candidateRow(d: Decision): CandidateView {
  return {
    infoHash: d.infoHash,
    name: d.name,
    feedId: d.feedId,
    sizeBytes: d.sizeBytes,
    seeders: d.counts?.seeders ?? null,
    leechers: d.counts?.leechers ?? null,
    countsSource: d.counts?.source ?? null,
    countsObservedAtMs: d.counts?.observedAtMs ?? null,
    score: d.score,
    need: d.need,
    scarcity: d.components.scarcity,
    demand: d.components.demand,
    factors: d.components.factors ?? null,
    action: d.action,
    reason: reasonOf(d),
  };
}
