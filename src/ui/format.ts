/** Pure text helpers for fixed-width terminal columns (decimal units, as the rest of smartnode). */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

export function bytesText(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '?';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${bytes < 0 ? '-' : ''}${Number(value.toFixed(digits))} ${UNITS[unit] ?? 'B'}`;
}

export function rateText(bytesPerSec: number): string {
  return `${bytesText(bytesPerSec)}/s`;
}

export function durationText(ms: number): string {
  const s = Math.max(0, ms) / 1000;
  if (s < 60) return `${Math.floor(s)}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Number((s / 86400).toFixed(1))}d`;
}

export function scoreText(score: number): string {
  if (!Number.isFinite(score)) return String(score);
  if (score === 0) return '0';
  if (Math.abs(score) >= 100) return String(Math.round(score));
  return String(Number(score.toPrecision(3)));
}

/** Cuts or pads to exactly `width` characters (an ellipsis marks a cut). */
export function fitLeft(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text.padEnd(width);
  if (width === 1) return '…';
  return `${text.slice(0, width - 1)}…`;
}

export function fitRight(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text.padStart(width) : text.slice(0, width);
}

/** A bar like `[####......]` for used of total (clamped; `?` when total is unknown). */
export function bar(used: number, total: number | null, width: number): string {
  const inner = Math.max(1, width - 2);
  if (total === null || total <= 0 || !Number.isFinite(total)) return `[${'?'.repeat(inner)}]`;
  const filled = Math.round(Math.min(1, Math.max(0, used / total)) * inner);
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}]`;
}

export function clockText(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}
