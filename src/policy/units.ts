/**
 * Human units in policy files: sizes ("2 TB", "500 GiB"), rates ("10 MB/s", "1 Mbit/s") and
 * durations ("1h30m", "7d"). Pure. Every parser returns a result instead of throwing, and
 * every error message quotes what it got and shows what it expected. The way back, from a
 * number to text these parsers read, is shared/format.ts (formatSizeExact, formatDurationExact).
 *
 * Sizes: SI units are powers of 1000 (kB, MB, GB, TB, PB), IEC units powers of 1024
 * (KiB, MiB, GiB, TiB, PiB); unit letters are case-insensitive. A bare "G" or "M" is refused:
 * it could mean either. A plain integer is a count of bytes.
 */

export type UnitResult = { readonly ok: true; readonly value: number } | { readonly ok: false; readonly error: string };

/** 1 EB: anything larger in a policy is a typo, not a disk. */
export const MAX_SIZE_BYTES = 1e18;
/** Ten years: longer durations in a policy are typos. */
export const MAX_DURATION_MS = 3650 * 24 * 3600 * 1000;

const SIZE_UNITS: Readonly<Record<string, number>> = {
  b: 1,
  byte: 1,
  bytes: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  pib: 1024 ** 5,
};

const BIT_UNITS: Readonly<Record<string, number>> = {
  bit: 1,
  kbit: 1e3,
  mbit: 1e6,
  gbit: 1e9,
  tbit: 1e12,
  kibit: 1024,
  mibit: 1024 ** 2,
  gibit: 1024 ** 3,
};

const AMBIGUOUS_PREFIXES = new Set(['k', 'm', 'g', 't', 'p', 'ki', 'mi', 'gi', 'ti', 'pi']);

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const NUMBER_AND_UNIT = /^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z/]*)$/;

function ok(value: number): UnitResult {
  return { ok: true, value };
}

function fail(error: string): UnitResult {
  return { ok: false, error };
}

function show(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input);
  if (typeof input === 'number') return String(input);
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  return typeof input === 'object' ? 'a mapping' : typeof input;
}

/**
 * "1.234567" x 1e6 -> 1234567n, in integer arithmetic: floating point would turn a lossless
 * "8.663705340546964 PB" into ...963 bytes. Rounds half up to a whole byte.
 */
function scaleDecimal(decimal: string, factor: number): bigint {
  const [whole = '0', fraction = ''] = decimal.split('.');
  const scale = 10n ** BigInt(fraction.length);
  const product = BigInt(whole + fraction) * BigInt(factor);
  return (product * 2n + scale) / (2n * scale);
}

function parseScaled(input: unknown, kind: { expected: string; units: Readonly<Record<string, number>>; unitHelp: string }): UnitResult {
  const expected = `expected ${kind.expected}, got ${show(input)}`;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail(expected);
    if (input < 0) return fail(`${expected}: negative values are not allowed`);
    if (input > MAX_SIZE_BYTES) return fail(`${expected}: larger than 1 EB`);
    if (!Number.isSafeInteger(input)) return fail(`${expected}: a plain number is a count of bytes and must be a whole number`);
    return ok(input);
  }
  if (typeof input !== 'string') return fail(expected);
  const text = input.trim();
  if (text.startsWith('-')) return fail(`${expected}: negative values are not allowed`);
  const match = NUMBER_AND_UNIT.exec(text);
  if (match === null) return fail(expected);
  const amountText = match[1] ?? '';
  const unitText = (match[2] ?? '').toLowerCase();
  const factor = unitText === '' ? 1 : kind.units[unitText];
  if (factor === undefined) {
    if (AMBIGUOUS_PREFIXES.has(unitText)) {
      const p = unitText.charAt(0).toUpperCase();
      return fail(`${expected}: "${match[2] ?? ''}" is ambiguous, write "${p}B" (powers of 1000) or "${p}iB" (powers of 1024)`);
    }
    return fail(`${expected}: unknown unit "${match[2] ?? ''}" (use ${kind.unitHelp})`);
  }
  if (factor === 1 && amountText.includes('.')) {
    return fail(`${expected}: a count of bytes must be a whole number`);
  }
  const bytes = scaleDecimal(amountText, factor);
  if (bytes > BigInt(MAX_SIZE_BYTES)) return fail(`${expected}: larger than 1 EB`);
  return ok(Number(bytes));
}

