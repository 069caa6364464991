/**
 * Scrapes many torrents across many trackers: groups hashes by tracker, batches them (50 per
 * HTTP request, 74 per UDP packet, one for trackers known to answer only one), paces every
 * request through the per-site budget, and merges the answers by taking the max over trackers
 * (their peer sets overlap: never sum).
 *
 * - A tracker that answers a multi-hash HTTP scrape with fewer files than asked is remembered as
 *   single-hash; the hashes it left out are asked again one by one in the same round.
 * - A hash a tracker leaves out of a single-hash answer is counted as an empty swarm on that
 *   tracker: it answered, and knows no peer of it.
 * - "Slow down" (429, Retry-After) pauses the tracker's whole site in the budget and ends this
 *   round for the tracker; it is not a dead tracker.
 * - Any other failure backs the tracker off (TrackerMemory): it is skipped until then.
 */
import { SmartnodeError, createSiteBudget, isStopping, realSleep, retryAfterMs } from '../shared/index.js';
import type { HttpTransport, InfoHash, SiteBudget } from '../shared/index.js';
import { HTTP_SCRAPE_MAX_HASHES, fetchHttpScrapeBatch } from './scrape-http.js';
import { retryAfterOf } from './scrape-failure.js';
import { UDP_SCRAPE_MAX_HASHES, createUdpConnectionCache, fetchUdpScrapeBatch } from './scrape-udp.js';
import { createTrackerMemory, type TrackerMemory } from './tracker-memory.js';
import { redactTrackerUrl, trackerProtocol } from './tracker-url.js';
import type { SwarmCounts, TrackerScrapeCounts, TrackerScrapeReply } from './types.js';

export interface ScraperOptions {
  /** The per-site request budget shared with the rest of the agent. */
  budget?: SiteBudget;
  /** Without a budget: requests per second to any one site (fractions allowed: 0.5 = one per 2 s). */
  requestsPerSecond?: number;
  /** Learned tracker behaviour (single-hash, backoff); default a fresh one. */
  memory?: TrackerMemory;
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
  /** Trackers that cannot be scraped (no scrape URL, unknown scheme, backing off); redacted. */
  skipped: { tracker: string; reason: string }[];
  /** Requests sent by this call. */
  requests: number;
  /** The agent stopped during the round: the answers before it are in `results`, the rest were not asked. */
  stopped?: boolean;
}

export interface Scraper {
  scrape(requests: readonly ScrapeRequest[]): Promise<ScrapeOutcome>;
  readonly memory: TrackerMemory;
}

/** Longest pause a Retry-After can impose at once (a longer one is waited out in steps). */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;
/** Pause after a 429 without a readable Retry-After. */
export const DEFAULT_RETRY_AFTER_MS = 60_000;

