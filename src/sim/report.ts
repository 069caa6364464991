/**
 * What `smartnode simulate` prints, pure: the table of every strategy's metrics, the targets
 * as measured ratios (each passes at <= 1), and an SVG plot of torrents below target over time.
 */
import { formatBytes } from '../shared/index.js';
import type { LoneFill } from './lone-fill.js';
import type { SimMetrics, SimSeries } from './run.js';
import { SHIPPED_SCRIPTS, type StrategyName } from './strategies.js';

export interface Target {
  name: string;
  /** measured / allowed: at most 1 meets the target. */
  ratio: number;
  detail: string;
}

export function targetsOf(byName: ReadonlyMap<StrategyName, SimMetrics>, loneFill?: LoneFill): Target[] {
  const smart = byName.get('smartnode');
  if (smart === undefined) return [];
  const targets: Target[] = [];
  const shipped = SHIPPED_SCRIPTS.map((s) => byName.get(s)).filter((m): m is SimMetrics => m !== undefined);
  if (shipped.length > 0) {
    const best = shipped.reduce((a, b) => (b.belowTargetAvg < a.belowTargetAvg ? b : a));
    targets.push({
      name: 'below target vs best shipped script (<= 0.5x)',
      ratio: smart.belowTargetAvg / Math.max(1e-9, best.belowTargetAvg) / 0.5,
      detail: `${smart.belowTargetAvg.toFixed(1)} vs ${best.strategy} ${best.belowTargetAvg.toFixed(1)}`,
    });
  }
  const random = byName.get('uniform-random');
  if (random !== undefined) {
    targets.push({
      name: 'below target vs uniform random (<= 0.8x)',
      ratio: smart.belowTargetAvg / Math.max(1e-9, random.belowTargetAvg) / 0.8,
      detail: `${smart.belowTargetAvg.toFixed(1)} vs ${random.belowTargetAvg.toFixed(1)}`,
    });
  }
  const none = byName.get('no-smartnodes');
  if (none !== undefined) {
    targets.push({
      name: 'over twice the target vs no smartnodes (<= 1.1x)',
      ratio: smart.over2xMax / Math.max(1, none.over2xMax) / 1.1,
      detail: `${smart.over2xMax} vs ${none.over2xMax} (most over the run)`,
    });
  }
  targets.push({
    name: 'first hour: takers per twice the deficit (<= 1)',
    ratio: smart.firstHourMaxTakersPerTwiceDeficit,
    detail: `${smart.firstHourTakersWithoutDeficit} takers of torrents with no deficit`,
  });
  targets.push({
    name: 'disk on downloads stalled a day (<= 10 %)',
    ratio: smart.stalledDayShareMax / 0.1,
    detail: `max ${(100 * smart.stalledDayShareMax).toFixed(1)} %, mean ${(100 * smart.stalledDayShareAvg).toFixed(1)} %`,
  });
  targets.push({
    name: 'bytes downloaded per donated disk (<= 1.5x)',
    ratio: smart.bytesDownloaded / Math.max(1, smart.donatedBytes) / 1.5,
    detail: `${formatBytes(smart.bytesDownloaded)} of ${formatBytes(smart.donatedBytes)} donated`,
  });
  if (loneFill !== undefined) {
    const { slowStartHours: slow, noSlowStartHours: fast } = loneFill;
    targets.push({
      name: "a lone node's first fill, slow start vs none (<= 2x)",
      ratio: slow === null || fast === null ? Number.POSITIVE_INFINITY : slow / Math.max(fast, 1 / 6) / 2,
      detail: `${hoursText(slow)} vs ${hoursText(fast)} to hold ${loneFill.levelTorrents} torrents`,
    });
  }
  return targets;
}

const COLUMNS: Array<[string, (m: SimMetrics) => string]> = [
  ['strategy', (m) => m.strategy],
  ['below avg', (m) => m.belowTargetAvg.toFixed(1)],
  ['below end', (m) => String(m.belowTargetEnd)],
  ['zero avg', (m) => m.atZeroAvg.toFixed(1)],
  ['zero end', (m) => String(m.atZeroEnd)],
  ['>2x max', (m) => String(m.over2xMax)],
  ['>2x end', (m) => String(m.over2xEnd)],
  ['most nodes', (m) => String(m.mostNodesOnOne)],
  ['downloaded', (m) => `${(m.bytesDownloaded / Math.max(1, m.donatedBytes)).toFixed(2)}x`],
  ['stalled disk', (m) => `${(100 * m.stalledDayShareAvg).toFixed(1)} %`],
  ['no-source disk', (m) => `${(100 * m.noSourceShareAvg).toFixed(1)} %`],
  ['fill 90 %', (m) => (m.fillHours === null ? 'never' : `${m.fillHours} h`)],
  ['adds', (m) => String(m.adds)],
  ['removes', (m) => String(m.removes)],
];

/** smartnode's own row and line: marked in the table, drawn on top and thickest in the plot. */
const OWN = 'smartnode';

