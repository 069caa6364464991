/**
 * Keeps the last good ParsedFeed of each feed with its validators (ETag, Last-Modified). A
 * failing fetch or parse keeps serving the last good items and reports the error beside them,
 * so one bad poll never empties the mirror set. With a store, the last good copy is also kept
 * on disk (feed-store.ts) and read back after a restart, validators included: a restart during
 * an outage keeps the feed's items, and the first poll after it is still conditional.
 *
 * Memory: a fresh answer streams from the socket into the format's parser (and the store)
 * chunk by chunk; CSV and JSON lists never exist whole as text (parse.ts).
 */
import { isSmartnodeError, SmartnodeError, type HttpTransport } from '../shared/index.js';
import { feedTextDecoder, fetchFeedStream } from './fetch.js';
import { FeedStore, type FeedBodyWriter } from './feed-store.js';
import { createFeedParser, detectFeedFormat, type FeedStreamParser } from './parse.js';
import type { FeedFormat, FeedItem, FeedWarning, ParsedFeed } from './types.js';

/** A feed to fetch, as the policy names it: id, URL, format or 'auto', cookie. */
export interface FeedSpec {
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
  /** More items than this and the feed is refused (ParseFeedOptions.maxItems). */
  maxItems?: number;
  userAgent: string;
  transport?: HttpTransport;
  /** Abandons the fetch at once (a stopping agent). */
  signal?: AbortSignal;
}

export interface FeedRefreshResult {
  feedId: string;
  /** The fresh items, or the last good ones when this refresh failed (empty if none yet). */
  items: FeedItem[];
  warnings: FeedWarning[];
  /** Why this refresh failed; the items are then the last good ones. */
  error: SmartnodeError | null;
  /** Why the fresh answer could not be kept on disk (a full or read-only state directory); the items are still fresh. */
  storeError?: SmartnodeError;
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

/** Bytes looked at before the format is detected (detectFeedFormat reads the first 2 KB). */
const HEAD_BYTES = 4096;

export class FeedCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loaded = new Set<string>();
  private readonly store: FeedStore | null;

  /** `dir`: where the last good copies live (the agent's state dir); none keeps them in memory only. */
  constructor(options: { dir?: string } = {}) {
    this.store = options.dir === undefined ? null : new FeedStore(options.dir);
  }

  /** The last good feed of an id, if any. */
  lastGood(feedId: string): ParsedFeed | null {
    return this.entries.get(feedId)?.feed ?? null;
  }

  async refresh(source: FeedSpec, options: FeedRefreshOptions): Promise<FeedRefreshResult> {
    await this.loadStored(source);
    const cached = this.entries.get(source.id);
    // Validators belong to a URL: a changed URL in the policy starts over.
    const usable = cached !== undefined && cached.url === source.url ? cached : undefined;
    let writer: FeedBodyWriter | null = null;
    // A store that cannot write (EROFS, ENOSPC) loses the copy on disk, never the feed.
    let storeFailure: unknown = null;
    const keep = (error: unknown): void => {
      storeFailure ??= error;
    };
    try {
      const answer = await fetchFeedStream(
        source.url,
        {
          cookie: source.cookie ?? null,
          etag: usable?.etag ?? null,
          lastModified: usable?.lastModified ?? null,
          timeoutMs: options.timeoutMs,
          maxBytes: options.maxBytes,
          userAgent: options.userAgent,
          ...(options.transport === undefined ? {} : { transport: options.transport }),
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        },
        async (head, chunks) => {
          const begun =
            this.store === null
              ? null
              : await this.store.begin(source.id, source.url, secretParts(source.cookie)).catch((error: unknown) => {
                  keep(error);
                  return null;
                });
          writer = begun === null ? null : tolerantWriter(begun, keep);
          return readIntoParser(source, head.contentType, options.nowMs, chunks, writer, options.maxItems);
        },
      );
      if (answer.status === 'not-modified') {
        if (usable === undefined) throw new SmartnodeError('INTERNAL', `feed ${source.id}: 304 without a cached copy`);
        return {
          feedId: source.id,
          items: usable.feed.items,
          warnings: [],
          error: null,
          freshness: 'not-modified',
          fetchedAtMs: usable.fetchedAtMs,
        };
      }
      const feed = await answer.value.parser.end();
      const entry: Entry = { url: source.url, feed, etag: answer.etag, lastModified: answer.lastModified, fetchedAtMs: options.nowMs };
      const committed: FeedBodyWriter | null = writer;
      writer = null;
      if (committed !== null) {
        await (committed as FeedBodyWriter)
          .commit({
            format: answer.value.format,
            contentType: answer.contentType,
            etag: answer.etag,
            lastModified: answer.lastModified,
            fetchedAtMs: options.nowMs,
          })
          .catch((error: unknown) => {
            keep(error);
            return false;
          });
      }
      this.entries.set(source.id, entry);
      return {
        feedId: source.id,
        items: feed.items,
        warnings: feed.warnings,
        error: null,
        freshness: 'fresh',
        fetchedAtMs: options.nowMs,
        ...(storeFailure === null ? {} : { storeError: storeError(source.id, storeFailure) }),
      };
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
    } finally {
      if (writer !== null) await (writer as FeedBodyWriter).abort();
    }
  }

