import type { InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/index.js';
import { isKnownSize } from './score.js';
import type { Candidate, HeldTorrent, PlanCapacity, PlanInput } from './types.js';

/** Plan input helpers: the budget, merging candidates, info-hash order. */

export function computeCapacity(input: PlanInput): PlanCapacity {
  const { policy, diskFreeBytes } = input;
  let heldCommittedBytes = 0;
  for (const h of input.held) if (h.isOwned) heldCommittedBytes += Math.max(0, h.sizeBytes);
  const { pendingWriteBytes } = pendingWrites(input.held);
  const maxBytes = Math.max(0, policy.maxBytes);
  let capacityBytes = maxBytes;
  let limitedBy: PlanCapacity['limitedBy'] = 'maxBytes';
  if (diskFreeBytes !== null && Number.isFinite(diskFreeBytes)) {
    // Once every download finishes, free space will be diskFree - pendingWrite (free-space
    // does not see unwritten bytes, ours or not, of the torrents on this filesystem). Ours may
    // then occupy what they commit now plus that, less the reserve.
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

export interface PendingWriter {
  infoHash: InfoHash;
  name: string;
  leftUntilDoneBytes: number;
}

/**
 * Bytes still to be taken from the download filesystem's free space, and by which torrents
 * (most first): only torrents whose data lives there, so a paused download on another disk
 * never eats this one's reserve, and only what the filesystem has not already reserved for
 * them (preallocated bytes are out of free space already).
 */
export function pendingWrites(held: readonly HeldTorrent[]): { pendingWriteBytes: number; writers: PendingWriter[] } {
  let pendingWriteBytes = 0;
  const writers: PendingWriter[] = [];
  for (const h of held) {
    const left = Math.max(0, Math.min(h.leftUntilDoneBytes, h.unallocatedBytes ?? h.leftUntilDoneBytes));
    if (left === 0 || h.onDownloadFilesystem === false) continue;
    pendingWriteBytes += left;
    writers.push({ infoHash: h.infoHash, name: h.name, leftUntilDoneBytes: left });
  }
  writers.sort((a, b) => b.leftUntilDoneBytes - a.leftUntilDoneBytes || compareHash(a.infoHash, b.infoHash));
  return { pendingWriteBytes, writers };
}

/**
 * One candidate per info-hash, whatever order the feeds came in: feeds united, the smallest
 * non-empty name, the largest known size (conservative for the budget), the freshest counts.
 */
export function mergeCandidates(candidates: readonly Candidate[]): Map<InfoHash, Candidate> {
  const byHash = new Map<InfoHash, Candidate>();
  for (let at = 0; at < candidates.length; at++) {
    const c = candidates[at] as Candidate;
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
  // In first-seen order: every later step orders by total orders that end in the info-hash.
  return byHash;
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

/** Sorted, without repeats; a one-feed list is shared, not copied (it is never mutated). */
export function uniqueSorted(ids: readonly string[]): readonly string[] {
  if (ids.length <= 1) return ids;
  if (ids.length === 2) {
    // The common case (a torrent in two feeds), without a Set and a string sort.
    const a = ids[0] as string;
    const b = ids[1] as string;
    return a < b ? ids : a === b ? [a] : [b, a];
  }
  return [...new Set(ids)].sort();
}