/** The table, smartnode's row marked with "▶" (and in bold on a terminal, `bold`). */
export function formatSimTable(metrics: readonly SimMetrics[], options: { bold?: boolean } = {}): string {
  const rows = [COLUMNS.map(([h]) => h), ...metrics.map((m) => COLUMNS.map(([, f]) => f(m)))];
  const widths = COLUMNS.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r, i) => {
      const own = i > 0 && metrics[i - 1]?.strategy === OWN;
      const line = r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0))).join('  ');
      return own ? `▶ ${options.bold === true ? `\u001b[1m${line}\u001b[22m` : line}` : `  ${line}`;
    })
    .join('\n');
}

/** What the table's columns count; every one is better lower. */
export function formatSimLegend(): string {
  return [
    'every column: lower is better. ▶ marks smartnode.',
    '  below avg/end   torrents with fewer seeders than the target, mean over the run / at its end',
    '  zero avg/end    torrents with no seeder at all (data at risk), mean / at the end',
    '  >2x max/end     torrents holding over twice the target in copies (disk spent where it is not needed)',
    '  most nodes      the most nodes holding one torrent',
    '  downloaded      bytes downloaded per byte of donated disk (traffic spent)',
    '  stalled disk    share of disk on downloads that made no progress for a day',
    '  no-source disk  share of disk on downloads that have no source',
    '  fill 90 %       hours until the nodes hold 90 % of their disk',
    '  adds, removes   torrents added and removed by all nodes (churn)',
  ].join('\n');
}

/** A target is met at a ratio of at most 1; anything else (above 1, or not a number) misses. */
export function isMet(t: Target): boolean {
  return t.ratio <= 1;
}

export function formatTargets(targets: readonly Target[]): string {
  const width = Math.max(0, ...targets.map((t) => t.name.length));
  return targets.map((t) => `${isMet(t) ? 'met ' : 'MISS'}  ${t.name.padEnd(width)}  ${t.ratio.toFixed(2)}  (${t.detail})`).join('\n');
}

/** `smartnode simulate` exits 1 when any target is missed, so a script or CI can gate on it. */
export function simulateExitCode(targets: readonly Target[]): 0 | 1 {
  return targets.every(isMet) ? 0 : 1;
}

/** smartnode's own colour; the others take the palette, which does not use it. */
const OWN_COLOR = '#d62728';
const PALETTE = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#ff7f0e', '#7f7f7f'];

/** Torrents below target over time, one line per strategy. */
export function plotBelowTarget(series: ReadonlyArray<{ strategy: string; series: SimSeries }>, title: string): string {
  const W = 760;
  const H = 360;
  const m = { left: 60, right: 190, top: 30, bottom: 40 };
  const maxX = Math.max(1, ...series.map((s) => s.series.hours.at(-1) ?? 0));
  const maxY = Math.max(1, ...series.flatMap((s) => s.series.belowTarget));
  const x = (h: number): number => m.left + (h / maxX) * (W - m.left - m.right);
  const y = (v: number): number => H - m.bottom - (v / maxY) * (H - m.top - m.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${m.left}" y="18" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="black"/>`,
    `<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="black"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = Math.round((maxY * k) / 4);
    out.push(`<text x="${m.left - 6}" y="${y(v) + 4}" text-anchor="end">${v}</text>`);
    const d = (maxX / 24) * (k / 4);
    out.push(`<text x="${x(d * 24)}" y="${H - m.bottom + 16}" text-anchor="middle">${d.toFixed(d < 10 ? 1 : 0)} d</text>`);
  }
  out.push(
    `<text x="14" y="${(H - m.bottom + m.top) / 2}" transform="rotate(-90 14 ` +
      `${(H - m.bottom + m.top) / 2})" text-anchor="middle">torrents below target (lower is better)</text>`,
  );
  const lines: string[] = [];
  const ownLines: string[] = [];
  series.forEach((s, k) => {
    const own = s.strategy === OWN;
    const color = own ? OWN_COLOR : (PALETTE[k % PALETTE.length] ?? 'black');
    const points = s.series.hours.map((h, i) => `${x(h).toFixed(1)},${y(s.series.belowTarget[i] ?? 0).toFixed(1)}`).join(' ');
    const line = `<polyline fill="none" stroke="${color}" stroke-width="${own ? 4 : 1.5}"${own ? '' : ' stroke-opacity="0.7"'} points="${points}"/>`;
    if (own) ownLines.push(line);
    else lines.push(line);
    out.push(
      `<line x1="${W - m.right + 12}" y1="${m.top + 10 + k * 18}" x2="${W - m.right + 32}" ` +
        `y2="${m.top + 10 + k * 18}" stroke="${color}" stroke-width="${own ? 4 : 2}"/>`,
    );
    out.push(`<text x="${W - m.right + 38}" y="${m.top + 14 + k * 18}"${own ? ' font-weight="bold"' : ''}>${escapeXml(s.strategy)}</text>`);
  });
  // smartnode's line is drawn last, over the others.
  out.push(...lines, ...ownLines);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function hoursText(hours: number | null): string {
  return hours === null ? 'not' : `${hours.toFixed(1)} h`;
}
