/**
 * Swarm counts for a whole catalogue, refreshed politely. A background worker scrapes the
 * candidates in priority order, one small batch at a time, each request paced by the per-site
 * budget. A tick hands in what it wants counted and plans with the counts known at that moment,
 * each with its age (a torrent not yet counted is planned as uncounted). Only a read that asks
 * about torrents never tried waits, at most NEW_COUNTS_WAIT_MS, for the round counting them: a
 * small feed, new items and torrents just let go are counted before they are planned; a whole
 * catalogue goes on in the background.
 *
 * Priority, re-read before each batch (the tick hands in the current candidates in its order):
 * 1. torrents never counted, in the caller's order: until counted the decision can only guess,
 *    so these go first, and as single small batches they are counted within seconds at any rate;
 * 2. torrents whose last try failed, after RETRY_UNCOUNTED_MS;
 * 3. counts older than the scrape interval, oldest first.
 *
 * A count is kept with the time it was observed when later tries fail (a 429, a dead tracker):
 * an old count is not a missing one; its age travels with it (the planner weighs staleness).
 * Counts and what was learned about trackers (single-hash, backoff) are kept in the state dir,
 * so a restart neither forgets them nor asks the whole catalogue again.
 */
import { type InfoHash, toErrorView } from '../shared/index.js';
import type { Scraper, SwarmCounts } from '../swarm/index.js';
import type { CountStore } from './count-store.js';
import type { EventBus } from './events.js';
import type { CountRequest, CountSource } from './sources.js';

/** Hashes per worker batch: small, so a newly listed torrent waits at most one batch. */
export const COUNT_BATCH = 20;
/** A torrent whose count could not be read is tried again after this long. */
export const RETRY_UNCOUNTED_MS = 5 * 60_000;

interface Entry {
  counts: SwarmCounts | null;
  triedAtMs: number;
}

export interface CountProgress {
  wanted: number;
  counted: number;
  running: boolean;
}

/** How long a read about torrents never tried waits for the round counting them (a stop ends it at once). */
export const NEW_COUNTS_WAIT_MS = 10_000;

