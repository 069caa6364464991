/**
 * Bandwidth as a donated limit, pure: which rate the weekly schedule sets now, how a monthly
 * cap throttles it, when a billing period starts, and how one cap is shared by many owned
 * torrents by need (not N x cap). Time comes in as arguments; nothing here reads a clock.
 *
 * Units: rates in bytes/s, null = unlimited. Transmission takes whole kB/s (1000 bytes), so
 * shares are computed in whole kB/s and their sum never exceeds the cap.
 */
import type { InfoHash } from '../shared/index.js';

export interface ScheduleWindow {
  /** Days the window starts on: 0 = Monday .. 6 = Sunday. */
  days: readonly number[];
  /** Minutes after local midnight: [from, to); to < from runs past midnight into the next day. */
  fromMinute: number;
  toMinute: number;
  /** undefined = the base rate; null = unlimited. */
  uploadBytesPerSec?: number | null;
  downloadBytesPerSec?: number | null;
}

export interface RateRules {
  uploadBytesPerSec: number | null;
  downloadBytesPerSec: number | null;
  schedule: readonly ScheduleWindow[];
}

export interface Rates {
  uploadBytesPerSec: number | null;
  downloadBytesPerSec: number | null;
  /** Index of the schedule window in force, or null (base rates). */
  window: number | null;
}

/** Local time as the agent reads it: weekday (0 = Monday) and minute of the day. */
export interface LocalTime {
  weekday: number;
  minuteOfDay: number;
}

export function windowCovers(w: ScheduleWindow, at: LocalTime): boolean {
  const { weekday, minuteOfDay: m } = at;
  if (w.toMinute > w.fromMinute) return w.days.includes(weekday) && m >= w.fromMinute && m < w.toMinute;
  // Past midnight: the evening part on its own days, the morning part on the next day.
  if (w.days.includes(weekday) && m >= w.fromMinute) return true;
  return w.days.includes((weekday + 6) % 7) && m < w.toMinute;
}

/** The rates in force at a local time: the first window covering it, else the base rates. */
export function ratesAt(rules: RateRules, at: LocalTime): Rates {
  const index = rules.schedule.findIndex((w) => windowCovers(w, at));
  const w = rules.schedule[index];
  if (w === undefined) return { uploadBytesPerSec: rules.uploadBytesPerSec, downloadBytesPerSec: rules.downloadBytesPerSec, window: null };
  return {
    uploadBytesPerSec: w.uploadBytesPerSec === undefined ? rules.uploadBytesPerSec : w.uploadBytesPerSec,
    downloadBytesPerSec: w.downloadBytesPerSec === undefined ? rules.downloadBytesPerSec : w.downloadBytesPerSec,
    window: index,
  };
}

export interface Period {
  startMs: number;
  endMs: number;
}