  /** Once per feed and process: the copy on disk, when it is whole and still this feed's. */
  private async loadStored(source: FeedSpec): Promise<void> {
    if (this.store === null || this.loaded.has(source.id) || this.entries.has(source.id)) return;
    this.loaded.add(source.id);
    const stored = await this.store.read(source.id, source.url);
    if (stored === null) return;
    try {
      const { parser } = await readIntoParser(
        { ...source, format: stored.meta.format },
        stored.meta.contentType,
        stored.meta.fetchedAtMs,
        stored.chunks(),
        null,
      );
      const feed = await parser.end();
      this.entries.set(source.id, {
        url: source.url,
        feed,
        etag: stored.meta.etag,
        lastModified: stored.meta.lastModified,
        fetchedAtMs: stored.meta.fetchedAtMs,
      });
    } catch {
      // An unreadable copy is no copy: the next good fetch replaces it.
    }
  }
}

/**
 * Streams a body into the format's parser (and the writer): the first few KB are held to
 * detect the format and charset, then every chunk goes straight through.
 */
async function readIntoParser(
  source: FeedSpec,
  contentType: string | null,
  nowMs: number,
  chunks: AsyncIterable<Uint8Array>,
  writer: FeedBodyWriter | null,
  maxItems?: number,
): Promise<{ parser: FeedStreamParser; format: FeedFormat }> {
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let parser: FeedStreamParser | null = null;
  let format: FeedFormat | null = null;
  const start = async (): Promise<FeedStreamParser> => {
    const first = Buffer.concat(head);
    format = source.format === 'auto' ? detectFeedFormat(new TextDecoder().decode(first), contentType, source.url) : source.format;
    const created = createFeedParser(
      { format, feedId: source.id, feedUrl: source.url, nowMs, ...(maxItems === undefined ? {} : { maxItems }) },
      feedTextDecoder(first, contentType),
    );
    if (first.length > 0) await created.push(first);
    head.length = 0;
    return created;
  };
  for await (const chunk of chunks) {
    if (writer !== null) await writer.write(chunk);
    if (parser !== null) {
      await parser.push(chunk);
      continue;
    }
    head.push(chunk);
    headBytes += chunk.byteLength;
    if (headBytes >= HEAD_BYTES) parser = await start();
  }
  parser ??= await start();
  return { parser, format: format ?? 'rss' };
}

/** The whole cookie and each `name=value` value: none may end up in a stored copy. */
function secretParts(cookie: string | null | undefined): string[] {
  if (!cookie) return [];
  const values = cookie.split(';').map((part) => part.slice(part.indexOf('=') + 1).trim());
  return [cookie, ...values.filter((v) => v.length >= 3)];
}

/** A writer whose first failure is reported once and stops it (the body is dropped, parsing goes on). */
function tolerantWriter(inner: FeedBodyWriter, onError: (error: unknown) => void): FeedBodyWriter {
  let failed = false;
  return {
    async write(chunk) {
      if (failed) return;
      await inner.write(chunk).catch(async (error: unknown) => {
        failed = true;
        onError(error);
        await inner.abort().catch(() => undefined);
      });
    },
    commit: async (meta) => (failed ? false : inner.commit(meta)),
    abort: async () => (failed ? undefined : inner.abort()),
  };
}

function storeError(feedId: string, error: unknown): SmartnodeError {
  const code = (error as NodeJS.ErrnoException).code;
  const why = error instanceof Error ? error.message : String(error);
  return new SmartnodeError('STATE_IO', `feed ${feedId}: could not keep its last good copy on disk (${code ?? 'error'}): ${why}`, {
    cause: error,
    retryable: true,
    hint:
      "free space on the state directory's filesystem or make it writable (node.stateDir); the feed itself was read and is " +
      'used, but a restart during a feed outage would start without its items',
    details: { feedId, ...(code === undefined ? {} : { errno: code }) },
  });
}
