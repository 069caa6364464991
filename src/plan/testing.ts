import { toInfoHash, type InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/index.js';
import type { Action } from './diff.js';
import type { Candidate, HeldTorrent, PlanInput, PlanPolicy } from './types.js';

/** Test builders for the planner. A fixed clock: 2026-01-01T00:00:00Z. */
export const FIXED_NOW_MS = Date.UTC(2026, 0, 1);
export const GB = 1_000_000_000;
export const HOUR_MS = 3_600_000;

/** A deterministic info-hash from a number: hashOf(1) = "000…0001". */
export function hashOf(n: number): InfoHash {
  return toInfoHash(n.toString(16).padStart(40, '0'));
}

export function aCounts(overrides: Partial<SwarmCounts> = {}): SwarmCounts {
  return {
    seeders: 1,
    leechers: 0,
    completed: null,
    source: 'scrape',
    observedAtMs: FIXED_NOW_MS - 60_000,
    origin: 'http://tracker.test/announce',
    ...overrides,
  };
}

export function aCandidate(overrides: Partial<Candidate> = {}): Candidate {
  return {
    infoHash: hashOf(1),
    name: 'dataset',
    sizeBytes: 1 * GB,
    feedIds: ['feed-a'],
    counts: aCounts(),
    ...overrides,
  };
}

export function aHeld(overrides: Partial<HeldTorrent> = {}): HeldTorrent {
  return {
    infoHash: hashOf(1),
    name: 'dataset',
    sizeBytes: 1 * GB,
    leftUntilDoneBytes: 0,
    isOwned: true,
    addedAtMs: FIXED_NOW_MS - 30 * 24 * HOUR_MS,
    feedIds: ['feed-a'],
    ...overrides,
  };
}

export function aPlanPolicy(overrides: Partial<PlanPolicy> = {}): PlanPolicy {
  return {
    maxBytes: 100 * GB,
    minFreeBytes: 0,
    feeds: [{ id: 'feed-a', maxBytes: null, maxTorrents: null }],
    scoring: {
      targetSeeders: 5,
      leecherWeight: 0.25,
      replaceMargin: 0.2,
      minSeedTimeMs: 72 * HOUR_MS,
    },
    maxAddsPerTick: 100,
    ...overrides,
  };
}

export function aPlanInput(overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    candidates: [],
    held: [],
    policy: aPlanPolicy(),
    nowMs: FIXED_NOW_MS,
    diskFreeBytes: null,
    ...overrides,
  };
}

/**
 * What the daemon would hold after the actions, without a daemon (for the planner's tests):
 * adds become owned entries with nothing written yet, added at `nowMs`; removes drop
 * owned torrents only. Repeating an action changes nothing.
 */
export function simulateActions(actual: readonly HeldTorrent[], actions: readonly Action[], nowMs = 0): HeldTorrent[] {
  const byHash = new Map<InfoHash, HeldTorrent>();
  for (const h of actual) byHash.set(h.infoHash, h);
  for (const a of actions) {
    const present = byHash.get(a.infoHash);
    if (a.kind === 'remove') {
      if (present?.isOwned === true) byHash.delete(a.infoHash);
    } else if (present === undefined) {
      byHash.set(a.infoHash, {
        infoHash: a.infoHash,
        name: a.name,
        sizeBytes: a.sizeBytes,
        leftUntilDoneBytes: a.sizeBytes,
        isOwned: true,
        addedAtMs: nowMs,
        feedIds: a.feedId === null ? [] : [a.feedId],
      });
    }
  }
  return [...byHash.values()];
}
