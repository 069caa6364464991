/**
 * The real FeedSource: HTTP feeds with conditional GET and last-good fallback (counts are in
 * count-source.ts, .torrent files in torrent-source.ts).
 */
import { FeedCache, type FeedSpec } from '../feeds/index.js';
import type { FeedItem } from '../feeds/index.js';
import { type InfoHash, isStopping, type SiteBudget, toErrorView } from '../shared/index.js';
import type { EventBus } from './events.js';
import { createHostBackoff } from './host-backoff.js';
import type { FeedSnapshot, FeedSource } from './sources.js';
import type { HttpLimits } from './torrent-source.js';

/**
 * Schedules feed refreshes over the feeds domain's FeedCache, which keeps the last good items
 * (on disk too, with `storeDir`), and reports what happened as events.
 *
 * - Each feed is fetched once per refresh interval. A failed feed is tried again when its
 *   backoff ends (exponential from FEED_BACKOFF_BASE_MS, capped, reset by its own success), and
 *   such a retry runs in the background: a tick never waits on a feed known to fail; the result
 *   is used by the first tick after it lands. The backoff is the feed's own, not its host's: one
 *   site often serves many collections, and a broken one must not be retried in the foreground
 *   each time a healthy neighbour answers.
 * - A feed that failed is never read as empty: its last good items stay, and when there are none
 *   (no copy ever, or an unreadable one) the owned torrents charged to it are listed for it, so
 *   the planner keeps them rather than dropping them as "no feed lists it any more".
 */
