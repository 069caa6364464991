import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { TrackerCounts } from '../daemon/index.js';
import { countsFromTrackerStats, pickCounts } from './counts.js';
import type { CountSourceKind, SwarmCounts } from './types.js';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const MINUTE = 60_000;
const MAX_AGE = 30 * MINUTE;

function aCount(source: CountSourceKind, overrides: Partial<SwarmCounts> = {}): SwarmCounts {
  return { seeders: 5, leechers: 2, completed: 10, source, observedAtMs: NOW - MINUTE, origin: `${source}-origin`, ...overrides };
}

function aTracker(overrides: Partial<TrackerCounts> = {}): TrackerCounts {
  return {
    announce: 'http://tracker.example/announce',
    seederCount: -1,
    leecherCount: -1,
    downloadCount: -1,
    lastScrapeTime: 0,
    ...overrides,
  };
}

describe('pickCounts', () => {
  const opts = { nowMs: NOW, maxAgeMs: MAX_AGE };

  it('prefers daemon over scrape over feed when all are fresh', () => {
    const all = {
      daemon: aCount('daemon', { seeders: 1 }),
      scrape: aCount('scrape', { seeders: 2 }),
      feed: aCount('feed', { seeders: 3 }),
    };
    expect(pickCounts(all, opts)).toMatchObject({ source: 'daemon', seeders: 1, ageMs: MINUTE, isStale: false });
    expect(pickCounts({ scrape: all.scrape, feed: all.feed }, opts)).toMatchObject({ source: 'scrape', seeders: 2 });
    expect(pickCounts({ feed: all.feed }, opts)).toMatchObject({ source: 'feed', seeders: 3 });
  });

  it('skips an unknown (-1) count even when it is the freshest', () => {
    const picked = pickCounts(
      { daemon: aCount('daemon', { seeders: -1, observedAtMs: NOW }), scrape: aCount('scrape', { seeders: 4 }) },
      opts,
    );
    expect(picked).toMatchObject({ source: 'scrape', seeders: 4 });
    expect(pickCounts({ daemon: aCount('daemon', { leechers: -1 }), feed: aCount('feed') }, opts)?.source).toBe('feed');
  });

  it('skips a stale preferred live source when a fresh live one exists', () => {
    const picked = pickCounts(
      { daemon: aCount('daemon', { observedAtMs: NOW - MAX_AGE - 1 }), scrape: aCount('scrape', { observedAtMs: NOW - MAX_AGE }) },
      opts,
    );
    expect(picked).toMatchObject({ source: 'scrape', ageMs: MAX_AGE, isStale: false });
  });

  it("never lets a feed's claim outweigh a live count, even a stale one: 4 claimed mirrors, nobody in the swarm", () => {
    const claim = aCount('feed', { seeders: 4, observedAtMs: NOW });
    const scrape = aCount('scrape', { seeders: 0, leechers: 0, observedAtMs: NOW - 3 * MAX_AGE });
    expect(pickCounts({ scrape, feed: claim }, opts)).toMatchObject({ source: 'scrape', seeders: 0, isStale: true });
    expect(pickCounts({ feed: claim }, opts)).toMatchObject({ source: 'feed', seeders: 4, isStale: false });
  });

  it('falls back to the youngest stale count, flagged stale', () => {
    const picked = pickCounts(
      {
        daemon: aCount('daemon', { observedAtMs: NOW - 3 * MAX_AGE }),
        scrape: aCount('scrape', { observedAtMs: NOW - 2 * MAX_AGE }),
        feed: aCount('feed', { observedAtMs: NOW - 5 * MAX_AGE }),
      },
      opts,
    );
    expect(picked).toMatchObject({ source: 'scrape', ageMs: 2 * MAX_AGE, isStale: true });
  });

  it('returns null when nothing is known, and clamps a future observation to age 0', () => {
    expect(pickCounts({}, opts)).toBeNull();
    expect(pickCounts({ daemon: null, scrape: aCount('scrape', { seeders: -1 }) }, opts)).toBeNull();
    expect(pickCounts({ feed: aCount('feed', { observedAtMs: NOW + 5000 }) }, opts)?.ageMs).toBe(0);
  });

  it('always picks a known count, live before claimed, fresh when one is fresh, by preference among the fresh', () => {
    const count = (source: CountSourceKind) =>
      fc.option(
        fc
          .record({
            seeders: fc.integer({ min: -1, max: 50 }),
            leechers: fc.integer({ min: -1, max: 50 }),
            ageMs: fc.integer({ min: 0, max: 3 * MAX_AGE }),
          })
          .map(({ seeders, leechers, ageMs }) => aCount(source, { seeders, leechers, observedAtMs: NOW - ageMs })),
      );
    fc.assert(
      fc.property(count('daemon'), count('scrape'), count('feed'), (daemon, scrape, feed) => {
        const candidates = { daemon, scrape, feed };
        const known = (['daemon', 'scrape', 'feed'] as const)
          .map((s) => candidates[s])
          .filter((c): c is SwarmCounts => c !== null && c.seeders >= 0 && c.leechers >= 0);
        const picked = pickCounts(candidates, opts);
        if (known.length === 0) return picked === null;
        expect(picked).not.toBeNull();
        const live = known.filter((c) => c.source !== 'feed');
        const pool = live.length > 0 ? live : known;
        const firstFresh = pool.find((c) => NOW - c.observedAtMs <= MAX_AGE);
        if (firstFresh !== undefined) {
          expect(picked?.source).toBe(firstFresh.source);
          expect(picked?.isStale).toBe(false);
        } else {
          expect(picked?.ageMs).toBe(Math.min(...pool.map((c) => NOW - c.observedAtMs)));
          expect(picked?.isStale).toBe(true);
        }
        return true;
      }),
      { numRuns: 1000 },
    );
  });
});

