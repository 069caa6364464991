/**
 * The real FeedSource, CountSource and TorrentSource: HTTP feeds with conditional GET and
 * last-good fallback, tracker scrape with a per-hash cache, and .torrent files fetched with the
 * feed's cookie (so "hosted by" passkeys are kept), verified and cached in memory.
 */
import { FeedCache, fetchTorrentFile, parseTorrentFile, verifyTorrentForItem, type FeedSource as FeedCacheSource } from '../feeds/index.js';
import type { FeedItem } from '../feeds/types.js';
import { SmartnodeError, type InfoHash } from '../shared/index.js';
import type { Scraper } from '../swarm/index.js';
import type { SwarmCounts } from '../swarm/types.js';
import { toErrorView, type EventBus } from './events.js';
import type { CountRequest, CountSource, FeedSnapshot, FeedSource, TorrentFile, TorrentSource, TorrentSummary } from './sources.js';

/** A feed as the feeds domain's cache takes it (id, URL, format or 'auto', cookie). */
export type FeedSpec = FeedCacheSource;

export interface HttpLimits {
  timeoutMs: number;
  feedMaxBytes: number;
  torrentFileMaxBytes: number;
  userAgent: string;
}

/**
 * Schedules feed refreshes (each feed once per refresh interval; a failed one again at the next
 * tick) over the feeds domain's FeedCache, which keeps the last good items, and reports what
 * happened as events.
 */
export function createHttpFeedSource(options: {
  feeds: () => readonly FeedSpec[];
  refreshIntervalMs: () => number;
  limits: HttpLimits;
  bus: EventBus;
  /** Announce URLs the policy adds to every item of a feed (for scraping). */
  extraTrackers: (feedId: string) => readonly string[];
}): FeedSource & { lastError(feedId: string): string | undefined } {
  const cache = new FeedCache();
  const state = new Map<string, { items: FeedItem[]; checkedAtMs: number; error: string | undefined }>();

  const refresh = async (feed: FeedSpec, nowMs: number): Promise<void> => {
    const result = await cache.refresh(
      feed,
      { nowMs, timeoutMs: options.limits.timeoutMs, maxBytes: options.limits.feedMaxBytes, userAgent: options.limits.userAgent },
    );
    const extra = options.extraTrackers(feed.id);
    const items = extra.length === 0 ? result.items : result.items.map((i) => ({ ...i, trackers: [...new Set([...i.trackers, ...extra])] }));
    for (const warning of result.warnings) {
      options.bus.emit({ type: 'feed-item-dropped', atMs: nowMs, feedId: feed.id, message: warning.message });
    }
    if (result.error !== null) {
      state.set(feed.id, { items, checkedAtMs: nowMs, error: result.error.message });
      options.bus.emit({ type: 'feed-failed', atMs: nowMs, feedId: feed.id, error: toErrorView(result.error), keptItems: result.items.length });
      return;
    }
    state.set(feed.id, { items, checkedAtMs: nowMs, error: undefined });
    options.bus.emit({ type: 'feed-fetched', atMs: nowMs, feedId: feed.id, items: items.length, notModified: result.freshness === 'not-modified', warnings: result.warnings.length });
  };

  return {
    async readFeeds(nowMs) {
      const feeds = options.feeds();
      const interval = options.refreshIntervalMs();
      const due = feeds.filter((f) => {
        const entry = state.get(f.id);
        return entry === undefined || entry.error !== undefined || nowMs - entry.checkedAtMs >= interval;
      });
      await Promise.all(due.map((f) => refresh(f, nowMs)));
      return feeds.map((f): FeedSnapshot => ({ feedId: f.id, items: state.get(f.id)?.items ?? [] }));
    },
    lastError: (feedId) => state.get(feedId)?.error,
  };
}

