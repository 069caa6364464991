/**
 * Scrapes many torrents across many trackers: groups hashes by tracker, batches them (50 per
 * HTTP request, 74 per UDP packet), rate-limits per tracker host, and merges the answers by
 * taking the max over trackers (their peer sets overlap: never sum).
 */
import PQueue from 'p-queue';
import { SmartnodeError } from '../shared/index.js';
import type { HttpTransport, InfoHash } from '../shared/index.js';
import { HTTP_SCRAPE_MAX_HASHES, fetchHttpScrapeBatch } from './scrape-http.js';
import { UDP_SCRAPE_MAX_HASHES, createUdpConnectionCache, fetchUdpScrapeBatch } from './scrape-udp.js';
import { redactTrackerUrl, trackerHost, trackerProtocol } from './tracker-url.js';
import type { SwarmCounts, TrackerScrapeCounts, TrackerScrapeReply } from './types.js';

export interface ScraperOptions {
  /** Requests per second to any one tracker host (fractions allowed: 0.5 = one per 2 s). */
  requestsPerSecond: number;
  /** Per HTTP request, and per UDP attempt. */
  timeoutMs: number;
  /** UDP resends after a timeout; BEP 15's own schedule is far too slow. Default 2. */
  udpRetries?: number;
  transport?: HttpTransport;
  now: () => number;
}

export interface ScrapeRequest {
  infoHash: InfoHash;
  /** Announce URLs (http, https, udp); others are reported as skipped. */
  trackers: readonly string[];
}

export interface ScrapeOutcome {
  results: Map<InfoHash, SwarmCounts>;
  /** One per failed request; `tracker` is redacted. */
  errors: { tracker: string; error: SmartnodeError }[];
  /** Trackers that cannot be scraped (no scrape URL, unknown scheme); redacted. */
  skipped: { tracker: string; reason: string }[];
}

export interface Scraper {
  scrape(requests: readonly ScrapeRequest[]): Promise<ScrapeOutcome>;
}

export function createScraper(options: ScraperOptions): Scraper {
  if (!(options.requestsPerSecond > 0) || !(options.timeoutMs > 0)) {
    throw new SmartnodeError(
      'INTERNAL',
      `scraper needs requestsPerSecond > 0 and timeoutMs > 0, got ${options.requestsPerSecond} and ${options.timeoutMs}`,
    );
  }
  const queues = new Map<string, PQueue>();
  const connections = createUdpConnectionCache();
  const udpRetries = options.udpRetries ?? 2;

  const queueFor = (host: string): PQueue => {
    let queue = queues.get(host);
    if (queue === undefined) {
      queue = new PQueue({ concurrency: 1, ...rateLimit(options.requestsPerSecond) });
      queues.set(host, queue);
    }
    return queue;
  };

  const fetchBatch = (tracker: string, hashes: InfoHash[]): Promise<TrackerScrapeReply> =>
    trackerProtocol(tracker) === 'udp'
      ? fetchUdpScrapeBatch(tracker, hashes, {
          timeoutMs: options.timeoutMs,
          retries: udpRetries,
          now: options.now,
          connections,
        })
      : fetchHttpScrapeBatch(tracker, hashes, {
          timeoutMs: options.timeoutMs,
          ...(options.transport === undefined ? {} : { transport: options.transport }),
        });

  return {
    async scrape(requests) {
      const byTracker = groupByTracker(requests);
      const answers = new Map<InfoHash, { tracker: string; counts: TrackerScrapeCounts }[]>();
      const errors: ScrapeOutcome['errors'] = [];
      const skipped: ScrapeOutcome['skipped'] = [];

      await Promise.all(
        [...byTracker].map(async ([tracker, hashes]) => {
          const redacted = redactTrackerUrl(tracker);
          const protocol = trackerProtocol(tracker);
          if (protocol === null) {
            skipped.push({ tracker: redacted, reason: 'only http(s) and udp trackers can be scraped' });
            return;
          }
          const size = protocol === 'udp' ? UDP_SCRAPE_MAX_HASHES : HTTP_SCRAPE_MAX_HASHES;
          const queue = queueFor(trackerHost(tracker));
          // After a failure the rest of this tracker's batches are not sent this round: a dead
          // tracker would otherwise cost one timeout per batch.
          let gaveUp = false;
          await Promise.all(
            chunk(hashes, size).map((batch) =>
              queue.add(async () => {
                if (gaveUp) return;
                try {
                  const reply = await fetchBatch(tracker, batch);
                  if (reply.kind === 'unsupported') {
                    if (!gaveUp) skipped.push({ tracker: redacted, reason: reply.reason });
                    gaveUp = true;
                    return;
                  }
                  for (const [hash, counts] of reply.counts) {
                    const list = answers.get(hash) ?? [];
                    list.push({ tracker, counts });
                    answers.set(hash, list);
                  }
                } catch (error) {
                  gaveUp = true;
                  errors.push({ tracker: redacted, error: asScrapeError(error, redacted) });
                }
              }),
            ),
          );
        }),
      );

      const observedAtMs = options.now();
      const results = new Map<InfoHash, SwarmCounts>();
      for (const request of requests) {
        const merged = mergeAnswers(answers.get(request.infoHash) ?? [], request.trackers, observedAtMs);
        if (merged !== null) results.set(request.infoHash, merged);
      }
      return { results, errors, skipped };
    },
  };
}

