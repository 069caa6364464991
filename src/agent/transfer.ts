/**
 * Transfer accounting for the monthly caps and the daily download budget. Counted from the
 * daemon: every tick, each owned torrent's uploadedEver/downloadedEver is compared with what
 * the last tick saw, and the deltas are added to the billing period (and the UTC day). The
 * last-seen counters live in `<stateDir>/transfer.json` (atomic write: temp file + rename),
 * so a daemon or agent restart loses nothing and counts nothing twice.
 *
 * - A counter that went down (the torrent was removed and re-added, or the daemon lost its
 *   resume file) restarts from 0: its whole current value is new traffic.
 * - An owned torrent seen for the first time counts from 0 if it was added in this period,
 *   otherwise from now (its earlier traffic belongs to earlier periods).
 * One small file, written once per tick and once per add; not conf (which re-reads and
 * re-validates its whole store on every access).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { DaemonTorrent } from '../daemon/index.js';
import { billingPeriod, utcDay } from '../plan/index.js';
import { SmartnodeError, type InfoHash } from '../shared/index.js';

const countersSchema = z.object({ uploadedBytes: z.number().nonnegative(), downloadedBytes: z.number().nonnegative() });
const fileSchema = z.object({
  version: z.literal(1),
  period: z.object({ startMs: z.number(), endMs: z.number() }).extend(countersSchema.shape),
  day: z.object({ startMs: z.number(), addedBytes: z.number().nonnegative() }).extend(countersSchema.shape),
  /** Last counters seen per owned torrent: [uploadedEver, downloadedEver]. */
  seen: z.record(z.string(), z.tuple([z.number(), z.number()])),
  /** The session limits before smartnode first set them (bandwidth.scope session), to restore. */
  sessionLimitsBefore: z
    .object({ uploadBytesPerSec: z.number().nullable(), downloadBytesPerSec: z.number().nullable() })
    .nullable()
    .default(null),
});
export type TransferData = z.infer<typeof fileSchema>;

export interface TransferUsage {
  periodStartMs: number;
  periodEndMs: number;
  uploadedBytes: number;
  downloadedBytes: number;
  dayStartMs: number;
  /** Bytes of torrents added today (the daily download budget counts these). */
  addedTodayBytes: number;
  downloadedTodayBytes: number;
}

export interface TransferStore {
  readonly path: string;
  /** Counts the deltas of owned torrents since the last look and saves; returns the usage. */
  observe(torrents: readonly DaemonTorrent[], owned: ReadonlySet<InfoHash>, nowMs: number): TransferUsage;
  /** Usage without observing (a dry run). */
  usage(nowMs: number): TransferUsage;
  /** A torrent of this size was just added: it counts against today's download budget. */
  recordAdd(sizeBytes: number, nowMs: number): void;
  sessionLimitsBefore(): TransferData['sessionLimitsBefore'];
  setSessionLimitsBefore(limits: TransferData['sessionLimitsBefore']): void;
}

export interface TransferOptions {
  stateDir: string;
  /** Day of the month billing periods start (1-31). */
  billingDay: () => number;
  /** Told when the file was unreadable and accounting restarted. */
  onReset?: (message: string) => void;
}

