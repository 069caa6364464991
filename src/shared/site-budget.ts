/**
 * One request budget per site, shared by everything that talks to it: tracker scrapes, announce
 * probes, .torrent downloads and feed fetches. A site (Academic Torrents runs its web site and
 * its tracker on one host) sees at most `ratePerSecond(site)` requests per second from this
 * process, as one stream: request k is sent no earlier than 1/rate seconds after request k-1's
 * answer arrived (no bursts, and no two requests closer than 1/rate at the site however the
 * network or our event loop delays them), or, when k-1's answer is late, 1/rate after k-1 was
 * sent: a hung answer (a stalled feed, a dead host) never holds the whole site's line, and the
 * requests still start at least 1/rate apart.
 *
 * A site that answered "slow down" (HTTP 429, Retry-After) is paused: nothing is sent to it
 * before the pause ends, whoever asks.
 *
 * A stop (the `stop` signal) ends every turn at once: each request still waiting for its turn
 * and each one under way (its `send` gets the signal) rejects with a STOPPING error, and no
 * request starts after it. A request under way when the stop came is never trusted, whatever it
 * answered: its caller learns only that the agent is stopping.
 *
 * Time and waiting come in as arguments, so the same code runs on the wall clock and in a
 * simulated one.
 */
import { SmartnodeError } from './errors.js';

export interface SiteBudgetOptions {
  /** Requests per second allowed to a site (fractions allowed: 0.5 = one every 2 s). */
  ratePerSecond: (site: string) => number;
  now: () => number;
  /** Resolves after `ms` (a timer; a simulator advances its clock instead). */
  sleep: (ms: number) => Promise<void>;
  /** Aborted when the agent stops: every waiting and running turn ends at once. */
  stop?: AbortSignal;
}

export interface SiteBudget {
  /**
   * Runs `send` (one request to this URL's site) when the site has room: in the order asked,
   * each starting at least 1/rate after the previous one ended, or after it started when its
   * answer is that late.
   * Counting from the end, not the start, is what makes the spacing hold at the site whatever
   * the delays on the way: the site saw the previous request before we saw its answer.
   * `send` gets the stop signal to abandon its request with (a STOPPING error either way).
   */
  run<T>(url: string, send: (signal: AbortSignal) => Promise<T>): Promise<T>;
  /** The site answered "slow down": send it nothing for `forMs`. */
  pause(url: string, forMs: number): void;
  /** When the site can next take a request without waiting (ms since epoch). */
  nextFreeAtMs(url: string): number;
  /** Requests granted so far, by site. */
  granted(): ReadonlyMap<string, number>;
}

/**
 * The site of a URL: its host name without port, reduced to the last two labels for DNS names
 * (ipv6.academictorrents.com and academictorrents.com are one site). IP addresses and single
 * labels stay whole. A string that is not a URL is its own site.
 */
export function siteOf(raw: string): string {
  let host: string;
  try {
    host = new URL(raw).hostname.toLowerCase();
  } catch {
    return raw;
  }
  if (host.startsWith('[') || /^[0-9.]+$/.test(host)) return host;
  const labels = host.split('.').filter((l) => l.length > 0);
  return labels.length <= 2 ? labels.join('.') : labels.slice(-2).join('.');
}

