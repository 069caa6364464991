/**
 * `smartnode simulate --matrix`: every named world against every strategy, each world on the
 * same seed for all strategies, one row per world: torrents below target (time-averaged over
 * the second half) per strategy, smartnode's ratio to uniform random and to the best shipped
 * script, and smartnode's donated disk in use at the end, bytes downloaded per donated disk,
 * largest stalled share and first-hour takers per twice the deficit.
 */
import type { AgentConfig } from '../agent/index.js';
import type { SimOptions } from './model.js';
import { runStrategiesInWorkers } from './parallel.js';
import type { SimMetrics } from './run.js';
import { SHIPPED_SCRIPTS, type StrategyName } from './strategies.js';
import { worldOptions, type WorldPreset } from './worlds.js';

export const MATRIX_STRATEGIES: readonly StrategyName[] = [
  'smartnode',
  'uniform-random',
  'add-all-that-fits',
  'annas-archive-daily',
  'annas-archive-once',
  'libgen-seedtools',
  'keep-at',
];

export interface MatrixRow {
  world: string;
  summary: string;
  options: SimOptions;
  /** Every strategy's metrics, in the matrix's strategy order. */
  metrics: SimMetrics[];
  /** smartnode's below-target average over uniform random's, and over the best shipped script's (null: not in the run). */
  vsRandom: number | null;
  vsBestScript: { ratio: number; script: string } | null;
  /** smartnode's shadow run (SimOptions.shadowEvery): node-ticks decided both ways, and those that differed (null: smartnode not run). */
  shadow: { ticks: number; changed: number } | null;
  wallMs: number;
}

/**
 * The matrix's shadow run: one node-tick in this many is also decided the agent's own way. A
 * sample, as a whole second decision of every node-tick would double the run.
 */
export const MATRIX_SHADOW_EVERY = 50;

export async function runMatrix(
  base: SimOptions,
  worlds: readonly WorldPreset[],
  strategies: readonly StrategyName[],
  config: AgentConfig,
  workers: number,
  explicit: Partial<SimOptions> = {},
  onRow?: (row: MatrixRow) => void,
): Promise<MatrixRow[]> {
  const rows: MatrixRow[] = [];
  for (const preset of worlds) {
    const world = worldOptions(base, preset, explicit);
    const options = { ...world, shadowEvery: world.shadowEvery > 0 ? world.shadowEvery : MATRIX_SHADOW_EVERY };
    const started = performance.now();
    const outcomes = await runStrategiesInWorkers(options, strategies, config, workers);
    const metrics = strategies.map((s) => outcomes.get(s)?.run.metrics).filter((m): m is SimMetrics => m !== undefined);
    const stats = outcomes.get('smartnode')?.stats ?? null;
    const row = {
      world: preset.name,
      summary: preset.summary,
      options,
      metrics,
      ...ratiosOf(metrics),
      shadow: stats === null ? null : { ticks: stats.shadowTicks, changed: stats.shadowChanged },
      wallMs: performance.now() - started,
    };
    rows.push(row);
    onRow?.(row);
  }
  return rows;
}

export function ratiosOf(metrics: readonly SimMetrics[]): Pick<MatrixRow, 'vsRandom' | 'vsBestScript'> {
  const by = (name: string): SimMetrics | undefined => metrics.find((m) => m.strategy === name);
  const smart = by('smartnode');
  const random = by('uniform-random');
  const scripts = SHIPPED_SCRIPTS.map(by).filter((m): m is SimMetrics => m !== undefined);
  if (smart === undefined) return { vsRandom: null, vsBestScript: null };
  const ratio = (other: SimMetrics): number => smart.belowTargetAvg / Math.max(1e-9, other.belowTargetAvg);
  const best = scripts.length === 0 ? undefined : scripts.reduce((a, b) => (b.belowTargetAvg < a.belowTargetAvg ? b : a));
  return {
    vsRandom: random === undefined ? null : ratio(random),
    vsBestScript: best === undefined ? null : { ratio: ratio(best), script: best.strategy },
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(0)} %`;

/** The matrix as a table, one row per world; the strategy columns in the order given. */
export function formatMatrix(rows: readonly MatrixRow[], strategies: readonly StrategyName[]): string {
  const smartOf = (r: MatrixRow): SimMetrics | undefined => r.metrics.find((m) => m.strategy === 'smartnode');
  const columns: Array<[string, (r: MatrixRow) => string]> = [
    ['world', (r) => r.world],
    ...strategies.map((s): [string, (r: MatrixRow) => string] => [
      s,
      (r) => {
        const m = r.metrics.find((x) => x.strategy === s);
        return m === undefined ? '-' : m.belowTargetAvg.toFixed(0);
      },
    ]),
    ['vs random', (r) => (r.vsRandom === null ? '-' : `${r.vsRandom.toFixed(2)}x`)],
    ['vs best script', (r) => (r.vsBestScript === null ? '-' : `${r.vsBestScript.ratio.toFixed(2)}x ${r.vsBestScript.script}`)],
    ['disk in use', (r) => fmt(smartOf(r), (m) => pct(m.diskInUseEnd))],
    ['downloaded', (r) => fmt(smartOf(r), (m) => `${(m.bytesDownloaded / Math.max(1, m.donatedBytes)).toFixed(2)}x`)],
    ['stalled max', (r) => fmt(smartOf(r), (m) => pct(m.stalledDayShareMax))],
    ['1st hour', (r) => fmt(smartOf(r), (m) => m.firstHourMaxTakersPerTwiceDeficit.toFixed(2))],
    ['shadow changed', (r) => (r.shadow === null ? '-' : `${r.shadow.changed}/${r.shadow.ticks}`)],
    ['wall', (r) => `${(r.wallMs / 1000).toFixed(0)} s`],
  ];
  const table = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, f]) => f(r)))];
  const widths = columns.map((_, c) => Math.max(...table.map((row) => (row[c] ?? '').length)));
  return table
    .map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  '))
    .join('\n');
}

function fmt(m: SimMetrics | undefined, f: (m: SimMetrics) => string): string {
  return m === undefined ? '-' : f(m);
}