export function createScraper(options: ScraperOptions): Scraper {
  if (!(options.timeoutMs > 0) || (options.budget === undefined && !((options.requestsPerSecond ?? 0) > 0))) {
    throw new SmartnodeError(
      'INTERNAL',
      `scraper needs a budget or requestsPerSecond > 0, and timeoutMs > 0, got ${options.requestsPerSecond} and ${options.timeoutMs}`,
    );
  }
  // Pacing runs on the wall clock: `now` only stamps observations (tests freeze it).
  const budget =
    options.budget ?? createSiteBudget({ ratePerSecond: () => options.requestsPerSecond ?? 1, now: Date.now, sleep: realSleep });
  const memory = options.memory ?? createTrackerMemory();
  const connections = createUdpConnectionCache();
  const udpRetries = options.udpRetries ?? 2;

  const fetchBatch = (tracker: string, hashes: InfoHash[], signal: AbortSignal): Promise<TrackerScrapeReply> =>
    trackerProtocol(tracker) === 'udp'
      ? fetchUdpScrapeBatch(tracker, hashes, {
          timeoutMs: options.timeoutMs,
          retries: udpRetries,
          now: options.now,
          connections,
          signal,
        })
      : fetchHttpScrapeBatch(tracker, hashes, {
          timeoutMs: options.timeoutMs,
          signal,
          ...(options.transport === undefined ? {} : { transport: options.transport }),
        });

  return {
    memory,
    async scrape(requests) {
      const byTracker = groupByTracker(requests);
      const answers = new Map<InfoHash, { tracker: string; counts: TrackerScrapeCounts }[]>();
      const errors: ScrapeOutcome['errors'] = [];
      const skipped: ScrapeOutcome['skipped'] = [];
      let sent = 0;
      let stopped = false;
      const record = (tracker: string, hash: InfoHash, counts: TrackerScrapeCounts): void => {
        const list = answers.get(hash) ?? [];
        list.push({ tracker, counts });
        answers.set(hash, list);
      };

      // Trackers run side by side; one tracker's batches go one after another, so a tracker
      // that fails or says "slow down" is asked nothing more this round.
      const scrapeTracker = async (tracker: string, hashes: InfoHash[]): Promise<void> => {
        const redacted = redactTrackerUrl(tracker);
        const protocol = trackerProtocol(tracker);
        if (protocol === null) {
          skipped.push({ tracker: redacted, reason: 'only http(s) and udp trackers can be scraped' });
          return;
        }
        const retryAt = memory.retryAtMs(tracker);
        if (retryAt > options.now()) {
          skipped.push({
            tracker: redacted,
            reason: `failed ${memory.failures(tracker)} times; asked again after ${new Date(retryAt).toISOString()}`,
          });
          return;
        }
        const size = memory.singleHash(tracker) ? 1 : protocol === 'udp' ? UDP_SCRAPE_MAX_HASHES : HTTP_SCRAPE_MAX_HASHES;
        const batches = chunk(hashes, size);
        for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
          sent++;
          let reply: TrackerScrapeReply;
          try {
            reply = await budget.run(tracker, (signal) => pauseOnSlowDown(budget, tracker, fetchBatch(tracker, batch, signal)));
          } catch (error) {
            // A stopping agent learns nothing about the tracker: no backoff, nothing remembered.
            if (isStopping(error)) {
              stopped = true;
              return;
            }
            if (retryAfterOf(error) === undefined) memory.failed(tracker, options.now());
            errors.push({ tracker: redacted, error: asScrapeError(error, redacted) });
            return;
          }
          memory.succeeded(tracker);
          if (reply.kind === 'unsupported') {
            skipped.push({ tracker: redacted, reason: reply.reason });
            return;
          }
          for (const [hash, counts] of reply.counts) record(tracker, hash, counts);
          const missing = batch.filter((h) => !reply.counts.has(h));
          if (batch.length === 1 && missing.length === 1) {
            record(tracker, batch[0] as InfoHash, { seeders: 0, leechers: 0, completed: null });
          } else if (missing.length > 0 && protocol === 'http') {
            memory.markSingleHash(tracker);
            for (const hash of missing) batches.push([hash]);
          }
        }
      };
      await Promise.all([...byTracker].map(([tracker, hashes]) => scrapeTracker(tracker, hashes)));

      const observedAtMs = options.now();
      const results = new Map<InfoHash, SwarmCounts>();
      for (const request of requests) {
        const merged = mergeAnswers(answers.get(request.infoHash) ?? [], request.trackers, observedAtMs);
        if (merged !== null) results.set(request.infoHash, merged);
      }
      return { results, errors, skipped, requests: sent, ...(stopped ? { stopped } : {}) };
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

/**
 * Awaits a tracker request; when the answer is "slow down", pauses the tracker's site for as
 * long as it asks before passing the error on (inside the budget's turn, so no request to the
 * site starts before the pause is in place).
 */
export async function pauseOnSlowDown<T>(budget: SiteBudget, tracker: string, request: Promise<T>): Promise<T> {
  try {
    return await request;
  } catch (error) {
    const retryAfter = retryAfterOf(error);
    if (retryAfter !== undefined) budget.pause(tracker, retryAfterMs(retryAfter, Date.now(), DEFAULT_RETRY_AFTER_MS, MAX_RETRY_AFTER_MS));
    throw error;
  }
}

function asScrapeError(error: unknown, tracker: string): SmartnodeError {
  if (error instanceof SmartnodeError) return error;
  return new SmartnodeError('SCRAPE_FAILED', `scrape of tracker ${tracker} failed unexpectedly`, {
    retryable: true,
    details: { tracker },
  });
}