export function createSiteBudget(options: SiteBudgetOptions): SiteBudget {
  /** Per site: when the next request may start, and the tail of its waiting line. */
  const sites = new Map<string, { nextAtMs: number; pausedUntilMs: number; line: Promise<void> }>();
  const granted = new Map<string, number>();
  const stop = options.stop ?? new AbortController().signal;
  // Rejects once stopped: every turn races it, so a stop never waits for a line to drain.
  const stopped = new Promise<never>((_, reject) => {
    const fire = (): void => reject(stoppingError());
    if (stop.aborted) fire();
    else stop.addEventListener('abort', fire, { once: true });
  });
  stopped.catch(() => undefined);

  const entry = (site: string) => {
    let e = sites.get(site);
    if (e === undefined) {
      e = { nextAtMs: Number.NEGATIVE_INFINITY, pausedUntilMs: Number.NEGATIVE_INFINITY, line: Promise.resolve() };
      sites.set(site, e);
    }
    return e;
  };
  const spacingMs = (site: string): number => {
    const rate = options.ratePerSecond(site);
    return rate > 0 && Number.isFinite(rate) ? 1000 / rate : 1000;
  };

  return {
    run(url, send) {
      const site = siteOf(url);
      const e = entry(site);
      let release: () => void = () => undefined;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const turn = e.line.then(async () => {
        // A pause may be set or lengthened while we wait: check again after each sleep.
        for (;;) {
          if (stop.aborted) throw stoppingError();
          // The next turn is never more than one spacing away: further means the clock was
          // stepped back since it was set, and waiting for it to catch up would stall the site.
          e.nextAtMs = Math.min(e.nextAtMs, options.now() + spacingMs(site));
          const at = Math.max(e.nextAtMs, e.pausedUntilMs);
          const now = options.now();
          if (at <= now) break;
          await Promise.race([options.sleep(at - now), stopped]);
        }
        granted.set(site, (granted.get(site) ?? 0) + 1);
        const spacing = spacingMs(site);
        e.nextAtMs = options.now() + spacing;
        // An answer that has not come within the spacing lets the next request start (still a
        // spacing after this one was sent): one hung or slow answer never holds the site's line.
        // A wall-clock timer, not options.sleep: a simulated clock must not move for it.
        setTimeout(release, spacing).unref?.();
        try {
          return await Promise.race([send(stop), stopped]);
        } catch (error) {
          throw stop.aborted ? stoppingError() : error;
        } finally {
          e.nextAtMs = Math.max(e.nextAtMs, options.now() + spacing);
          release();
        }
      });
      // The line moves on when this turn ends, whatever its outcome, or once its answer is late.
      e.line = Promise.race([
        turn.then(
          () => undefined,
          () => undefined,
        ),
        released,
      ]);
      return Promise.race([turn, stopped]).then((value) => {
        if (stop.aborted) throw stoppingError();
        return value;
      });
    },
    pause(url, forMs) {
      const e = entry(siteOf(url));
      e.pausedUntilMs = Math.max(e.pausedUntilMs, options.now() + forMs);
    },
    nextFreeAtMs(url) {
      const e = sites.get(siteOf(url));
      return e === undefined ? options.now() : Math.max(options.now(), e.nextAtMs, e.pausedUntilMs);
    },
    granted: () => granted,
  };
}

/** What every request refused or abandoned because the agent is stopping rejects with. */
export function stoppingError(): SmartnodeError {
  return new SmartnodeError('STOPPING', 'smartnode is stopping: the request was not sent or its answer not waited for', {
    hint: 'nothing to do: the next start asks again',
  });
}

/** True for the error of a request ended by the agent's stop (not a failure of the site). */
export function isStopping(error: unknown): boolean {
  return error instanceof SmartnodeError && error.code === 'STOPPING';
}

/**
 * A sleep on the wall clock, for the live budget. The timer does not hold the process open: a
 * one-shot command exits when its work is done, even while background counting waits its turn.
 */
export function realSleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.max(0, ms));
    if (typeof timer === 'object' && 'unref' in timer) timer.unref();
  });
}

/**
 * How long a "slow down" answer asks us to wait: its Retry-After (RFC 9110: seconds or an HTTP
 * date, read against the wall clock `nowMs`), else `fallbackMs`; capped at `maxMs` (a site
 * asking for a day is asked again after the cap, and can say so again).
 */
export function retryAfterMs(header: string | null, nowMs: number, fallbackMs: number, maxMs: number): number {
  const text = header?.trim() ?? '';
  if (/^\d+$/.test(text)) return Math.min(maxMs, Number(text) * 1000);
  const date = Date.parse(text);
  return Math.min(maxMs, Number.isNaN(date) ? fallbackMs : Math.max(0, date - nowMs));
}
