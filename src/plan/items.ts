import type { InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/types.js';
import { heldNotOwnedReason, noLongerInFeedReason, sizeUnknownReason, wellSeededReason } from './reasons.js';
import { countsExcludingSelf, isKnownSize, scoreCandidate } from './score.js';
import type {
  Candidate,
  DecisionAction,
  HeldTorrent,
  PlanCapacity,
  PlanInput,
  Reason,
  ScoreResult,
} from './types.js';

/**
 * The planner's working record for one torrent. Roles:
 * - fixed: decided before selection (not ours, no size, well seeded, dropped by its feeds)
 * - pinned: an incumbent that is always held
 * - protected: an incumbent within its minimum seed time (only the budget can remove it)
 * - mixed: everything that competes for space by `key` (replaceable incumbents, new candidates)
 */
export interface Item {
  infoHash: InfoHash;
  name: string;
  sizeBytes: number | null;
  /** Bytes it is charged in the budget (0 for an incumbent of unknown size). */
  chargeBytes: number;
  feedIds: string[];
  counts: SwarmCounts | null;
  held: HeldTorrent | null;
  isIncumbent: boolean;
  inFeed: boolean;
  heldMs: number;
  result: ScoreResult;
  role: 'fixed' | 'pinned' | 'protected' | 'mixed';
  /** Selection order among mixed items: score, times (1 + replaceMargin) for incumbents. */
  key: number;
  /** What holding it is worth in a swap: need, times (1 + replaceMargin) for incumbents. */
  value: number;
  selected: boolean;
  feedId: string | null;
  /** Set for fixed items and for removals decided during selection. */
  action: DecisionAction | null;
  reason: Reason | null;
  deferred: boolean;
  swappedFor: Item | null;
}

export function computeCapacity(input: PlanInput): PlanCapacity {
  const { policy, diskFreeBytes } = input;
  let heldCommittedBytes = 0;
  let pendingWriteBytes = 0;
  for (const h of input.held) {
    if (h.isOwned) heldCommittedBytes += Math.max(0, h.sizeBytes);
    pendingWriteBytes += Math.max(0, h.leftUntilDoneBytes);
  }
  const maxBytes = Math.max(0, policy.maxBytes);
  let capacityBytes = maxBytes;
  let limitedBy: PlanCapacity['limitedBy'] = 'maxBytes';
  if (diskFreeBytes !== null && Number.isFinite(diskFreeBytes)) {
    // Free space already excludes what our complete torrents occupy, and does not yet see
    // bytes any held torrent (ours or not) will still write.
    const disk = heldCommittedBytes + diskFreeBytes - pendingWriteBytes - policy.minFreeBytes;
    if (disk < capacityBytes) {
      capacityBytes = Math.max(0, disk);
      limitedBy = 'disk';
    }
  }
  return {
    capacityBytes,
    limitedBy,
    maxBytes,
    diskFreeBytes,
    heldCommittedBytes,
    pendingWriteBytes,
    minFreeBytes: policy.minFreeBytes,
  };
}

/**
 * One candidate per info-hash, whatever order the feeds came in: feeds united, the smallest
 * non-empty name, the largest known size (conservative for the budget), the freshest counts.
 */
export function mergeCandidates(candidates: readonly Candidate[]): Candidate[] {
  const byHash = new Map<InfoHash, Candidate>();
  for (const c of candidates) {
    const prev = byHash.get(c.infoHash);
    if (prev === undefined) {
      byHash.set(c.infoHash, c);
      continue;
    }
    byHash.set(c.infoHash, {
      infoHash: c.infoHash,
      name: prev.name === '' || (c.name !== '' && c.name < prev.name) ? c.name : prev.name,
      sizeBytes: largerKnownSize(prev.sizeBytes, c.sizeBytes),
      feedIds: [...prev.feedIds, ...c.feedIds],
      counts: fresherCounts(prev.counts, c.counts),
    });
  }
  const merged = [...byHash.values()];
  merged.sort((a, b) => compareHash(a.infoHash, b.infoHash));
  return merged;
}

function largerKnownSize(a: number | null, b: number | null): number | null {
  if (!isKnownSize(a)) return b;
  if (!isKnownSize(b)) return a;
  return Math.max(a, b);
}

function fresherCounts(a: SwarmCounts | null, b: SwarmCounts | null): SwarmCounts | null {
  if (a === null) return b;
  if (b === null) return a;
  const order =
    a.observedAtMs - b.observedAtMs ||
    a.seeders - b.seeders ||
    a.leechers - b.leechers ||
    (a.origin < b.origin ? -1 : a.origin > b.origin ? 1 : 0) ||
    (a.source < b.source ? -1 : a.source > b.source ? 1 : 0);
  return order >= 0 ? a : b;
}

export function compareHash(a: InfoHash, b: InfoHash): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function uniqueSorted(ids: readonly string[]): string[] {
  if (ids.length <= 1) return ids.slice();
  return [...new Set(ids)].sort();
}

export function buildItems(input: PlanInput): Item[] {
  const { scoring } = input.policy;
  const margin = Math.max(0, scoring.replaceMargin);
  const heldByHash = new Map<InfoHash, HeldTorrent>();
  const sortedHeld = [...input.held].sort((a, b) => compareHash(a.infoHash, b.infoHash));
  for (const h of sortedHeld) if (!heldByHash.has(h.infoHash)) heldByHash.set(h.infoHash, h);

  const items: Item[] = [];
  const seen = new Set<InfoHash>();
  for (const c of mergeCandidates(input.candidates)) {
    seen.add(c.infoHash);
    const held = heldByHash.get(c.infoHash) ?? null;
    const feedIds = uniqueSorted(c.feedIds);
    if (held !== null && held.isOwned) {
      items.push(incumbent(held, c.counts ?? held.counts ?? null, feedIds, true, c.sizeBytes));
      continue;
    }
    const result = scoreCandidate(c.counts, c.sizeBytes, scoring);
    const item = newItem(c, feedIds, result, held);
    if (held !== null) fix(item, 'skip', heldNotOwnedReason());
    else if (!isKnownSize(c.sizeBytes)) fix(item, 'skip', sizeUnknownReason());
    else if (result.need <= 0) fix(item, 'skip', wellSeededReason(result.components, scoring.targetSeeders));
    items.push(item);
  }
  for (const h of sortedHeld) {
    if (!h.isOwned || seen.has(h.infoHash)) continue;
    seen.add(h.infoHash);
    items.push(incumbent(h, h.counts ?? null, uniqueSorted(h.feedIds), false, null));
  }
  return items;

  function incumbent(
    held: HeldTorrent,
    counts: SwarmCounts | null,
    feedIds: string[],
    inFeed: boolean,
    feedSize: number | null,
  ): Item {
    const sizeBytes = isKnownSize(held.sizeBytes) ? held.sizeBytes : feedSize;
    const own = countsExcludingSelf(counts, held);
    const result = scoreCandidate(own.counts, sizeBytes, scoring, own.selfExcluded);
    const heldMs = Math.max(0, input.nowMs - held.addedAtMs);
    const isProtected = heldMs < scoring.minSeedTimeMs;
    const item: Item = {
      infoHash: held.infoHash,
      name: held.name,
      sizeBytes: isKnownSize(sizeBytes) ? sizeBytes : null,
      chargeBytes: isKnownSize(sizeBytes) ? sizeBytes : 0,
      feedIds: feedIds.length > 0 || inFeed ? feedIds : uniqueSorted(held.feedIds),
      counts,
      held,
      isIncumbent: true,
      inFeed,
      heldMs,
      result,
      role: held.pinned === true ? 'pinned' : isProtected ? 'protected' : 'mixed',
      key: result.score * (1 + margin),
      value: result.need * (1 + margin),
      selected: false,
      feedId: null,
      action: null,
      reason: null,
      deferred: false,
      swappedFor: null,
    };
    if (item.role === 'mixed' && !inFeed) {
      fix(item, 'remove', noLongerInFeedReason(heldMs, scoring.minSeedTimeMs));
    }
    return item;
  }
}

function newItem(c: Candidate, feedIds: string[], result: ScoreResult, held: HeldTorrent | null): Item {
  return {
    infoHash: c.infoHash,
    name: c.name,
    sizeBytes: isKnownSize(c.sizeBytes) ? c.sizeBytes : null,
    chargeBytes: isKnownSize(c.sizeBytes) ? c.sizeBytes : 0,
    feedIds,
    counts: c.counts,
    held,
    isIncumbent: false,
    inFeed: true,
    heldMs: 0,
    result,
    role: 'mixed',
    key: result.score,
    value: result.need,
    selected: false,
    feedId: null,
    action: null,
    reason: null,
    deferred: false,
    swappedFor: null,
  };
}

export function fix(item: Item, action: DecisionAction, reason: Reason): void {
  item.role = 'fixed';
  item.selected = false;
  item.action = action;
  item.reason = reason;
}