export function openTransferStore(options: TransferOptions): TransferStore {
  const path = join(options.stateDir, 'transfer.json');
  let data: TransferData | null = null;

  const fresh = (nowMs: number): TransferData => {
    const p = billingPeriod(nowMs, options.billingDay());
    const d = utcDay(nowMs);
    return {
      version: 1,
      period: { startMs: p.startMs, endMs: p.endMs, uploadedBytes: 0, downloadedBytes: 0 },
      day: { startMs: d.startMs, addedBytes: 0, uploadedBytes: 0, downloadedBytes: 0 },
      seen: {},
      sessionLimitsBefore: null,
    };
  };

  const load = (nowMs: number): TransferData => {
    if (data === null) data = readFromDisk(nowMs);
    return data;
  };

  const readFromDisk = (nowMs: number): TransferData => {
    let text: string | null = null;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw stateError(`cannot read ${path}`, error);
    }
    if (text === null) return fresh(nowMs);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    const result = fileSchema.safeParse(parsed);
    if (!result.success) {
      // Counting from now on undercounts at most one period's traffic so far; refusing to run
      // would stop seeding altogether. The old file is kept beside it for the owner.
      renameSync(path, `${path}.invalid-${nowMs}`);
      options.onReset?.(
        `${path} was not valid transfer accounting; kept it as ${path}.invalid-${nowMs} and started counting again from now`,
      );
      return fresh(nowMs);
    }
    return result.data;
  };

  const save = (d: TransferData): void => {
    try {
      mkdirSync(options.stateDir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(d), { mode: 0o600 });
      renameSync(tmp, path);
    } catch (error) {
      throw stateError(`cannot write ${path}`, error);
    }
  };

  /** Starts a new billing period or day when `nowMs` left the stored one. */
  const roll = (d: TransferData, nowMs: number): void => {
    const p = billingPeriod(nowMs, options.billingDay());
    if (p.startMs !== d.period.startMs) d.period = { startMs: p.startMs, endMs: p.endMs, uploadedBytes: 0, downloadedBytes: 0 };
    const day = utcDay(nowMs);
    if (day.startMs !== d.day.startMs) d.day = { startMs: day.startMs, addedBytes: 0, uploadedBytes: 0, downloadedBytes: 0 };
  };

  const usageOf = (d: TransferData): TransferUsage => ({
    periodStartMs: d.period.startMs,
    periodEndMs: d.period.endMs,
    uploadedBytes: d.period.uploadedBytes,
    downloadedBytes: d.period.downloadedBytes,
    dayStartMs: d.day.startMs,
    addedTodayBytes: d.day.addedBytes,
    downloadedTodayBytes: d.day.downloadedBytes,
  });

  return {
    path,
    observe(torrents, owned, nowMs) {
      const d = load(nowMs);
      roll(d, nowMs);
      const seen: TransferData['seen'] = {};
      for (const t of torrents) {
        if (!owned.has(t.infoHash)) continue;
        const up = Math.max(0, t.uploadedEverBytes);
        const down = Math.max(0, t.downloadedEverBytes);
        const prev = d.seen[t.infoHash];
        let dUp: number;
        let dDown: number;
        if (prev === undefined) {
          const addedThisPeriod = t.addedDate * 1000 >= d.period.startMs;
          dUp = addedThisPeriod ? up : 0;
          dDown = addedThisPeriod ? down : 0;
        } else {
          dUp = up >= prev[0] ? up - prev[0] : up;
          dDown = down >= prev[1] ? down - prev[1] : down;
        }
        d.period.uploadedBytes += dUp;
        d.period.downloadedBytes += dDown;
        d.day.uploadedBytes += dUp;
        d.day.downloadedBytes += dDown;
        seen[t.infoHash] = [up, down];
      }
      d.seen = seen;
      save(d);
      return usageOf(d);
    },
    usage(nowMs) {
      const d = structuredClone(load(nowMs));
      roll(d, nowMs);
      return usageOf(d);
    },
    recordAdd(sizeBytes, nowMs) {
      const d = load(nowMs);
      roll(d, nowMs);
      d.day.addedBytes += Math.max(0, sizeBytes);
      save(d);
    },
    sessionLimitsBefore: () => data?.sessionLimitsBefore ?? load(Date.now()).sessionLimitsBefore,
    setSessionLimitsBefore(limits) {
      const d = load(Date.now());
      d.sessionLimitsBefore = limits;
      save(d);
    },
  };
}

function stateError(message: string, cause: unknown): SmartnodeError {
  return new SmartnodeError('STATE_IO', `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, {
    hint: 'check that the state directory is writable by this user and has free space',
    retryable: true,
    cause,
  });
}
