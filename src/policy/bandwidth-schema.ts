/**
 * The policy's `bandwidth:` section: rate caps for smartnode's own torrents (or the whole
 * session), a weekly time-of-day schedule, monthly transfer caps with a billing day, and a
 * daily budget for new downloads. Pure. Built by schema.ts with its unit fields (sizes,
 * rates), so the two files share one way of reading "10 MB/s" and "2 TB".
 */
import { z } from 'zod';

/** Day names as written in a schedule, Monday first (ISO order; index 0 = Monday). */
export const DAY_NAMES = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type DayName = (typeof DAY_NAMES)[number];

/** A link faster than this is a typo, not a donation (Transmission limits are kB/s integers). */
export const MAX_RATE_BYTES_PER_SEC = 100e9;
const MINUTES_PER_DAY = 1440;

type UnitSchema = z.ZodType<number, string | number>;
export interface UnitFields {
  size: () => UnitSchema;
  rate: () => UnitSchema;
}

/** "09:30" -> 570; "24:00" -> 1440 (only as an end). */
export function parseClock(text: string): number | null {
  const m = /^([01]?\d|2[0-4]):([0-5]\d)$/.exec(text.trim());
  if (m === null) return null;
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  return minutes > MINUTES_PER_DAY ? null : minutes;
}

const clock = (which: 'from' | 'to') =>
  z
    .string({
      error: (iss) => (iss.input === undefined ? 'missing (required)' : `expected a time like "09:00", got ${JSON.stringify(iss.input)}`),
    })
    .transform((raw, ctx) => {
      const minutes = parseClock(raw);
      if (minutes === null || (which === 'from' && minutes === MINUTES_PER_DAY)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a 24-hour time like "09:00"${which === 'to' ? ' (or "24:00")' : ''}, got ${JSON.stringify(raw)}`,
          input: raw,
        });
        return z.NEVER;
      }
      return minutes;
    })
    .describe(
      which === 'from'
        ? 'Start of the window, local time "HH:MM".'
        : 'End of the window, local time "HH:MM" ("24:00" = midnight); before `from` means it runs past midnight.',
    );

export function buildBandwidthSchema(fields: UnitFields) {
  const cap = (what: string) =>
    fields
      .rate()
      .refine((n) => n > 0, `must be more than 0 (leave ${what} out for no limit)`)
      .refine((n) => n <= MAX_RATE_BYTES_PER_SEC, 'is more than 100 GB/s: check the unit (MB/s is bytes, Mbit/s is bits)');
  /** In a schedule window: a rate, or "unlimited" (full speed); left out = the base rate. */
  const windowRate = (what: string) => z.union([z.literal('unlimited').transform(() => null), cap(what)]);
  const positiveSize = (what: string) => fields.size().refine((n) => n > 0, `must be more than 0 bytes (leave ${what} out for no cap)`);

  const windowSchema = z
    .strictObject({
      days: z
        .array(z.enum(DAY_NAMES, { error: () => `expected a day name: ${DAY_NAMES.join(', ')}` }))
        .min(1, 'expected at least one day')
        .default([...DAY_NAMES])
        .describe('Days the window starts on (mon..sun); all days when left out.'),
      from: clock('from'),
      to: clock('to'),
      uploadRate: windowRate('uploadRate')
        .optional()
        .describe('Upload cap in this window: a rate or "unlimited"; the base uploadRate when left out.'),
      downloadRate: windowRate('downloadRate')
        .optional()
        .describe('Download cap in this window: a rate or "unlimited"; the base downloadRate when left out.'),
    })
    .refine((w) => w.from !== w.to, {
      message: 'from and to are the same time: the window would be empty (use 00:00 to 24:00 for a whole day)',
      path: ['to'],
    })
    .describe('A weekly time window with its own rates.');

  const monthlySchema = z
    .strictObject({
      uploadCap: positiveSize('uploadCap')
        .optional()
        .describe('Upload allowed per billing period (owned torrents); at the cap uploads stop until the next period.'),
      downloadCap: positiveSize('downloadCap')
        .optional()
        .describe('Download allowed per billing period (owned torrents); at the cap downloads and adds stop until the next period.'),
      billingDay: z
        .number()
        .int()
        .min(1, 'expected a day of the month, 1-31')
        .max(31, 'expected a day of the month, 1-31')
        .default(1)
        .describe('Day of the month a billing period starts (00:00 UTC); a day a month lacks means its last day (31 -> 28 February).'),
      throttleAt: z
        .number()
        .min(0)
        .max(1)
        .default(0.9)
        .describe('Fraction of a cap from which the rate is throttled so the rest lasts until the period ends.'),
    })
    .describe("Monthly transfer caps, counted from the daemon's per-torrent counters of owned torrents.");

  return z
    .strictObject({
      scope: z
        .enum(['owned', 'session'])
        .default('owned')
        .describe(
          "owned: caps are per-torrent limits on smartnode's torrents only (the owner's other torrents keep their speed); " +
            "session: caps are the daemon's session limits (a daemon dedicated to smartnode).",
        ),
      uploadRate: cap('uploadRate').optional().describe('Upload cap, shared by the owned torrents by need (not per torrent).'),
      downloadRate: cap('downloadRate').optional().describe('Download cap, shared by the owned torrents still downloading, by need.'),
      schedule: z
        .array(windowSchema)
        .default([])
        .superRefine((windows, ctx) => {
          for (const [a, b] of overlappingWindows(windows)) {
            ctx.addIssue({ code: 'custom', path: [b], message: `overlaps schedule window ${a + 1} (windows must not overlap)` });
          }
        })
        .describe('Time-of-day windows (local time) with other rates, e.g. a trickle in office hours.'),
      monthly: monthlySchema.optional(),
      dailyDownloadBudget: positiveSize('dailyDownloadBudget')
        .optional()
        .describe('At most this many bytes of new torrents are added per day (UTC), so churn costs bounded bandwidth.'),
    })
    .describe('Bandwidth donated: rate caps, a schedule, monthly caps and a daily budget for new downloads.');
}

interface WindowTimes {
  days: readonly DayName[];
  from: number;
  to: number;
}

/** Each window as [start, end) minute ranges on a week of 7 x 1440 minutes (Monday 00:00 = 0). */
export function weekRanges(w: WindowTimes): [number, number][] {
  const week = 7 * MINUTES_PER_DAY;
  const out: [number, number][] = [];
  for (const day of w.days) {
    const start = DAY_NAMES.indexOf(day) * MINUTES_PER_DAY + w.from;
    const length = w.to > w.from ? w.to - w.from : MINUTES_PER_DAY - w.from + w.to;
    const end = start + length;
    if (end <= week) out.push([start, end]);
    else out.push([start, week], [0, end - week]);
  }
  return out;
}

/** Pairs [earlier index, later index] of windows that share a minute. */
export function overlappingWindows(windows: readonly WindowTimes[]): [number, number][] {
  const ranges = windows.map(weekRanges);
  const pairs: [number, number][] = [];
  for (let b = 0; b < windows.length; b++) {
    for (let a = 0; a < b; a++) {
      const hit = (ranges[a] ?? []).some(([s1, e1]) => (ranges[b] ?? []).some(([s2, e2]) => s1 < e2 && s2 < e1));
      if (hit) {
        pairs.push([a, b]);
        break;
      }
    }
  }
  return pairs;
}
