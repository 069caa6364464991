import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDurationExact, formatSizeExact } from '../shared/index.js';
import { MAX_DURATION_MS, parseDuration, parseRate, parseSize, type UnitResult } from './units.js';

function value(result: UnitResult): number {
  if (!result.ok) throw new Error(`expected ok, got error: ${result.error}`);
  return result.value;
}

function error(result: UnitResult): string {
  if (result.ok) throw new Error(`expected an error, got ${result.value}`);
  return result.error;
}

describe('parseSize', () => {
  it.each([
    ['2 TB', 2e12],
    ['500 GiB', 500 * 1024 ** 3],
    ['1.5GB', 1.5e9],
    ['0', 0],
    [0, 0],
    [1024, 1024],
    ['1024', 1024],
    ['800 kB', 800_000],
    ['800 KB', 800_000],
    ['1 kib', 1024],
    ['3 mb', 3e6],
    ['1 PiB', 1024 ** 5],
    ['1000 PB', 1e18],
    ['  7 B  ', 7],
    ['10 bytes', 10],
    ['1.3 KiB', Math.round(1.3 * 1024)],
  ] as const)('%j -> %d bytes', (input, bytes) => {
    expect(value(parseSize(input))).toBe(bytes);
  });

  it.each([
    ['lots', 'expected a size like "500 GB", got "lots"'],
    ['-5 GB', 'negative'],
    [-1, 'negative'],
    [Number.NaN, 'got NaN'],
    [Number.POSITIVE_INFINITY, 'got Infinity'],
    ['1001 PB', 'larger than 1 EB'],
    [2e18, 'larger than 1 EB'],
    ['500 G', 'ambiguous, write "GB" (powers of 1000) or "GiB" (powers of 1024)'],
    ['2 T', 'ambiguous'],
    ['5 Gi', 'ambiguous'],
    ['5 XB', 'unknown unit "XB"'],
    ['10 MB/s', 'unknown unit "MB/s"'],
    ['1.5', 'whole number'],
    ['1.5 B', 'whole number'],
    [1.5, 'whole number'],
    ['1e9', 'got "1e9"'],
    ['1,000 GB', 'got "1,000 GB"'],
    ['', 'got ""'],
    [true, 'got boolean'],
    [null, 'got null'],
    [{}, 'got a mapping'],
  ] as const)('%j is refused (%s)', (input, message) => {
    expect(error(parseSize(input))).toContain(message);
  });

  it('quotes the input in the exact documented form', () => {
    expect(error(parseSize('lots'))).toBe('expected a size like "500 GB", got "lots"');
  });
});

describe('parseRate', () => {
  it.each([
    ['10 MB/s', 10e6],
    ['800 kB/s', 800_000],
    ['1 Mbit/s', 125_000],
    ['100 mbit/s', 12_500_000],
    ['1 Gbit/s', 125_000_000],
    ['2 MiB/s', 2 * 1024 ** 2],
    ['5 MB / s', 5e6],
    ['0/s', 0],
    [125000, 125_000],
  ] as const)('%j -> %d bytes/s', (input, bytesPerSec) => {
    expect(value(parseRate(input))).toBe(bytesPerSec);
  });

  it.each([
    ['fast', 'expected a rate like "10 MB/s" or "100 Mbit/s", got "fast"'],
    ['10 MB', 'add "/s"'],
    ['10 Mbps', 'write the unit with "/s"'],
    ['-1 MB/s', 'negative'],
    ['10 M/s', 'ambiguous'],
    ['10 XB/s', 'got "10 XB/s"'],
    [-3, 'negative'],
  ] as const)('%j is refused (%s)', (input, message) => {
    expect(error(parseRate(input))).toContain(message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['15m', 900_000],
    ['1h30m', 5_400_000],
    ['1h 30m', 5_400_000],
    ['7d', 604_800_000],
    ['45s', 45_000],
    ['500ms', 500],
    ['1s500ms', 1500],
    ['1.5h', 5_400_000],
    ['2w', 1_209_600_000],
    ['0', 0],
    [0, 0],
  ] as const)('%j -> %d ms', (input, ms) => {
    expect(value(parseDuration(input))).toBe(ms);
  });

  it.each([
    ['soon', 'expected a duration like "15m", "1h30m" or "7d", got "soon"'],
    ['30', 'a bare number is ambiguous'],
    [30, 'a bare number is ambiguous'],
    ['5M', '"M" could be minutes or months'],
    ['5H', 'unknown unit "H"'],
    ['30m1h', 'largest first'],
    ['1h1h', 'largest first'],
    ['-5m', 'negative'],
    ['5 minutes', 'unknown unit "minutes"'],
    ['1h30', 'got "1h30"'],
    ['3651d', 'longer than 10 years'],
    [null, 'got null'],
  ] as const)('%j is refused (%s)', (input, message) => {
    expect(error(parseDuration(input))).toContain(message);
  });
});

describe('round trips (generated)', () => {
  it('parseSize(formatSizeExact(n)) === n for every whole byte count', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(value(parseSize(formatSizeExact(n)))).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('parseDuration(formatDurationExact(ms)) === ms', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_DURATION_MS }), (ms) => {
        expect(value(parseDuration(formatDurationExact(ms)))).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });
});