function daysInMonthUTC(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** 00:00 UTC of the billing day in that month; a day the month lacks is its last day. */
function billingStartUTC(year: number, month: number, billingDay: number): number {
  const y = year + Math.floor(month / 12);
  const m = ((month % 12) + 12) % 12;
  return Date.UTC(y, m, Math.min(Math.max(1, Math.floor(billingDay)), daysInMonthUTC(y, m)));
}

/** The billing period holding `nowMs`: from one billing day (00:00 UTC) to the next. */
export function billingPeriod(nowMs: number, billingDay: number): Period {
  const now = new Date(nowMs);
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth();
  const thisMonth = billingStartUTC(year, month, billingDay);
  if (nowMs >= thisMonth) return { startMs: thisMonth, endMs: billingStartUTC(year, month + 1, billingDay) };
  return { startMs: billingStartUTC(year, month - 1, billingDay), endMs: thisMonth };
}

/** The UTC day holding `nowMs` (the daily download budget's period). */
export function utcDay(nowMs: number): Period {
  const startMs = Math.floor(nowMs / 86_400_000) * 86_400_000;
  return { startMs, endMs: startMs + 86_400_000 };
}

export type CapState = 'open' | 'throttled' | 'stopped';

export interface CappedRate {
  bytesPerSec: number | null;
  state: CapState;
}

/**
 * A rate under a monthly cap: the rate itself below throttleAt x cap; above it, at most what
 * spreads the rest of the cap evenly over the rest of the period; 0 at the cap.
 */
export function capRate(
  rate: number | null,
  cap: { capBytes: number; usedBytes: number; throttleAt: number; msLeft: number } | null,
): CappedRate {
  if (cap === null) return { bytesPerSec: rate, state: 'open' };
  const left = cap.capBytes - cap.usedBytes;
  if (left <= 0) return { bytesPerSec: 0, state: 'stopped' };
  if (cap.usedBytes < cap.throttleAt * cap.capBytes) return { bytesPerSec: rate, state: 'open' };
  const spread = left / Math.max(1, cap.msLeft / 1000);
  return { bytesPerSec: rate === null ? spread : Math.min(rate, spread), state: 'throttled' };
}

export interface ShareClaim {
  infoHash: InfoHash;
  /** How much the swarm needs it (the planner's need); weights the share. */
  need: number;
  /** It could use bandwidth now (peers to serve, data to fetch); idle ones get a trickle. */
  active: boolean;
}

/** What an idle torrent keeps: enough for a new peer to get going until the next tick. */
export const IDLE_SHARE_KBPS = 1;
/** Need floor, so a torrent whose swarm is healthy still gets a little. */
const MIN_WEIGHT = 0.01;

/**
 * Shares `totalBytesPerSec` among the claims by need, in whole kB/s: idle claims get
 * IDLE_SHARE_KBPS, active ones split the rest in proportion to need (largest remainders
 * get the leftover kB). When nothing is active, all are treated as active. When the cap
 * cannot give everyone 1 kB/s, the neediest get 1 kB/s and the rest 0. The sum of the
 * shares (bytes/s) never exceeds the total. A null total means unlimited for everyone.
 */
export function shareByNeed(totalBytesPerSec: number | null, claims: readonly ShareClaim[]): Map<InfoHash, number | null> {
  const out = new Map<InfoHash, number | null>();
  if (totalBytesPerSec === null) {
    for (const c of claims) out.set(c.infoHash, null);
    return out;
  }
  const totalKB = Math.max(0, Math.floor(totalBytesPerSec / 1000));
  const byNeed = [...claims].sort(
    (a, b) =>
      Number(b.active) - Number(a.active) || weight(b) - weight(a) || (a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : 0),
  );
  if (totalKB < claims.length) {
    byNeed.forEach((c, i) => {
      out.set(c.infoHash, i < totalKB ? 1000 : 0);
    });
    return out;
  }
  const anyActive = claims.some((c) => c.active);
  const active = anyActive ? byNeed.filter((c) => c.active) : byNeed;
  const idle = anyActive ? byNeed.filter((c) => !c.active) : [];
  const idleKB = Math.min(IDLE_SHARE_KBPS, Math.floor((totalKB - active.length) / Math.max(1, idle.length)));
  for (const c of idle) out.set(c.infoHash, idleKB * 1000);
  // Every active claim gets 1 kB/s first, then the rest by weight.
  const restKB = totalKB - idleKB * idle.length - active.length;
  const totalWeight = active.reduce((s, c) => s + weight(c), 0);
  const shares = active.map((c) => {
    const exact = totalWeight > 0 ? (restKB * weight(c)) / totalWeight : 0;
    return { c, kb: 1 + Math.floor(exact), remainder: exact - Math.floor(exact) };
  });
  let leftover = restKB - shares.reduce((s, x) => s + x.kb - 1, 0);
  for (const x of [...shares].sort((a, b) => b.remainder - a.remainder)) {
    if (leftover <= 0) break;
    x.kb += 1;
    leftover -= 1;
  }
  for (const x of shares) out.set(x.c.infoHash, x.kb * 1000);
  return out;
}

function weight(c: ShareClaim): number {
  return Number.isFinite(c.need) ? Math.max(MIN_WEIGHT, c.need) : MIN_WEIGHT;
}
