/**
 * The torrent-get boundary: which raw fields a poll asks for, and the schema that turns one
 * raw row into a DaemonTorrent. Pure. Field names and status codes: Transmission RPC spec
 * 3.3 (rpc-version 16 = 3.00, 17 = 4.0). 3.00 answers an unknown field with 0 instead of
 * leaving it out, and old daemons have no `labels`: such values read as "none".
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

const STATUS: readonly TorrentStatus[] = [
  'stopped',
  'check-wait',
  'checking',
  'download-wait',
  'downloading',
  'seed-wait',
  'seeding',
];

const count = z.number().int().catch(-1);
const amount = z.number().catch(0);
/** An array of T, or a 0/null/missing stand-in from a daemon that lacks the field. */
const listOr = <T extends z.ZodType>(item: T) =>
  z
    .union([z.array(item), z.literal(0), z.null()])
    .optional()
    .transform((v) => (Array.isArray(v) ? v : []));

const RawTracker = z.object({
  announce: z.string().catch(''),
  seederCount: count,
  leecherCount: count,
  downloadCount: count,
  lastScrapeTime: amount,
});

export const RawTorrent = z.object({
  hashString: z.string(),
  name: z.string().catch(''),
  status: z.number().int().min(0).max(6),
  percentDone: z.number().min(0).max(1).catch(0),
  sizeWhenDone: amount,
  leftUntilDone: amount,
  rateDownload: amount,
  rateUpload: amount,
  uploadedEver: amount,
  downloadedEver: amount,
  peersConnected: amount,
  labels: listOr(z.string()),
  downloadDir: z.string().catch(''),
  addedDate: amount,
  doneDate: amount,
  secondsSeeding: amount,
  error: amount,
  errorString: z.string().catch(''),
  trackerStats: listOr(RawTracker.loose()),
});

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
