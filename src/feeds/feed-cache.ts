/**
 * Keeps the last good ParsedFeed of each feed with its validators (ETag, Last-Modified). A
 * failing fetch or parse keeps serving the last good items and reports the error beside them,
 * so one bad poll never empties the mirror set. In memory only: after a restart the first
 * poll is unconditional.
 */
import { isSmartnodeError, SmartnodeError, type HttpTransport } from '../shared/index.js';
import { fetchFeed } from './fetch.js';
import { detectFeedFormat, parseFeed } from './parse.js';
import type { FeedFormat, FeedItem, FeedWarning, ParsedFeed } from './types.js';

export interface FeedSource {
  /** Stable id (the policy's feed name). */
  id: string;
  url: string;
  /** 'auto' detects from the body, content type and URL. */
  format: FeedFormat | 'auto';
  cookie?: string | null;
}

export interface FeedRefreshOptions {
  nowMs: number;
  timeoutMs: number;
  maxBytes: number;
  userAgent: string;
  transport?: HttpTransport;
}

export interface FeedRefreshResult {
  feedId: string;
  /** The fresh items, or the last good ones when this refresh failed (empty if none yet). */
  items: FeedItem[];
  warnings: FeedWarning[];
  /** Why this refresh failed; the items are then the last good ones. */
  error: SmartnodeError | null;
  /** 'fresh' parsed now, 'not-modified' server said 304, 'stale' error and cached items, 'none' error and nothing cached. */
  freshness: 'fresh' | 'not-modified' | 'stale' | 'none';
  /** When the items were last fetched successfully (ms since epoch), or null. */
  fetchedAtMs: number | null;
}

interface Entry {
  url: string;
  feed: ParsedFeed;
  etag: string | null;
  lastModified: string | null;
  fetchedAtMs: number;
}

export class FeedCache {
  private readonly entries = new Map<string, Entry>();

  /** The last good feed of an id, if any. */
  lastGood(feedId: string): ParsedFeed | null {
    return this.entries.get(feedId)?.feed ?? null;
  }

  async refresh(source: FeedSource, options: FeedRefreshOptions): Promise<FeedRefreshResult> {
    const cached = this.entries.get(source.id);
    // Validators belong to a URL: a changed URL in the policy starts over.
    const usable = cached !== undefined && cached.url === source.url ? cached : undefined;
    try {
      const answer = await fetchFeed(source.url, {
        cookie: source.cookie ?? null,
        etag: usable?.etag ?? null,
        lastModified: usable?.lastModified ?? null,
        timeoutMs: options.timeoutMs,
        maxBytes: options.maxBytes,
        userAgent: options.userAgent,
        ...(options.transport === undefined ? {} : { transport: options.transport }),
      });
      if (answer.status === 'not-modified') {
        if (usable === undefined) throw new SmartnodeError('INTERNAL', `feed ${source.id}: 304 without a cached copy`);
        return { feedId: source.id, items: usable.feed.items, warnings: [], error: null, freshness: 'not-modified', fetchedAtMs: usable.fetchedAtMs };
      }
      const format = source.format === 'auto' ? detectFeedFormat(answer.text, answer.contentType, source.url) : source.format;
      const feed = await parseFeed(answer.text, { format, feedId: source.id, feedUrl: source.url, nowMs: options.nowMs });
      this.entries.set(source.id, { url: source.url, feed, etag: answer.etag, lastModified: answer.lastModified, fetchedAtMs: options.nowMs });
      return { feedId: source.id, items: feed.items, warnings: feed.warnings, error: null, freshness: 'fresh', fetchedAtMs: options.nowMs };
    } catch (error) {
      const reported = isSmartnodeError(error)
        ? error
        : new SmartnodeError('INTERNAL', `feed ${source.id}: unexpected failure while refreshing`, { cause: error, retryable: true });
      return {
        feedId: source.id,
        items: cached?.feed.items ?? [],
        warnings: [],
        error: reported,
        freshness: cached === undefined ? 'none' : 'stale',
        fetchedAtMs: cached?.fetchedAtMs ?? null,
      };
    }
  }
}
