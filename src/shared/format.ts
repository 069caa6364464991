/**
 * How smartnode writes numbers for people: bytes, rates, durations, scores and percentages,
 * and text fitted to terminal columns. Pure. One display convention per kind, so the
 * dashboard, `plan`, `explain`, `status`, the logs and the planner's reasons read alike:
 *
 * - bytes: decimal units (powers of 1000, as disks and `free-space` are sold), one decimal
 *   below 100 of a unit and whole above: "999 B", "1.5 GB", "250 GB"; unknown is "?".
 * - rates: bytes per second the same way: "12.5 MB/s".
 * - durations: the largest unit and the next one when it is not zero, days with one decimal
 *   from 48 hours on: "45s", "12m", "12m05s", "31h05m", "4.5d". Never below "0s".
 * - scores: three significant digits, whole from 100 on: "0.0412", "1.26", "312".
 *
 * The display forms round. The exact forms (formatSizeExact, formatDurationExact) lose
 * nothing, for values that go back into a policy: the policy's parseSize and parseDuration
 * read them back to the same number.
 */

const SI_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const;

/**
 * Like formatBytes, but never more than `bytes`: for room that is left, so "7.9 MB left" is not
 * shown as "8 MB left" beside an 8 MB torrent that does not fit.
 */
export function formatBytesAtMost(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1000) return formatBytes(bytes);
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < SI_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  const digits = value >= 100 ? 0 : 1;
  const shown = Math.floor(value * 10 ** digits) / 10 ** digits;
  return `${shown} ${SI_UNITS[unit] ?? 'B'}`;
}

/** 7_950_000 -> "7,950,000 bytes": every digit, for figures whose rounding would hide a difference. */
export function formatBytesExact(bytes: number): string {
  return `${Math.round(bytes).toLocaleString('en-US')} bytes`;
}

/** 1_500_000_000 -> "1.5 GB"; 999_999 -> "1 MB"; null -> "?". */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '?';
  const sign = bytes < 0 ? '-' : '';
  let value = Math.abs(bytes);
  let unit = 0;
  while (value >= 1000 && unit < SI_UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  let shown = roundTo(value, unit === 0 || value >= 100 ? 0 : 1);
  // 999.96 kB shows as the next unit, not as "1000 kB".
  if (shown >= 1000 && unit < SI_UNITS.length - 1) {
    shown = 1;
    unit++;
  }
  return `${sign}${shown} ${SI_UNITS[unit] ?? 'B'}`;
}

/** 12_500_000 -> "12.5 MB/s". */
export function formatRate(bytesPerSec: number | null): string {
  return `${formatBytes(bytesPerSec)}/s`;
}

/** 5000 -> "5s", 725_000 -> "12m05s", 111_900_000 -> "31h05m", 388_800_000 -> "4.5d". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const s = Math.floor(Math.max(0, ms) / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return twoUnits(Math.floor(s / 60), 'm', s % 60, 's');
  if (s < 48 * 3600) return twoUnits(Math.floor(s / 3600), 'h', Math.floor((s % 3600) / 60), 'm');
  return `${roundTo(s / 86400, 1)}d`;
}

function twoUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${String(minor).padStart(2, '0')}${minorUnit}`;
}

/** Scores and needs with three significant digits: 0.0412, 1.26, 312. */
export function formatScore(score: number): string {
  if (!Number.isFinite(score)) return String(score);
  if (score === 0) return '0';
  if (Math.abs(score) >= 100) return String(Math.round(score));
  return String(Number(score.toPrecision(3)));
}

/** A fraction as a whole percentage: 0.25 -> "25%". */
export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** "1 seeder", "3 seeders". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A time of day in UTC, "HH:MM:SS", for event lists. */
export function formatClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** A day in UTC, "YYYY-MM-DD". */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * Lossless: every digit of a whole byte count in the largest SI unit it reaches,
 * 1_234_567 -> "1.234567 MB", 2e12 -> "2 TB". Decimal-string arithmetic, no floating-point
 * division, so parseSize reads it back to the same number.
 */
export function formatSizeExact(bytes: number): string {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (bytes < 0) return `-${formatSizeExact(-bytes)}`;
  const digits = BigInt(Math.round(bytes)).toString();
  const step = Math.min(Math.floor((digits.length - 1) / 3), SI_UNITS.length - 1);
  if (step === 0) return `${digits} B`;
  const cut = digits.length - step * 3;
  const fraction = digits.slice(cut).replace(/0+$/, '');
  return `${digits.slice(0, cut)}${fraction === '' ? '' : `.${fraction}`} ${SI_UNITS[step] ?? 'B'}`;
}

/** Lossless: 5_400_000 -> "1h30m", 500 -> "500ms", 0 -> "0s"; parseDuration reads it back. */
export function formatDurationExact(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDurationExact(-ms)}`;
  let rest = Math.round(ms);
  if (rest === 0) return '0s';
  let out = '';
  for (const [unit, factor] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
    ['ms', 1],
  ] as const) {
    const count = Math.floor(rest / factor);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * factor;
    }
  }
  return out;
}

/** At most `width` characters: a longer text is cut, and an ellipsis marks the cut. */
export function clipText(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return `${text.slice(0, width - 1)}…`;
}

/** Exactly `width` characters, left-aligned: cut (with an ellipsis) or padded. */
export function fitLeft(text: string, width: number): string {
  return clipText(text, width).padEnd(Math.max(0, width));
}

/** Exactly `width` characters, right-aligned: cut (no ellipsis) or padded. */
export function fitRight(text: string, width: number): string {
  if (width <= 0) return '';
  return text.length <= width ? text.padStart(width) : text.slice(0, width);
}

function roundTo(value: number, digits: number): number {
  return Number(value.toFixed(digits));
}
