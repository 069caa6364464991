import { describe, expect, it } from 'vitest';
import { formatTargets, simulateExitCode, targetsOf, type Target } from './report.js';
import { takersPerTwiceDeficit, type SimMetrics } from './run.js';
import type { StrategyName } from './strategies.js';

const aMetrics = (strategy: string, over: Partial<SimMetrics> = {}): SimMetrics => ({
  strategy,
  belowTargetAvg: 100,
  belowTargetEnd: 100,
  atZeroAvg: 10,
  atZeroEnd: 10,
  over2xEnd: 5,
  over2xMax: 10,
  mostNodesOnOne: 3,
  firstHourMaxTakersPerTwiceDeficit: 0.5,
  firstHourTakersWithoutDeficit: 0,
  bytesDownloaded: 1e12,
  donatedBytes: 1e12,
  stalledDayShareAvg: 0.01,
  stalledDayShareMax: 0.02,
  noSourceShareAvg: 0.05,
  adds: 10,
  removes: 1,
  torrents: 100,
  nodes: 10,
  fillHours: 3,
  diskInUseEnd: 0.9,
  replacedNodes: 0,
  wallMs: 1,
  ...over,
});

describe('the simulator targets', () => {
  it('prints met at a ratio up to 1 and MISS above it, names aligned, and exits 1 only on a miss', () => {
    const targets: Target[] = [
      { name: 'short', ratio: 1, detail: 'exactly at the limit' },
      { name: 'a longer name', ratio: 1.004, detail: 'just over' },
    ];
    expect(formatTargets(targets).split('\n')).toEqual([
      'met   short          1.00  (exactly at the limit)',
      'MISS  a longer name  1.00  (just over)',
    ]);
    expect(simulateExitCode(targets)).toBe(1);
    expect(simulateExitCode(targets.slice(0, 1))).toBe(0);
    expect(simulateExitCode([{ name: 'unmeasured', ratio: Number.NaN, detail: '' }])).toBe(1);
    expect(simulateExitCode([])).toBe(0);
  });

  it('reads the ratios from the metrics: below target against the best shipped script and random', () => {
    const byName = new Map<StrategyName, SimMetrics>([
      ['smartnode', aMetrics('smartnode', { belowTargetAvg: 40 })],
      ['annas-archive-daily', aMetrics('annas-archive-daily', { belowTargetAvg: 100 })],
      ['libgen-seedtools', aMetrics('libgen-seedtools', { belowTargetAvg: 200 })],
      ['uniform-random', aMetrics('uniform-random', { belowTargetAvg: 45 })],
    ]);
    const text = formatTargets(targetsOf(byName));
    expect(text).toMatch(/^met {3}below target vs best shipped script \(<= 0\.5x\) +0\.80 {2}\(40\.0 vs annas-archive-daily 100\.0\)$/m);
    expect(text).toMatch(/^MISS {2}below target vs uniform random \(<= 0\.8x\) +1\.11 {2}\(40\.0 vs 45\.0\)$/m);
    expect(simulateExitCode(targetsOf(byName))).toBe(1);
  });

  it('the first hour counts takers of a torrent with no deficit in its ratio: one such taker is already a miss', () => {
    expect(takersPerTwiceDeficit(3, 2)).toBe(0.75);
    expect(takersPerTwiceDeficit(0, 0)).toBe(0);
    expect(takersPerTwiceDeficit(1, 0)).toBeGreaterThan(1);
    expect(takersPerTwiceDeficit(4, 0)).toBeGreaterThan(takersPerTwiceDeficit(1, 0));
    const smart = aMetrics('smartnode', {
      firstHourMaxTakersPerTwiceDeficit: takersPerTwiceDeficit(2, 0),
      firstHourTakersWithoutDeficit: 2,
    });
    const firstHour = targetsOf(new Map([['smartnode', smart]])).find((t) => t.name.startsWith('first hour'));
    expect(firstHour).toMatchObject({ ratio: 3, detail: '2 takers of torrents with no deficit' });
    expect(formatTargets(firstHour === undefined ? [] : [firstHour])).toMatch(/^MISS/);
  });
});
