import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clipText,
  fitLeft,
  fitRight,
  formatBytes,
  formatBytesAtMost,
  formatClock,
  formatDate,
  formatDuration,
  formatDurationExact,
  formatPercent,
  formatRate,
  formatScore,
  formatSizeExact,
  plural,
} from './format.js';

const GB = 1e9;
const UNIT_FACTORS: Readonly<Record<string, number>> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15, EB: 1e18 };
const DURATION_FACTORS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The number a displayed size stands for ("1.5 GB" -> 1.5e9). */
function readBytes(text: string): number {
  const [amount = '', unit = ''] = text.split(' ');
  return Number(amount) * (UNIT_FACTORS[unit] ?? Number.NaN);
}

/** The milliseconds a displayed duration stands for ("12m05s" -> 725000). */
function readDuration(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/([0-9.]+)([smhd])/g)) total += Number(m[1]) * (DURATION_FACTORS[m[2] ?? ''] ?? Number.NaN);
  return total;
}

describe('display formatters', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1 kB'],
    [1500, '1.5 kB'],
    [999_999, '1 MB'],
    [1.25 * GB, '1.3 GB'],
    [250 * GB, '250 GB'],
    [3e12, '3 TB'],
    [-1500, '-1.5 kB'],
    [null, '?'],
    [Number.NaN, '?'],
  ] as const)('formatBytes(%s) = %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [7_960_000, '7.9 MB'],
    [8_000_000, '8 MB'],
    [999_999, '999 kB'],
    [512, '512 B'],
    [250.9 * GB, '250 GB'],
  ] as const)('formatBytesAtMost(%s) = %s: room left is never shown as more than it is', (bytes, text) => {
    expect(formatBytesAtMost(bytes)).toBe(text);
  });

  it('writes rates as bytes per second', () => {
    expect(formatRate(12_500_000)).toBe('12.5 MB/s');
    expect(formatRate(null)).toBe('?/s');
  });

  it.each([
    [0, '0s'],
    [-5000, '0s'],
    [999, '0s'],
    [5000, '5s'],
    [60_000, '1m'],
    [90_000, '1m30s'],
    [12 * 60_000, '12m'],
    [725_000, '12m05s'],
    [31 * 3_600_000, '31h'],
    [111_900_000, '31h05m'],
    [108 * 3_600_000, '4.5d'],
  ] as const)('formatDuration(%d) = %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('writes scores, percentages and counts', () => {
    expect([formatScore(0), formatScore(0.041234), formatScore(1.256), formatScore(312.4)]).toEqual(['0', '0.0412', '1.26', '312']);
    expect([formatPercent(0.25), formatPercent(1)]).toEqual(['25%', '100%']);
    expect([plural(1, 'seeder'), plural(3, 'seeder'), plural(2, 'is', 'are')]).toEqual(['1 seeder', '3 seeders', '2 are']);
    expect(formatClock(Date.UTC(2026, 0, 1, 13, 4, 5))).toBe('13:04:05');
    expect(formatDate(Date.UTC(2026, 0, 1, 13, 4, 5))).toBe('2026-01-01');
  });

  it('a displayed size is within 5% of the value (one decimal of at least one unit)', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(Math.abs(readBytes(formatBytes(n)) - n)).toBeLessThanOrEqual(Math.max(0.5, n * 0.05));
      }),
      { numRuns: 2000 },
    );
  });

  it('a displayed duration is off by less than a second, or by at most 2.5% from an hour on', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3650 * 86_400_000 }), (ms) => {
        expect(Math.abs(readDuration(formatDuration(ms)) - ms)).toBeLessThanOrEqual(Math.max(1000, ms * 0.025));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('exact formatters', () => {
  it('keep every digit', () => {
    expect(formatSizeExact(1_234_567)).toBe('1.234567 MB');
    expect(formatSizeExact(2e12)).toBe('2 TB');
    expect(formatSizeExact(999)).toBe('999 B');
    expect(formatDurationExact(5_400_000)).toBe('1h30m');
    expect(formatDurationExact(500)).toBe('500ms');
    expect(formatDurationExact(90_061_001)).toBe('1d1h1m1s1ms');
    expect(formatDurationExact(0)).toBe('0s');
  });
});

describe('terminal columns', () => {
  it('clips with an ellipsis and pads to the width', () => {
    expect(clipText('abcdef', 4)).toBe('abc…');
    expect(clipText('abc', 4)).toBe('abc');
    expect(fitLeft('abc', 5)).toBe('abc  ');
    expect(fitLeft('abcdef', 4)).toBe('abc…');
    expect(fitLeft('abc', 1)).toBe('…');
    expect(fitRight('abc', 5)).toBe('  abc');
    expect(fitRight('abcdef', 4)).toBe('abcd');
    expect([clipText('abc', 0), fitLeft('abc', 0), fitRight('abc', 0)]).toEqual(['', '', '']);
  });
});
