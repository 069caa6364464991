/**
 * The real TorrentSource: .torrent files fetched with the feed's cookie (so "hosted by" passkeys
 * are kept), size-capped, verified against the feed's info-hash, and cached in memory.
 *
 * Fetches run concurrently, bounded: at most TORRENT_FETCHES_IN_FLIGHT in all and, per host,
 * TORRENT_FETCHES_PER_HOST at once and per second, so one slow host holds up only its own
 * files. A host whose fetches fail (timeout, network, 5xx) backs off exponentially
 * (TORRENT_BACKOFF_BASE_MS doubling to TORRENT_BACKOFF_MAX_MS, reset by a success): meanwhile
 * its files fail at once, saying when the host is tried again. With a site budget, each download
 * also waits its turn in the site's shared request stream.
 */
import PQueue from 'p-queue';
import { fetchTorrentFile, parseTorrentFile, verifyTorrentForItem } from '../feeds/index.js';
import { SmartnodeError, isStopping, siteOf, type InfoHash, type SiteBudget } from '../shared/index.js';
import { createHostBackoff, hostOf } from './host-backoff.js';
import type { TorrentFile, TorrentSource, TorrentSummary } from './sources.js';

/** Bounds on every HTTP fetch the live sources make (feeds and .torrent files). */
export interface HttpLimits {
  timeoutMs: number;
  feedMaxBytes: number;
  /** A feed listing more items is refused: each is weighed every tick (memory). */
  feedMaxItems?: number;
  torrentFileMaxBytes: number;
  userAgent: string;
}

const RECENT_METAINFO = 32;
export const TORRENT_FETCHES_IN_FLIGHT = 6;
export const TORRENT_FETCHES_PER_HOST = 2;
export const TORRENT_BACKOFF_BASE_MS = 60_000;
export const TORRENT_BACKOFF_MAX_MS = 60 * 60_000;

export function createHttpTorrentSource(options: {
  /** The cookie a .torrent at `url` listed by feed `feedId` is fetched with, if any. */
  cookieFor: (feedId: string, url: string) => string | undefined;
  limits: HttpLimits;
  /** How long a refused .torrent (bad hash, hostile) is not fetched again. */
  refusalTtlMs: number;
  clock: () => number;
  /** The per-site request budget: each download takes its turn with the site's scrapes and probes. */
  budget?: SiteBudget;
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
  const all = new PQueue({ concurrency: TORRENT_FETCHES_IN_FLIGHT });
  const perHost = new Map<string, PQueue>();
  const queueFor = (host: string): PQueue => {
    let queue = perHost.get(host);
    if (queue === undefined) {
      queue = new PQueue({ concurrency: TORRENT_FETCHES_PER_HOST, interval: 1000, intervalCap: TORRENT_FETCHES_PER_HOST });
      perHost.set(host, queue);
      // An idle host's queue is dropped, so hosts seen once do not pile up.
      queue.on('idle', () => perHost.delete(host));
    }
    return queue;
  };
  const backoff = createHostBackoff(TORRENT_BACKOFF_BASE_MS, TORRENT_BACKOFF_MAX_MS);
  const inFlight = new Map<InfoHash, Promise<TorrentFile>>();

  const fetchVerified = async (url: string, host: string, expected: InfoHash, feedId: string): Promise<TorrentFile> => {
    const waitUntil = backoff.retryAtMs(host);
    if (waitUntil > options.clock()) throw backingOff(host, backoff.failures(host), waitUntil);
    const fetch = (signal?: AbortSignal) =>
      fetchTorrentFile(url, {
        cookie: options.cookieFor(feedId, url),
        timeoutMs: options.limits.timeoutMs,
        maxBytes: options.limits.torrentFileMaxBytes,
        userAgent: options.limits.userAgent,
        ...(signal === undefined ? {} : { signal }),
      });
    let bytes: Uint8Array;
    try {
      bytes = await (options.budget === undefined ? fetch() : options.budget.run(url, fetch));
    } catch (error) {
      // A stopping agent holds nothing against the host.
      if (isStopping(error)) throw error;
      // The host answered (404, too large): that is the file's fault, not the host's.
      if (error instanceof SmartnodeError && error.retryable) backoff.failed(host, options.clock());
      throw error;
    }
    backoff.succeeded(host);
    const meta = parseTorrentFile(bytes);
    verifyTorrentForItem(meta, expected);
    return {
      metainfo: bytes,
      infoHash: meta.infoHash,
      name: meta.name,
      totalSizeBytes: meta.totalSizeBytes,
      trackers: meta.trackers,
      webSeeds: meta.webSeeds.length,
      createdAtMs: meta.createdAtMs,
    };
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
      const url = item.torrentUrl;
      if (url === null) {
        throw new SmartnodeError('TORRENT_FETCH', `feed ${feedId} gives no .torrent URL for ${item.name}`, {
          hint: 'smartnode adds torrents from .torrent files only; the feed must link one (enclosure, link, or url field)',
        });
      }
      const running = inFlight.get(item.infoHash);
      if (running !== undefined) return running;
      const host = hostOf(url);
      const job = queueFor(host)
        .add(() => all.add(() => fetchVerified(url, host, item.infoHash, feedId)))
        .then(
          (file) => {
            remember(file);
            return file;
          },
          (error: unknown) => {
            if (error instanceof SmartnodeError && !error.retryable && !isStopping(error)) {
              refused.set(item.infoHash, { message: error.message, untilMs: options.clock() + options.refusalTtlMs });
            }
            throw error;
          },
        )
        .finally(() => inFlight.delete(item.infoHash));
      inFlight.set(item.infoHash, job);
      return job;
    },
  };
}

function backingOff(host: string, failures: number, retryAtMs: number): SmartnodeError {
  return new SmartnodeError(
    'TORRENT_FETCH',
    `.torrent host ${host} failed ${failures} time${failures === 1 ? '' : 's'} in a row; ` +
      `not asked again before ${new Date(retryAtMs).toISOString()}`,
    {
      retryable: true,
      hint: 'the host is slow or down; its .torrent files are fetched again once the backoff ends',
      details: { host, failures, retryAtMs },
    },
  );
}

/**
 * The cookie a .torrent is fetched with: the listing feed's own (Academic Torrents' API key),
 * and only when the .torrent is on the feed's own site (siteOf: the same host or a host of the
 * same domain). A link to another host never receives it, whatever the feed lists.
 */
export function feedCookieFor(
  feeds: () => ReadonlyArray<{ id: string; url: string }>,
  cookies: ReadonlyMap<string, string>,
): (feedId: string, url: string) => string | undefined {
  return (feedId, url) => {
    const cookie = cookies.get(feedId);
    if (cookie === undefined) return undefined;
    const feed = feeds().find((f) => f.id === feedId);
    return feed !== undefined && siteOf(feed.url) === siteOf(url) ? cookie : undefined;
  };
}