export function createScrapeCountSource(options: {
  scraper: Scraper;
  enabled: () => boolean;
  intervalMs: () => number;
  bus: EventBus;
}): CountSource {
  const cache = new Map<InfoHash, { counts: SwarmCounts | null; atMs: number }>();
  return {
    async readCounts(requests: readonly CountRequest[], nowMs: number) {
      const out = new Map<InfoHash, SwarmCounts>();
      if (!options.enabled()) return out;
      const interval = options.intervalMs();
      // A long-running agent sees feed items come and go: forget counts no longer worth using.
      for (const [hash, entry] of cache) if (nowMs - entry.atMs >= 2 * interval) cache.delete(hash);
      const due = requests.filter((r) => {
        const entry = cache.get(r.infoHash);
        return entry === undefined || nowMs - entry.atMs >= interval;
      });
      if (due.length > 0) {
        const outcome = await options.scraper.scrape(due);
        for (const r of due) cache.set(r.infoHash, { counts: outcome.results.get(r.infoHash) ?? null, atMs: nowMs });
        for (const { tracker, error } of outcome.errors) {
          options.bus.emit({ type: 'scrape-failed', atMs: nowMs, tracker, error: toErrorView(error) });
        }
      }
      for (const r of requests) {
        const counts = cache.get(r.infoHash)?.counts;
        if (counts != null) out.set(r.infoHash, counts);
      }
      return out;
    },
  };
}

const RECENT_METAINFO = 32;

export function createHttpTorrentSource(options: {
  cookieFor: (feedId: string) => string | undefined;
  limits: HttpLimits;
  /** How long a refused .torrent (bad hash, hostile) is not fetched again. */
  refusalTtlMs: number;
  clock: () => number;
}): TorrentSource {
  // Summaries of every .torrent seen are small; the metainfo bytes (up to the size cap each)
  // are kept only for the few most recent, which are the ones about to be added.
  const summaries = new Map<InfoHash, TorrentSummary>();
  const recent = new Map<InfoHash, TorrentFile>();
  const remember = (file: TorrentFile): void => {
    const { metainfo: _bytes, ...summary } = file;
    summaries.set(file.infoHash, summary);
    recent.delete(file.infoHash);
    recent.set(file.infoHash, file);
    while (recent.size > RECENT_METAINFO) recent.delete(recent.keys().next().value as InfoHash);
  };
  const refused = new Map<InfoHash, { message: string; untilMs: number }>();
  /** Why a .torrent was refused, while the refusal lasts (an expired one is forgotten). */
  const refusal = (hash: InfoHash): string | undefined => {
    const entry = refused.get(hash);
    if (entry === undefined) return undefined;
    if (entry.untilMs > options.clock()) return entry.message;
    refused.delete(hash);
    return undefined;
  };
  return {
    cached: (hash) => summaries.get(hash),
    refusal,
    async readTorrent(item, feedId) {
      const hit = recent.get(item.infoHash);
      if (hit !== undefined) return hit;
      const previous = refusal(item.infoHash);
      if (previous !== undefined) {
        throw new SmartnodeError('TORRENT_INVALID', previous, { hint: 'smartnode will try this .torrent again later' });
      }
      if (item.torrentUrl === null) {
        throw new SmartnodeError('TORRENT_FETCH', `feed ${feedId} gives no .torrent URL for ${item.name}`, {
          hint: 'smartnode adds torrents from .torrent files only; the feed must link one (enclosure, link, or url field)',
        });
      }
      try {
        const bytes = await fetchTorrentFile(item.torrentUrl, {
          cookie: options.cookieFor(feedId),
          timeoutMs: options.limits.timeoutMs,
          maxBytes: options.limits.torrentFileMaxBytes,
          userAgent: options.limits.userAgent,
        });
        const meta = parseTorrentFile(bytes);
        verifyTorrentForItem(meta, item.infoHash);
        const file: TorrentFile = { metainfo: bytes, infoHash: meta.infoHash, name: meta.name, totalSizeBytes: meta.totalSizeBytes, trackers: meta.trackers, webSeeds: meta.webSeeds.length };
        remember(file);
        return file;
      } catch (error) {
        if (error instanceof SmartnodeError && !error.retryable) {
          refused.set(item.infoHash, { message: error.message, untilMs: options.clock() + options.refusalTtlMs });
        }
        throw error;
      }
    },
  };
}
