/**
 * What the scraper learns about trackers and keeps across rounds (and, through the agent's
 * state file, across restarts):
 *
 * - trackers that answer a multi-hash scrape with fewer files than asked (Academic Torrents'
 *   tracker silently answers one): they are scraped one hash at a time from then on;
 * - trackers that fail (timeout, refused, 5xx, junk): left alone for min(max, base x 2^(n-1))
 *   after n failures in a row, so a dead tracker listed in a thousand old .torrent files costs
 *   one timeout per backoff period, not one per tick. One answer forgets its failures.
 *
 * Keys are redacted tracker URLs: a passkey never reaches the memory or its file. Pure.
 */
import { redactTrackerUrl } from './tracker-url.js';

export interface TrackerBackoffEntry {
  failures: number;
  retryAtMs: number;
}

export interface TrackerMemorySnapshot {
  singleHash: string[];
  backoff: Record<string, TrackerBackoffEntry>;
}

export interface TrackerMemory {
  singleHash(tracker: string): boolean;
  markSingleHash(tracker: string): void;
  /** When the tracker may be asked again; 0 when it is not backing off. */
  retryAtMs(tracker: string): number;
  failures(tracker: string): number;
  /** Records a failure; returns when the tracker may be asked again. */
  failed(tracker: string, nowMs: number): number;
  succeeded(tracker: string): void;
  snapshot(): TrackerMemorySnapshot;
  /** Bumped on each change, so a store writes only when something changed. */
  version(): number;
}

/** First retry of a failed tracker after 10 minutes, doubling to at most 12 hours. */
export const TRACKER_BACKOFF_BASE_MS = 10 * 60_000;
export const TRACKER_BACKOFF_MAX_MS = 12 * 60 * 60_000;

export function createTrackerMemory(
  initial: TrackerMemorySnapshot = { singleHash: [], backoff: {} },
  options: { baseMs?: number; maxMs?: number } = {},
): TrackerMemory {
  const baseMs = options.baseMs ?? TRACKER_BACKOFF_BASE_MS;
  const maxMs = options.maxMs ?? TRACKER_BACKOFF_MAX_MS;
  const single = new Set(initial.singleHash);
  const backoff = new Map(Object.entries(initial.backoff));
  let version = 0;
  const key = (tracker: string): string => redactTrackerUrl(tracker);
  return {
    singleHash: (tracker) => single.has(key(tracker)),
    markSingleHash(tracker) {
      if (single.has(key(tracker))) return;
      single.add(key(tracker));
      version++;
    },
    retryAtMs: (tracker) => backoff.get(key(tracker))?.retryAtMs ?? 0,
    failures: (tracker) => backoff.get(key(tracker))?.failures ?? 0,
    failed(tracker, nowMs) {
      const failures = (backoff.get(key(tracker))?.failures ?? 0) + 1;
      const retryAtMs = nowMs + Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
      backoff.set(key(tracker), { failures, retryAtMs });
      version++;
      return retryAtMs;
    },
    succeeded(tracker) {
      if (backoff.delete(key(tracker))) version++;
    },
    snapshot: () => ({ singleHash: [...single].sort(), backoff: Object.fromEntries(backoff) }),
    version: () => version,
  };
}
