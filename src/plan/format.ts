/** Small number formatters shared by reason texts and the plan table (decimal units). */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/** 1000-based, as disks and `free-space` are sold: 1_500_000_000 -> "1.5 GB". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const text = unit === 0 ? String(Math.round(value)) : trimNumber(value, value >= 100 ? 0 : 1);
  return `${sign}${text} ${UNITS[unit] ?? 'B'}`;
}

/** A duration as the largest whole unit or one decimal: "45s", "12m", "31h", "4.5d". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const s = Math.abs(ms) / 1000;
  if (s < 60) return `${sign}${Math.floor(s)}s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${sign}${Math.floor(s / 3600)}h`;
  return `${sign}${trimNumber(s / 86400, 1)}d`;
}

/** Scores and needs with three significant digits: 0.0412, 1.25, 312. */
export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return String(score);
  if (score === 0) return '0';
  const abs = Math.abs(score);
  if (abs >= 100) return String(Math.round(score));
  return String(Number(score.toPrecision(3)));
}

export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function trimNumber(value: number, digits: number): string {
  return String(Number(value.toFixed(digits)));
}