/** "2 TB", "500 GiB", "1.5GB", "0", 1024 -> bytes. */
export function parseSize(input: unknown): UnitResult {
  return parseScaled(input, {
    expected: 'a size like "500 GB"',
    units: SIZE_UNITS,
    unitHelp: 'B, kB, MB, GB, TB, PB, KiB, MiB, GiB, TiB or PiB',
  });
}

/** "10 MB/s", "800 kB/s", "1 Mbit/s", 125000 -> bytes per second (bits are divided by 8). */
export function parseRate(input: unknown): UnitResult {
  const expected = `expected a rate like "10 MB/s" or "100 Mbit/s", got ${show(input)}`;
  if (typeof input === 'number') return parseScaled(input, { expected: 'a rate like "10 MB/s"', units: {}, unitHelp: '' });
  if (typeof input !== 'string') return fail(expected);
  const text = input.trim();
  if (text.startsWith('-')) return fail(`${expected}: negative values are not allowed`);
  const slash = /^(.*?)\s*\/\s*(s|sec|second)$/i.exec(text);
  if (slash === null) {
    if (/ps$/i.test(text)) return fail(`${expected}: write the unit with "/s", like "100 Mbit/s" or "12 MB/s"`);
    return fail(`${expected}: add "/s"`);
  }
  const amountText = slash[1] ?? '';
  const bitMatch = NUMBER_AND_UNIT.exec(amountText);
  if (bitMatch !== null && BIT_UNITS[(bitMatch[2] ?? '').toLowerCase()] !== undefined) {
    const bytesPerSec = Math.round((Number(bitMatch[1]) * (BIT_UNITS[(bitMatch[2] ?? '').toLowerCase()] ?? 0)) / 8);
    return bytesPerSec > MAX_SIZE_BYTES ? fail(`${expected}: larger than 1 EB/s`) : ok(bytesPerSec);
  }
  const size = parseScaled(amountText, {
    expected: 'a rate like "10 MB/s" or "100 Mbit/s"',
    units: SIZE_UNITS,
    unitHelp: 'B/s, kB/s, MB/s, GB/s, KiB/s, MiB/s, kbit/s, Mbit/s or Gbit/s',
  });
  return size.ok ? size : fail(size.error.replace(show(amountText), show(input)));
}

/** "15m", "1h30m", "7d", "45s", "500ms", "1.5h", 0 -> milliseconds. Units must be lowercase. */
export function parseDuration(input: unknown): UnitResult {
  const expected = `expected a duration like "15m", "1h30m" or "7d", got ${show(input)}`;
  if (input === 0 || input === '0') return ok(0);
  if (typeof input === 'number') {
    return fail(`${expected}: a bare number is ambiguous, add a unit (ms, s, m, h, d or w)`);
  }
  if (typeof input !== 'string') return fail(expected);
  const text = input.trim().replace(/\s+/g, '');
  if (text.startsWith('-')) return fail(`${expected}: negative durations are not allowed`);
  if (/^[0-9]+(\.[0-9]+)?$/.test(text)) {
    return fail(`${expected}: a bare number is ambiguous, add a unit (ms, s, m, h, d or w)`);
  }
  const part = /([0-9]+(?:\.[0-9]+)?)([A-Za-z]+)/y;
  let total = 0;
  let lastFactor = Infinity;
  let consumed = 0;
  for (let m = part.exec(text); m !== null; m = part.exec(text)) {
    consumed = part.lastIndex;
    const unit = m[2] ?? '';
    const factor = DURATION_UNITS[unit];
    if (factor === undefined) {
      const hint =
        unit === 'M' ? ': "M" could be minutes or months, write "m" for minutes or "d" for days' : ': use ms, s, m, h, d or w (lowercase)';
      return fail(`${expected}: unknown unit "${unit}"${hint}`);
    }
    if (factor >= lastFactor) return fail(`${expected}: write each unit once, largest first (like "1h30m")`);
    lastFactor = factor;
    total += Number(m[1]) * factor;
  }
  if (consumed === 0 || consumed !== text.length) return fail(expected);
  const value = Math.round(total);
  return value > MAX_DURATION_MS ? fail(`${expected}: longer than 10 years`) : ok(value);
}
