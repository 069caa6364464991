import { describe, expect, it } from 'vitest';
import { SIM_START_MS } from './model.js';
import { createSimProgress } from './progress.js';
import { formatSimLegend, formatSimTable, formatTargets, plotBelowTarget, simulateExitCode, targetsOf, type Target } from './report.js';
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

describe('the simulator pictures', () => {
  const series = (below: number[]) => ({ hours: below.map((_, i) => i), belowTarget: below, atZero: below.map(() => 0) });

  it("marks smartnode's row and says under the table that lower is better", () => {
    const table = formatSimTable([aMetrics('uniform-random'), aMetrics('smartnode', { belowTargetAvg: 40 })]).split('\n');
    expect(table[0]).toMatch(/^ {2}strategy/);
    expect(table[1]).toMatch(/^ {2}uniform-random/);
    expect(table[2]).toMatch(/^▶ smartnode +40\.0/);
    const bold = formatSimTable([aMetrics('smartnode')], { bold: true }).split('\n')[1] ?? '';
    expect(bold.startsWith('▶ \u001b[1msmartnode')).toBe(true);
    expect(bold.endsWith('\u001b[22m')).toBe(true);
    expect(formatSimLegend()).toMatch(/^every column: lower is better/);
  });

  it("plots with a legend, says lower is better, and draws smartnode's line last and thickest", () => {
    const svg = plotBelowTarget(
      [
        { strategy: 'smartnode', series: series([5, 3, 1]) },
        { strategy: 'uniform-random', series: series([5, 4, 4]) },
      ],
      'title',
    );
    expect(svg).toContain('torrents below target (lower is better)');
    expect(svg).toMatch(/<text [^>]*font-weight="bold">smartnode<\/text>/);
    expect(svg).toMatch(/<text [^>]*>uniform-random<\/text>/);
    const lines = [...svg.matchAll(/<polyline [^>]*stroke-width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(lines).toHaveLength(2);
    expect(lines.at(-1)).toBeGreaterThan(lines[0] ?? 0);
  });
});

describe('the progress while simulating', () => {
  const DAY = 86_400_000;
  it('says each strategy as it starts and the day reached, at most once per interval', () => {
    const written: string[] = [];
    let wall = 0;
    const p = createSimProgress({
      strategies: ['smartnode', 'uniform-random'],
      days: 4,
      write: (t) => written.push(t),
      clock: () => wall,
      isTTY: false,
      everyMs: 1000,
    });
    p.step(SIM_START_MS + DAY, 'smartnode');
    wall = 500;
    p.step(SIM_START_MS + 2 * DAY, 'smartnode');
    wall = 1500;
    p.step(SIM_START_MS + 3 * DAY, 'smartnode');
    wall = 1600;
    p.step(SIM_START_MS + DAY / 2, 'uniform-random');
    p.finish();
    expect(written).toEqual([
      'simulating smartnode (1 of 2): day 1.0 of 4 (25 %)\n',
      'simulating smartnode (1 of 2): day 3.0 of 4 (75 %)\n',
      'simulating uniform-random (2 of 2): day 0.5 of 4 (13 %)\n',
    ]);
  });

  it('rewrites one line on a terminal and clears it at the end', () => {
    const written: string[] = [];
    const p = createSimProgress({ strategies: ['smartnode'], days: 1, write: (t) => written.push(t), clock: () => 0, isTTY: true });
    p.step(SIM_START_MS + DAY / 4, 'smartnode');
    p.finish();
    expect(written).toEqual(['\r\u001b[2Ksimulating smartnode (1 of 1): day 0.3 of 1 (25 %)', '\r\u001b[2K']);
  });
});
