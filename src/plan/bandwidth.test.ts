import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { billingPeriod, capRate, ratesAt, shareByNeed, utcDay, windowCovers, type RateRules, type ShareClaim } from './bandwidth.js';
import { hashOf } from './testing.js';

const MON = 0;
const FRI = 4;
const SAT = 5;
const SUN = 6;
const at = (weekday: number, hh: number, mm = 0) => ({ weekday, minuteOfDay: hh * 60 + mm });

describe('the weekly schedule', () => {
  const rules: RateRules = {
    uploadBytesPerSec: 1e6,
    downloadBytesPerSec: 2e6,
    schedule: [
      { days: [0, 1, 2, 3, 4], fromMinute: 9 * 60, toMinute: 18 * 60, uploadBytesPerSec: 100e3 },
      { days: [0, 1, 2, 3, 4, 5, 6], fromMinute: 22 * 60, toMinute: 6 * 60, uploadBytesPerSec: null, downloadBytesPerSec: null },
    ],
  };

  it('a trickle in office hours, full speed at night, the base rates otherwise', () => {
    expect(ratesAt(rules, at(MON, 10))).toEqual({ uploadBytesPerSec: 100e3, downloadBytesPerSec: 2e6, window: 0 });
    expect(ratesAt(rules, at(FRI, 17, 59)).window).toBe(0);
    expect(ratesAt(rules, at(FRI, 18)).window).toBeNull();
    expect(ratesAt(rules, at(SAT, 10))).toEqual({ uploadBytesPerSec: 1e6, downloadBytesPerSec: 2e6, window: null });
    expect(ratesAt(rules, at(SAT, 23))).toEqual({ uploadBytesPerSec: null, downloadBytesPerSec: null, window: 1 });
    expect(ratesAt(rules, at(MON, 5, 59)).window).toBe(1);
    expect(ratesAt(rules, at(MON, 6)).window).toBeNull();
  });

  it('a window past midnight covers the morning of the day after its start day', () => {
    const w = { days: [SUN], fromMinute: 23 * 60, toMinute: 60 };
    expect(windowCovers(w, at(SUN, 23, 30))).toBe(true);
    expect(windowCovers(w, at(MON, 0, 30))).toBe(true);
    expect(windowCovers(w, at(SUN, 0, 30))).toBe(false);
    expect(windowCovers(w, at(MON, 23, 30))).toBe(false);
  });
});

describe('billing periods', () => {
  it('a billing day of 31 is the last day of shorter months (28 February, 29 in a leap year)', () => {
    expect(billingPeriod(Date.UTC(2026, 1, 15), 31)).toEqual({ startMs: Date.UTC(2026, 0, 31), endMs: Date.UTC(2026, 1, 28) });
    expect(billingPeriod(Date.UTC(2026, 1, 28, 0, 0, 1), 31)).toEqual({ startMs: Date.UTC(2026, 1, 28), endMs: Date.UTC(2026, 2, 31) });
    expect(billingPeriod(Date.UTC(2028, 1, 29, 12), 31).startMs).toBe(Date.UTC(2028, 1, 29));
    expect(billingPeriod(Date.UTC(2026, 3, 30, 12), 31)).toEqual({ startMs: Date.UTC(2026, 3, 30), endMs: Date.UTC(2026, 4, 31) });
  });

  it('crosses the year and starts exactly on the billing day', () => {
    expect(billingPeriod(Date.UTC(2026, 0, 3), 15)).toEqual({ startMs: Date.UTC(2025, 11, 15), endMs: Date.UTC(2026, 0, 15) });
    expect(billingPeriod(Date.UTC(2026, 0, 15), 15).startMs).toBe(Date.UTC(2026, 0, 15));
    expect(utcDay(Date.UTC(2026, 0, 3, 13))).toEqual({ startMs: Date.UTC(2026, 0, 3), endMs: Date.UTC(2026, 0, 4) });
  });

  it('every instant lies in its period, periods are 28-31 days and follow each other', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) }), fc.integer({ min: 1, max: 31 }), (now, day) => {
        const p = billingPeriod(now, day);
        expect(p.startMs).toBeLessThanOrEqual(now);
        expect(now).toBeLessThan(p.endMs);
        const days = (p.endMs - p.startMs) / 86_400_000;
        expect(days).toBeGreaterThanOrEqual(28);
        expect(days).toBeLessThanOrEqual(31);
        expect(billingPeriod(p.endMs, day).startMs).toBe(p.endMs);
      }),
      { numRuns: 500 },
    );
  });
});