export function createHttpFeedSource(options: {
  feeds: () => readonly FeedSpec[];
  refreshIntervalMs: () => number;
  limits: HttpLimits;
  bus: EventBus;
  /** Announce URLs the policy adds to every item of a feed (for scraping). */
  extraTrackers: (feedId: string) => readonly string[];
  /** Where the last good copy of each feed is kept across restarts (none: memory only). */
  storeDir?: string;
  /** Owned torrents charged to a feed (listed for it while it has failed with nothing kept). */
  ownedFor?: (feedId: string) => readonly OwnedPlaceholder[];
  /** The per-site request budget: a feed fetch takes its turn with the site's other requests. */
  budget?: SiteBudget;
}): FeedSource & {
  lastError(feedId: string): string | undefined;
  settled(): Promise<void>;
  /**
   * Fetches at once each feed never fetched and each whose URL or format was edited (a live
   * policy edit), without waiting for a tick; the outcome arrives as feed-fetched or feed-failed.
   */
  refreshNew(nowMs: number): Promise<void>;
} {
  const cache = new FeedCache(options.storeDir === undefined ? {} : { dir: options.storeDir });
  const state = new Map<string, { items: FeedItem[]; checkedAtMs: number; error: string | undefined; key: string }>();
  const backoff = createHostBackoff(FEED_BACKOFF_BASE_MS, FEED_BACKOFF_MAX_MS);
  const running = new Map<string, Promise<void>>();

  const refresh = async (feed: FeedSpec, nowMs: number): Promise<void> => {
    const fetch = (signal?: AbortSignal) =>
      cache.refresh(feed, {
        nowMs,
        timeoutMs: options.limits.timeoutMs,
        maxBytes: options.limits.feedMaxBytes,
        ...(options.limits.feedMaxItems === undefined ? {} : { maxItems: options.limits.feedMaxItems }),
        userAgent: options.limits.userAgent,
        ...(signal === undefined ? {} : { signal }),
      });
    // A fetch ended by the agent's stop changes nothing: the feed keeps its state, no failure is counted.
    const result = await (options.budget === undefined ? fetch() : options.budget.run(feed.url, fetch)).catch((error: unknown) => {
      if (isStopping(error)) return null;
      throw error;
    });
    if (result === null) return;
    const extra = options.extraTrackers(feed.id);
    const items =
      extra.length === 0 ? result.items : result.items.map((i) => ({ ...i, trackers: [...new Set([...i.trackers, ...extra])] }));
    for (const warning of result.warnings) {
      options.bus.emit({ type: 'feed-item-dropped', atMs: nowMs, feedId: feed.id, message: warning.message });
    }
    if (result.error !== null) {
      const retryAtMs = backoff.failed(feedKey(feed), nowMs);
      state.set(feed.id, { items, checkedAtMs: nowMs, error: result.error.message, key: feedKey(feed) });
      options.bus.emit({
        type: 'feed-failed',
        atMs: nowMs,
        feedId: feed.id,
        error: toErrorView(result.error),
        keptItems: result.items.length,
        retryAtMs,
      });
      return;
    }
    backoff.succeeded(feedKey(feed));
    state.set(feed.id, { items, checkedAtMs: nowMs, error: undefined, key: feedKey(feed) });
    if (result.storeError !== undefined) {
      options.bus.emit({ type: 'state-warning', atMs: nowMs, message: `${result.storeError.message}; ${result.storeError.hint ?? ''}` });
    }
    options.bus.emit({
      type: 'feed-fetched',
      atMs: nowMs,
      feedId: feed.id,
      items: items.length,
      notModified: result.freshness === 'not-modified',
      warnings: result.warnings.length,
    });
  };

  const itemsOf = (feed: FeedSpec): FeedItem[] => {
    const entry = state.get(feed.id);
    if (entry === undefined || entry.error === undefined || entry.items.length > 0) return entry?.items ?? [];
    return (options.ownedFor?.(feed.id) ?? []).map(placeholderItem);
  };

  /**
   * Starts the refresh of each feed that is due and not already being fetched; returns the jobs
   * a read waits for (a feed known to fail is retried in the background). `onlyNew` limits it to
   * feeds never fetched and feeds whose URL or format was edited.
   */
  const startDue = (feeds: readonly FeedSpec[], nowMs: number, onlyNew: boolean): Promise<void>[] => {
    const interval = options.refreshIntervalMs();
    const awaited: Promise<void>[] = [];
    for (const feed of feeds) {
      if (running.has(feed.id)) continue;
      const entry = state.get(feed.id);
      const key = feedKey(feed);
      // A feed whose URL was edited is a new feed: fetched at once, not after the old one's interval.
      const isNew = entry === undefined || entry.key !== key;
      const due =
        isNew ||
        (!onlyNew &&
          (entry.error !== undefined
            ? backoff.retryAtMs(key) <= nowMs || backoff.retryAtMs(key) - nowMs > FEED_BACKOFF_MAX_MS
            : intervalPassed(entry.checkedAtMs, nowMs, interval)));
      if (!due) continue;
      const job = refresh(feed, nowMs).finally(() => running.delete(feed.id));
      running.set(feed.id, job);
      if (backoff.failures(key) === 0) awaited.push(job);
    }
    return awaited;
  };

  return {
    async readFeeds(nowMs) {
      const feeds = options.feeds();
      await Promise.all(startDue(feeds, nowMs, false));
      return feeds.map((f): FeedSnapshot => ({ feedId: f.id, items: itemsOf(f) }));
    },
    refreshNew: async (nowMs) => {
      await Promise.all(startDue(options.feeds(), nowMs, true));
    },
    lastError: (feedId) => state.get(feedId)?.error,
    settled: async () => {
      await Promise.all([...running.values()]);
    },
  };
}

/**
 * Whether `intervalMs` passed since `lastMs`. A clock now behind `lastMs` was stepped back: how
 * long ago that was is unknown, so it counts as passed (one refresh early, never one that waits
 * for the clock to catch up). A backoff ending further ahead than its longest is the same step.
 */
function intervalPassed(lastMs: number, nowMs: number, intervalMs: number): boolean {
  return nowMs < lastMs || nowMs - lastMs >= intervalMs;
}

/** A feed's backoff key: its id, where it is fetched from and how it is read, so an edited feed starts afresh. */
function feedKey(feed: FeedSpec): string {
  return `${feed.id} ${feed.format} ${feed.url}`;
}

/** First retry of a failing feed after 5 minutes, doubling to at most an hour. */
export const FEED_BACKOFF_BASE_MS = 5 * 60_000;
export const FEED_BACKOFF_MAX_MS = 60 * 60_000;

/** What the agent state knows of an owned torrent, enough to stand in for its feed's item. */
export interface OwnedPlaceholder {
  infoHash: InfoHash;
  name: string;
  sizeBytes: number;
}

function placeholderItem(owned: OwnedPlaceholder): FeedItem {
  return {
    infoHash: owned.infoHash,
    name: owned.name,
    sizeBytes: owned.sizeBytes,
    torrentUrl: null,
    magnetUri: null,
    trackers: [],
    counts: null,
    publishedAtMs: null,
  };
}
