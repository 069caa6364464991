import { describe, expect, it } from 'vitest';
import { createSiteBudget, retryAfterMs, siteOf } from './site-budget.js';

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