describe('monthly caps', () => {
  const DAY = 86_400_000;
  it('open below throttleAt, spread over the rest of the period above it, stopped at the cap', () => {
    const cap = { capBytes: 10e12, throttleAt: 0.9, msLeft: 10 * DAY };
    expect(capRate(5e6, { ...cap, usedBytes: 1e12 })).toEqual({ bytesPerSec: 5e6, state: 'open' });
    const throttled = capRate(50e6, { ...cap, usedBytes: 9.5e12 });
    expect(throttled.state).toBe('throttled');
    expect(throttled.bytesPerSec).toBeCloseTo(0.5e12 / (10 * 86_400), 3);
    expect(capRate(null, { ...cap, usedBytes: 9.5e12 }).bytesPerSec).toBeCloseTo(0.5e12 / (10 * 86_400), 3);
    expect(capRate(1e3, { ...cap, usedBytes: 9.5e12 }).bytesPerSec).toBe(1e3);
    expect(capRate(5e6, { ...cap, usedBytes: 10e12 })).toEqual({ bytesPerSec: 0, state: 'stopped' });
    expect(capRate(5e6, null)).toEqual({ bytesPerSec: 5e6, state: 'open' });
  });
});

describe('sharing one cap by need', () => {
  const claim = (n: number, need: number, active = true): ShareClaim => ({ infoHash: hashOf(n), need, active });

  it('gives one torrent the whole cap, and N torrents the cap between them, not N x cap', () => {
    expect(shareByNeed(1e6, [claim(1, 1)]).get(hashOf(1))).toBe(1e6);
    const shares = shareByNeed(1e6, [claim(1, 1), claim(2, 1), claim(3, 2)]);
    expect([...shares.values()].reduce((s, v) => (s ?? 0) + (v ?? 0), 0)).toBe(1e6);
    expect(shares.get(hashOf(3))).toBeGreaterThan(shares.get(hashOf(1)) ?? Infinity);
    expect(shares.get(hashOf(3))).toBeCloseTo(500e3, -4);
  });

  it('idle torrents keep a trickle; the active ones share the rest', () => {
    const shares = shareByNeed(1e6, [claim(1, 1), claim(2, 5, false)]);
    expect(shares.get(hashOf(2))).toBe(1000);
    expect(shares.get(hashOf(1))).toBe(999_000);
  });

  it('unlimited stays unlimited; a cap too small for everyone goes to the neediest', () => {
    expect(shareByNeed(null, [claim(1, 1)]).get(hashOf(1))).toBeNull();
    const tiny = shareByNeed(2500, [claim(1, 0.1), claim(2, 3), claim(3, 1)]);
    expect([tiny.get(hashOf(2)), tiny.get(hashOf(3)), tiny.get(hashOf(1))]).toEqual([1000, 1000, 0]);
    expect(shareByNeed(0, [claim(1, 1)]).get(hashOf(1))).toBe(0);
  });

  it('never hands out more than the cap, never a negative share, whole kB/s only (generated)', () => {
    const claims = fc.uniqueArray(
      fc.record({ n: fc.integer({ min: 1, max: 5000 }), need: fc.double({ min: 0, max: 50, noNaN: true }), active: fc.boolean() }),
      { maxLength: 300, selector: (c) => c.n },
    );
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 100_000_000 }), claims, (total, cs) => {
        const shares = shareByNeed(
          total,
          cs.map((c) => claim(c.n, c.need, c.active)),
        );
        let sum = 0;
        for (const c of cs) {
          const v = shares.get(hashOf(c.n));
          expect(v).not.toBeNull();
          expect(v).toBeGreaterThanOrEqual(0);
          expect((v ?? 0) % 1000).toBe(0);
          sum += v ?? 0;
        }
        expect(sum).toBeLessThanOrEqual(total);
        if (cs.length > 0 && total >= 1000 * cs.length) expect(sum).toBeGreaterThan(total - 1000 - cs.length * 1000);
      }),
      { numRuns: 300 },
    );
  });
});