describe('countsFromTrackerStats', () => {
  it('returns null while every tracker is unknown', () => {
    expect(countsFromTrackerStats([], NOW)).toBeNull();
    expect(countsFromTrackerStats([aTracker(), aTracker({ seederCount: 3 })], NOW)).toBeNull();
  });

  it('takes the per-field max over trackers, never the sum', () => {
    const counts = countsFromTrackerStats(
      [
        aTracker({
          announce: 'http://a.example/announce',
          seederCount: 4,
          leecherCount: 9,
          downloadCount: 100,
          lastScrapeTime: NOW / 1000 - 60,
        }),
        aTracker({
          announce: 'http://b.example/announce',
          seederCount: 7,
          leecherCount: 2,
          downloadCount: -1,
          lastScrapeTime: NOW / 1000 - 120,
        }),
        aTracker({ announce: 'udp://c.example:6969' }),
      ],
      NOW,
    );
    expect(counts).toEqual({
      seeders: 7,
      leechers: 9,
      completed: 100,
      source: 'daemon',
      observedAtMs: NOW - 120_000,
      origin: 'http://b.example/announce',
    });
  });

  it('uses now for counts known from announces only, clamps future times, null completed when unknown', () => {
    expect(countsFromTrackerStats([aTracker({ seederCount: 0, leecherCount: 0 })], NOW)).toMatchObject({
      seeders: 0,
      leechers: 0,
      completed: null,
      observedAtMs: NOW,
    });
    expect(
      countsFromTrackerStats([aTracker({ seederCount: 1, leecherCount: 0, lastScrapeTime: NOW / 1000 + 3600 })], NOW)?.observedAtMs,
    ).toBe(NOW);
  });

  it('redacts a passkey in the origin, in the query and in the path', () => {
    const secret = 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6';
    const fromQuery = countsFromTrackerStats(
      [aTracker({ announce: `http://t.example/announce.php?passkey=${secret}`, seederCount: 1, leecherCount: 0 })],
      NOW,
    );
    const fromPath = countsFromTrackerStats(
      [aTracker({ announce: `http://t.example/${secret}/announce`, seederCount: 1, leecherCount: 0 })],
      NOW,
    );
    expect(fromQuery?.origin).not.toContain(secret);
    expect(fromPath?.origin).not.toContain(secret);
    expect(fromPath?.origin).toBe('http://t.example/***/announce');
  });
});
