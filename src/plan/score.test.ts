import { describe, expect, it } from 'vitest';
import { DEFAULT_SCORING, UNKNOWN_SCARCITY, NeedCache, countsExcludingSelf, swarmNeed, scoreCandidate, seederScarcity } from './score.js';
import { FIXED_NOW_MS, GB, aCounts } from './testing.js';

const scoring = DEFAULT_SCORING;
const score = (seeders: number, leechers: number, sizeBytes = GB) => scoreCandidate({ seeders, leechers }, sizeBytes, scoring);

describe('scoreCandidate', () => {
  it('falls strictly as seeders rise until the target, then is 0', () => {
    const needs = [0, 1, 2, 3, 4, 5, 6, 50].map((s) => score(s, 3).need);
    for (let i = 1; i < 5; i++) expect(needs[i]).toBeLessThan(needs[i - 1] ?? 0);
    expect(needs.slice(5)).toEqual([0, 0, 0]);
    expect(score(0, 0).need).toBe(1);
  });

  it('is steep at 0-1 seeders: the first copy is worth more than all later ones together', () => {
    const drop01 = score(0, 0).need - score(1, 0).need;
    const drop1T = score(1, 0).need - score(5, 0).need;
    expect(drop01).toBeGreaterThan(drop1T);
    expect(seederScarcity(1, 5)).toBeCloseTo(0.4, 10);
    expect(seederScarcity(2, 5)).toBeCloseTo(0.2, 10);
  });

  it('rises with leechers, logarithmically, and only while seeders are scarce', () => {
    const needs = [0, 1, 3, 15, 255].map((l) => score(1, l).need);
    for (let i = 1; i < needs.length; i++) expect(needs[i]).toBeGreaterThan(needs[i - 1] ?? 0);
    expect(score(0, 255).need).toBeCloseTo(3, 10);
    expect(score(5, 1000).need).toBe(0);
    expect(scoreCandidate({ seeders: 1, leechers: 9 }, GB, { ...scoring, leecherWeight: 0 }).need).toBe(score(1, 0).need);
  });

  it('is need per GB: half the size, twice the score, same need', () => {
    const big = score(1, 2, 10 * GB);
    const small = score(1, 2, 5 * GB);
    expect(small.need).toBe(big.need);
    expect(small.score).toBeCloseTo(big.score * 2, 10);
    expect(big.score).toBeCloseTo(big.need / 10, 10);
  });

  it('floors tiny sizes so scores stay bounded', () => {
    expect(score(0, 0, 1).score).toBe(score(0, 0, 1000).score);
    expect(score(0, 0, 1).score).toBeCloseTo(100, 10);
  });

  it('treats unknown counts as moderately needy: below one known seeder, above two', () => {
    const unknown = scoreCandidate(null, GB, scoring);
    expect(unknown.need).toBe(UNKNOWN_SCARCITY);
    expect(unknown.components.seeders).toBeNull();
    expect(unknown.need).toBeLessThan(score(1, 0).need);
    expect(unknown.need).toBeGreaterThan(score(2, 0).need);
    expect(scoreCandidate({ seeders: -1, leechers: -1 }, GB, scoring).need).toBe(UNKNOWN_SCARCITY);
  });

  it('scores 0 with a known need when the size is unknown', () => {
    const r = scoreCandidate({ seeders: 0, leechers: 0 }, null, scoring);
    expect(r.score).toBe(0);
    expect(r.need).toBe(1);
    expect(r.sizeGB).toBeNull();
  });
});

describe('countsExcludingSelf', () => {
  const held = { leftUntilDoneBytes: 0, addedAtMs: FIXED_NOW_MS - 1000 };

  it('does not count our own complete copy as a seeder', () => {
    const r = countsExcludingSelf(aCounts({ seeders: 1, leechers: 2, observedAtMs: FIXED_NOW_MS }), held);
    expect(r).toEqual({ counts: { seeders: 0, leechers: 2 }, selfExcluded: 'seeder' });
  });

  it('does not count our own download as a leecher', () => {
    const r = countsExcludingSelf(aCounts({ seeders: 3, leechers: 2, observedAtMs: FIXED_NOW_MS }), {
      ...held,
      leftUntilDoneBytes: 5,
    });
    expect(r.counts).toEqual({ seeders: 3, leechers: 1 });
    expect(r.selfExcluded).toBe('leecher');
  });

  it('leaves counts observed before we added the torrent alone', () => {
    const counts = aCounts({ seeders: 1, observedAtMs: FIXED_NOW_MS - 5000 });
    expect(countsExcludingSelf(counts, held)).toEqual({ counts, selfExcluded: null });
  });
});

describe('NeedCache', () => {
  it('shares one components object per distinct count, equal to swarmNeed', () => {
    const cache = new NeedCache(scoring);
    const a = cache.get({ seeders: 2, leechers: 7 });
    expect(cache.get({ seeders: 2, leechers: 7 })).toBe(a);
    expect(a).toEqual(swarmNeed({ seeders: 2, leechers: 7 }, scoring));
    expect(cache.get({ seeders: 7, leechers: 2 })).not.toEqual(a);
    expect(cache.get({ seeders: 2, leechers: 7 }, 'seeder')).toEqual({ ...a, selfExcluded: 'seeder' });
    expect(cache.get(null)).toEqual(swarmNeed(null, scoring));
    expect(cache.get({ seeders: -1, leechers: 4 }).seeders).toBeNull();
  });
});