/**
 * Per-field max over trackers. `origin` names the tracker that reported the most seeders;
 * ties go to the tracker listed first for the torrent.
 */
export function mergeAnswers(
  answers: readonly { tracker: string; counts: TrackerScrapeCounts }[],
  trackerOrder: readonly string[],
  observedAtMs: number,
): SwarmCounts | null {
  const rank = (tracker: string): number => {
    const i = trackerOrder.indexOf(tracker);
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  let best: { tracker: string; counts: TrackerScrapeCounts } | null = null;
  let leechers = 0;
  let completed: number | null = null;
  for (const answer of answers) {
    const { counts } = answer;
    if (
      best === null ||
      counts.seeders > best.counts.seeders ||
      (counts.seeders === best.counts.seeders && rank(answer.tracker) < rank(best.tracker))
    ) {
      best = answer;
    }
    leechers = Math.max(leechers, counts.leechers);
    if (counts.completed !== null) completed = Math.max(completed ?? 0, counts.completed);
  }
  if (best === null) return null;
  return {
    seeders: best.counts.seeders,
    leechers,
    completed,
    source: 'scrape',
    observedAtMs,
    origin: redactTrackerUrl(best.tracker),
  };
}

function groupByTracker(requests: readonly ScrapeRequest[]): Map<string, InfoHash[]> {
  const byTracker = new Map<string, Set<InfoHash>>();
  for (const request of requests) {
    for (const tracker of new Set(request.trackers)) {
      const set = byTracker.get(tracker) ?? new Set<InfoHash>();
      set.add(request.infoHash);
      byTracker.set(tracker, set);
    }
  }
  return new Map([...byTracker].map(([tracker, set]) => [tracker, [...set]]));
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** p-queue needs an integer cap per finite interval. */
function rateLimit(requestsPerSecond: number): { intervalCap: number; interval: number } {
  if (requestsPerSecond >= 1) return { intervalCap: Math.floor(requestsPerSecond), interval: 1000 };
  return { intervalCap: 1, interval: Math.round(1000 / requestsPerSecond) };
}

function asScrapeError(error: unknown, tracker: string): SmartnodeError {
  if (error instanceof SmartnodeError) return error;
  return new SmartnodeError('SCRAPE_FAILED', `scrape of tracker ${tracker} failed unexpectedly`, {
    retryable: true,
    details: { tracker },
  });
}
