import { describe, expect, it } from 'vitest';
import { createSiteBudget, isStopping, realSleep, retryAfterMs, siteOf } from './site-budget.js';

/** A simulated clock: sleeping moves it forward, so pacing is exact and instant. */
function simulated(startMs = 1_000_000) {
  let nowMs = startMs;
  return {
    now: () => nowMs,
    sleep: async (ms: number) => {
      nowMs += ms;
    },
  };
}

describe('siteOf', () => {
  it('makes one site of a host and its subdomains, ignoring scheme and port', () => {
    expect(siteOf('https://academictorrents.com/announce.php?passkey=x')).toBe('academictorrents.com');
    expect(siteOf('http://ipv6.academictorrents.com:8080/scrape.php')).toBe('academictorrents.com');
    expect(siteOf('udp://tracker.opentrackr.org:1337/announce')).toBe('opentrackr.org');
    expect(siteOf('http://127.0.0.1:4000/x')).toBe('127.0.0.1');
    expect(siteOf('http://127.0.0.1:5000/y')).toBe('127.0.0.1');
    expect(siteOf('not a url')).toBe('not a url');
  });
});

describe('createSiteBudget', () => {
  it('sends one request at a time per site, 1/rate after the previous one ended, in the order asked, while another site runs free', async () => {
    const clock = simulated();
    const budget = createSiteBudget({ ratePerSecond: (site) => (site === 'academictorrents.com' ? 0.5 : 10), ...clock });
    const starts: { site: string; atMs: number }[] = [];
    const ask = (url: string) =>
      budget.run(url, async () => {
        starts.push({ site: siteOf(url), atMs: clock.now() });
        await clock.sleep(100); // the request takes 100 ms: the next one starts 1/rate after it ends
      });
    await Promise.all([
      ask('https://academictorrents.com/scrape.php'),
      ask('https://academictorrents.com/download/a.torrent'),
      ask('https://ipv6.academictorrents.com/announce.php'),
    ]);
    const at = starts.filter((s) => s.site === 'academictorrents.com').map((s) => s.atMs - 1_000_000);
    expect(at).toEqual([0, 2100, 4200]);
    expect(budget.granted().get('academictorrents.com')).toBe(3);
  });

  it('sends nothing to a paused site until the pause ends, and keeps the spacing after it', async () => {
    const clock = simulated();
    const budget = createSiteBudget({ ratePerSecond: () => 1, ...clock });
    const send = async () => clock.now();
    await budget.run('http://site.example/a', send);
    budget.pause('http://tracker.site.example/b', 30_000);
    expect(budget.nextFreeAtMs('http://site.example/')).toBe(1_030_000);
    expect(await budget.run('http://site.example/c', send)).toBe(1_030_000);
    expect(await budget.run('http://site.example/d', send)).toBe(1_031_000);
  });
});

describe('createSiteBudget: a clock stepped back', () => {
  it('waits at most one spacing, not until the clock catches up', async () => {
    let nowMs = 5_000_000;
    const slept: number[] = [];
    const budget = createSiteBudget({
      ratePerSecond: () => 0.5,
      now: () => nowMs,
      sleep: async (ms) => {
        slept.push(ms);
        nowMs += ms;
      },
    });
    await budget.run('https://academictorrents.com/a', async () => undefined);
    nowMs -= 3_600_000; // stepped back an hour
    await budget.run('https://academictorrents.com/b', async () => undefined);
    expect(Math.max(...slept)).toBeLessThanOrEqual(2000);
  });
});

describe('createSiteBudget: a hung answer', () => {
  it('does not hold the site: the next request starts one spacing after the hung one was sent', async () => {
    const stop = new AbortController();
    const budget = createSiteBudget({ ratePerSecond: () => 20, now: Date.now, sleep: realSleep, stop: stop.signal });
    const sentAt: number[] = [];
    const hung = budget
      .run('http://127.0.0.1:1/feed-a', (signal) => {
        sentAt.push(Date.now());
        return new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('abandoned'))));
      })
      .catch(() => 'stopped');
    const answered = await budget.run('http://127.0.0.1:1/feed-b', async () => {
      sentAt.push(Date.now());
      return 'answered';
    });
    expect(answered).toBe('answered');
    const [first = 0, second = 0] = sentAt;
    expect(second - first).toBeGreaterThanOrEqual(45); // still spaced at 1/rate from the hung one's start
    expect(second - first).toBeLessThan(1000); // and not held until the hung one ends
    stop.abort();
    expect(await hung).toBe('stopped');
  });
});

describe('createSiteBudget: a stop', () => {
  it('ends every waiting turn and the one under way at once, on the wall clock, and starts nothing after', async () => {
    const stop = new AbortController();
    // Academic Torrents' rate: ten queued requests would take 20 s.
    const budget = createSiteBudget({ ratePerSecond: () => 0.5, now: Date.now, sleep: realSleep, stop: stop.signal });
    const sent: number[] = [];
    let sawAbort = false;
    const ask = (i: number) =>
      budget.run('https://academictorrents.com/download/x.torrent', (signal) => {
        sent.push(i);
        // A request that never answers by itself, only to its abort.
        return new Promise<never>((_, reject) =>
          signal.addEventListener('abort', () => {
            sawAbort = true;
            reject(new Error('abandoned'));
          }),
        );
      });
    const started = Date.now();
    const outcomes = Array.from({ length: 10 }, (_, i) =>
      ask(i).then(
        () => 'answered',
        (error: unknown) => error,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    stop.abort();
    const settled = await Promise.all(outcomes);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(settled.every(isStopping)).toBe(true);
    expect(sent).toEqual([0]);
    expect(sawAbort).toBe(true);
    // After the stop nothing is sent, whoever asks.
    expect(isStopping(await ask(11).catch((error: unknown) => error))).toBe(true);
    expect(sent).toEqual([0]);
  });

  it('ends a turn whose request ignores the signal, and never hands out an answer that came after it', async () => {
    const stop = new AbortController();
    const budget = createSiteBudget({ ratePerSecond: () => 10, now: Date.now, sleep: realSleep, stop: stop.signal });
    let answer: (value: string) => void = () => undefined;
    const turn = budget.run('http://127.0.0.1/x', () => new Promise<string>((resolve) => (answer = resolve)));
    await new Promise((resolve) => setTimeout(resolve, 20));
    stop.abort();
    answer('late');
    expect(isStopping(await turn.catch((error: unknown) => error))).toBe(true);
  });
});

describe('retryAfterMs', () => {
  it('reads seconds and HTTP dates, falls back when missing or junk, and caps', () => {
    const now = Date.parse('2026-12-07T20:00:00Z');
    expect(retryAfterMs('120', now, 60_000, 3_600_000)).toBe(120_000);
    expect(retryAfterMs('Mon, 07 Dec 2026 20:00:30 GMT', now, 60_000, 3_600_000)).toBe(30_000);
    expect(retryAfterMs(null, now, 60_000, 3_600_000)).toBe(60_000);
    expect(retryAfterMs('soon', now, 60_000, 3_600_000)).toBe(60_000);
    expect(retryAfterMs('86400', now, 60_000, 3_600_000)).toBe(3_600_000);
  });
});