export function createScrapeCountSource(options: {
  scraper: Scraper;
  enabled: () => boolean;
  intervalMs: () => number;
  bus: EventBus;
  /** Where counts and tracker memory are kept across restarts (none: memory only). */
  store?: CountStore;
  clock?: () => number;
  batchSize?: number;
}): CountSource & { settled(): Promise<void>; progress(): CountProgress; stop(): void } {
  const clock = options.clock ?? Date.now;
  const batchSize = options.batchSize ?? COUNT_BATCH;
  const cache = new Map<InfoHash, Entry>();
  for (const [hash, counts] of options.store?.counts() ?? []) cache.set(hash, { counts, triedAtMs: counts.observedAtMs });
  let wanted: readonly CountRequest[] = [];
  // The worker keeps the caller's time: the tick's `nowMs` may run ahead of the clock (tests
  // move the agent's clock on), and "due" must mean the same to both.
  let offsetMs = 0;
  const now = (): number => clock() + offsetMs;
  let worker: Promise<void> | null = null;
  let stopped = false;
  let endWait: () => void = () => undefined;

  const due = (nowMs: number): CountRequest[] => {
    const interval = options.intervalMs();
    const never: CountRequest[] = [];
    const failed: { r: CountRequest; at: number }[] = [];
    const old: { r: CountRequest; at: number }[] = [];
    for (const r of wanted) {
      const e = cache.get(r.infoHash);
      if (e === undefined) never.push(r);
      else if (e.counts === null && nowMs - e.triedAtMs >= Math.min(RETRY_UNCOUNTED_MS, interval)) failed.push({ r, at: e.triedAtMs });
      else if (nowMs - e.triedAtMs >= interval) old.push({ r, at: e.counts?.observedAtMs ?? e.triedAtMs });
    }
    const byAge = (a: { at: number }, b: { at: number }): number => a.at - b.at;
    return [...never, ...failed.sort(byAge).map((x) => x.r), ...old.sort(byAge).map((x) => x.r)];
  };

  /** The worker's round, or NEW_COUNTS_WAIT_MS, or a stop, whichever comes first; leaves no timer behind. */
  const roundOrTimeout = async (round: Promise<void>): Promise<void> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const waited = new Promise<void>((resolve) => {
      endWait = resolve;
      timer = setTimeout(resolve, NEW_COUNTS_WAIT_MS);
    });
    await Promise.race([round.catch(() => undefined), waited]);
    clearTimeout(timer);
    endWait = () => undefined;
  };

  const work = async (): Promise<void> => {
    try {
      await workBatches();
    } finally {
      await save(true);
    }
  };
  const workBatches = async (): Promise<void> => {
    while (!stopped && options.enabled()) {
      const batch = due(now()).slice(0, batchSize);
      if (batch.length === 0) return;
      const outcome = await options.scraper.scrape(batch);
      const nowMs = now();
      // After a "slow down" the hashes left unasked keep their place: they go first once the
      // site's pause (which the next request waits out) is over. So do those a stop left unasked.
      const slowedDown = outcome.errors.some((e) => e.error.details?.rateLimited === true);
      for (const r of batch) {
        const fresh = outcome.results.get(r.infoHash);
        if (fresh === undefined && (slowedDown || outcome.stopped === true)) continue;
        cache.set(r.infoHash, { counts: fresh ?? cache.get(r.infoHash)?.counts ?? null, triedAtMs: nowMs });
      }
      if (outcome.requests > 0) options.bus.emit({ type: 'scrape-requested', atMs: nowMs, trackerHosts: trackerHostsOf(batch) });
      for (const { tracker, error } of outcome.errors) {
        const httpStatus = error.details?.httpStatus;
        options.bus.emit({
          type: 'scrape-failed',
          atMs: nowMs,
          tracker,
          error: toErrorView(error),
          ...(typeof httpStatus === 'number' ? { httpStatus } : {}),
        });
      }
      await save(false);
      if (outcome.stopped === true) return;
      // Nothing could be asked (every tracker backing off or unscrapable): wait for the next tick.
      if (outcome.requests === 0) return;
    }
  };

  const save = async (force: boolean): Promise<void> => {
    if (options.store === undefined) return;
    const known = new Map<InfoHash, SwarmCounts>();
    for (const [hash, e] of cache) if (e.counts !== null) known.set(hash, e.counts);
    await options.store.save(known, options.scraper.memory, force);
  };

  const ensureWorker = (): Promise<void> => {
    worker ??= work()
      .catch((error: unknown) => {
        options.bus.emit({ type: 'scrape-failed', atMs: now(), tracker: '(all)', error: toErrorView(error) });
      })
      .finally(() => {
        worker = null;
      });
    return worker;
  };

  return {
    async readCounts(requests, nowMs) {
      const out = new Map<InfoHash, SwarmCounts>();
      if (!options.enabled()) return out;
      wanted = requests;
      offsetMs = nowMs - clock();
      // A long-running agent sees feed items come and go: forget counts no longer listed and old.
      const listed = new Set(requests.map((r) => r.infoHash));
      for (const [hash, e] of cache) if (!listed.has(hash) && nowMs - e.triedAtMs >= 2 * options.intervalMs()) cache.delete(hash);
      const round = !stopped && due(nowMs).length > 0 ? ensureWorker() : null;
      // A read that asks about torrents never tried (a first tick, a one-shot run, new feed
      // items, a torrent just let go) waits a little for them, so they are planned with counts;
      // a read about known torrents never waits.
      if (round !== null && requests.some((r) => !cache.has(r.infoHash))) await roundOrTimeout(round);
      for (const r of requests) {
        const counts = cache.get(r.infoHash)?.counts;
        if (counts != null) out.set(r.infoHash, counts);
      }
      return out;
    },
    settled: async () => {
      await worker;
    },
    progress: () => ({
      wanted: wanted.length,
      counted: wanted.filter((r) => cache.get(r.infoHash)?.counts != null).length,
      running: worker !== null,
    }),
    stop: () => {
      stopped = true;
      endWait();
    },
  };
}

/** The hosts (with port) of the trackers a scrape round asked: no path, so no passkey. */
function trackerHostsOf(requests: readonly CountRequest[]): string[] {
  const hosts = new Set<string>();
  for (const r of requests) for (const t of r.trackers) if (URL.canParse(t)) hosts.add(new URL(t).host.toLowerCase());
  return [...hosts];
}
