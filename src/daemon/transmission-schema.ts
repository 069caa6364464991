/**
 * The torrent-get boundary: which raw fields a poll asks for, and the schema that turns one
 * raw row into a DaemonTorrent. Pure. Field names and status codes: Transmission RPC spec
 * 3.3 (rpc-version 16 = 3.00, 17 = 4.0, 18/19 = 4.1; the old names, which the JSON-RPC
 * dialect maps to snake_case). Nothing asked for is given a default: a field the daemon left
 * out (4.x drops names it does not know) or answered with the wrong type (3.00 answers an
 * unknown field with 0) is an error that names it, so a daemon that changed shows up at once
 * instead of as a torrent with no labels or no seeders.
 */
import { z } from 'zod';
import { parseInfoHash, type InfoHash } from '../shared/index.js';
import type { DaemonTorrent, TorrentStatus, TrackerCounts } from './port.js';

/** Exactly what DaemonTorrent needs; trackerStats comes whole (no sub-field selection). */
export const POLL_FIELDS = [
  'hashString',
  'name',
  'status',
  'percentDone',
  'sizeWhenDone',
  'leftUntilDone',
  'rateDownload',
  'rateUpload',
  'uploadedEver',
  'downloadedEver',
  'peersConnected',
  'labels',
  'downloadDir',
  'addedDate',
  'doneDate',
  'secondsSeeding',
  'error',
  'errorString',
  'trackerStats',
] as const;

const STATUS: readonly TorrentStatus[] = ['stopped', 'check-wait', 'checking', 'download-wait', 'downloading', 'seed-wait', 'seeding'];

/** -1 while unknown, as Transmission reports counts. */
const count = z.number().int().min(-1);
const amount = z.number();

const RawTracker = z.object({
  announce: z.string(),
  seederCount: count,
  leecherCount: count,
  downloadCount: count,
  lastScrapeTime: amount,
});

export const RawTorrent = z.object({
  hashString: z.string(),
  name: z.string(),
  status: z.number().int().min(0).max(6),
  percentDone: z.number().min(0).max(1),
  sizeWhenDone: amount,
  leftUntilDone: amount,
  rateDownload: amount,
  rateUpload: amount,
  uploadedEver: amount,
  downloadedEver: amount,
  peersConnected: amount,
  labels: z.array(z.string()),
  downloadDir: z.string(),
  addedDate: amount,
  doneDate: amount,
  secondsSeeding: amount,
  error: amount,
  errorString: z.string(),
  // Left out of a poll on purpose (ListTorrentsOptions.trackerStats): then it reads [].
  trackerStats: z
    .array(RawTracker.loose())
    .optional()
    .transform((v) => v ?? []),
});

/**
 * A table answer's rows, checked to carry every field asked for; what is missing is named.
 */
export function readTable(table: unknown, fields: readonly string[]): { rows: Record<string, unknown>[] } | { problem: string } {
  const read = tableToObjects(table);
  if ('problem' in read || !Array.isArray(table) || table.length === 0) return read;
  const head = new Set(table[0] as string[]);
  const missing = fields.filter((f) => !head.has(f));
  if (missing.length > 0)
    return {
      problem: `the daemon did not return the field${missing.length > 1 ? 's' : ''} ${missing.map((f) => JSON.stringify(f)).join(', ')}`,
    };
  return read;
}

/**
 * Rows of a `format: "table"` answer: the first row names the fields, each further row is
 * one torrent. Returns objects keyed by field name.
 */
export function tableToObjects(table: unknown): { rows: Record<string, unknown>[] } | { problem: string } {
  if (!Array.isArray(table)) return { problem: 'torrents is not an array' };
  if (table.length === 0) return { rows: [] };
  const [head, ...rest] = table as unknown[];
  if (!Array.isArray(head) || !head.every((f) => typeof f === 'string')) {
    return { problem: 'the first row of the table is not a list of field names' };
  }
  const names = head as string[];
  const rows: Record<string, unknown>[] = [];
  for (const row of rest) {
    if (!Array.isArray(row) || row.length !== names.length) {
      return { problem: `a row does not have ${names.length} values` };
    }
    const obj: Record<string, unknown> = {};
    names.forEach((name, i) => {
      obj[name] = row[i];
    });
    rows.push(obj);
  }
  return { rows };
}

/** One raw row to the domain type, or the reason it cannot be read. */
export function toDaemonTorrent(row: unknown): { torrent: DaemonTorrent } | { problem: string } {
  const parsed = RawTorrent.safeParse(row);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { problem: `${issue?.path.join('.') ?? '?'}: ${issue?.message ?? 'invalid'}` };
  }
  const raw = parsed.data;
  const infoHash: InfoHash | null = parseInfoHash(raw.hashString);
  if (infoHash === null) return { problem: `hashString ${JSON.stringify(raw.hashString)} is not an info-hash` };
  const trackerStats: TrackerCounts[] = raw.trackerStats.map((t) => ({
    announce: t.announce,
    seederCount: t.seederCount,
    leecherCount: t.leecherCount,
    downloadCount: t.downloadCount,
    lastScrapeTime: t.lastScrapeTime,
  }));
  return {
    torrent: {
      infoHash,
      name: raw.name,
      status: STATUS[raw.status] ?? 'stopped',
      percentDone: raw.percentDone,
      sizeWhenDoneBytes: raw.sizeWhenDone,
      leftUntilDoneBytes: raw.leftUntilDone,
      rateDownloadBytesPerSec: raw.rateDownload,
      rateUploadBytesPerSec: raw.rateUpload,
      uploadedEverBytes: raw.uploadedEver,
      downloadedEverBytes: raw.downloadedEver,
      peersConnected: raw.peersConnected,
      labels: raw.labels,
      downloadDir: raw.downloadDir,
      addedDate: raw.addedDate,
      doneDate: raw.doneDate,
      secondsSeeding: raw.secondsSeeding,
      error: raw.error,
      errorString: raw.errorString,
      trackerStats,
    },
  };
}

/** The first thing a schema found wrong, as `field "a.b": why`, to name it in an error. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (issue === undefined) return 'unexpected content';
  const path = issue.path.join('.');
  return path === '' ? issue.message : `field "${path}": ${issue.message}`;
}
