/**
 * qBittorrent WebUI API v2 answers (torrents/info, torrents/trackers, sync/torrentPeers) to the
 * port's shapes. Pure. Fields are read through zod: an answer is untrusted input, and a field
 * the client stopped sending is an error naming it, never a silent default.
 */
import { z } from 'zod';
import { parseInfoHash, type InfoHash } from '../shared/index.js';
import type { DaemonPeer, DaemonTorrent, TorrentStatus, TrackerCounts } from './port.js';

/** The tag that marks what smartnode added; a tag, not a category (a category carries a save path). */
export const OWNER_TAG = 'smartnode';

const num = z.number();
export const RawTorrent = z
  .object({
    hash: z.string(),
    name: z.string(),
    state: z.string(),
    progress: num,
    size: num,
    amount_left: num,
    dlspeed: num,
    upspeed: num,
    uploaded: num,
    downloaded: num,
    num_seeds: num,
    num_leechs: num,
    tags: z.string(),
    save_path: z.string(),
    added_on: num,
    completion_on: num,
    seeding_time: num.optional(),
    up_limit: num,
    dl_limit: num,
  })
  .loose();
export type RawTorrent = z.infer<typeof RawTorrent>;

/**
 * qBittorrent's states (4.x pausedDL/pausedUP, 5.x stoppedDL/stoppedUP) as Transmission's
 * status codes; error and missingFiles are stopped torrents with a local error.
 */
const STATES: Record<string, TorrentStatus> = {
  error: 'stopped',
  missingFiles: 'stopped',
  pausedDL: 'stopped',
  pausedUP: 'stopped',
  stoppedDL: 'stopped',
  stoppedUP: 'stopped',
  uploading: 'seeding',
  stalledUP: 'seeding',
  forcedUP: 'seeding',
  queuedUP: 'seed-wait',
  downloading: 'downloading',
  stalledDL: 'downloading',
  forcedDL: 'downloading',
  metaDL: 'downloading',
  forcedMetaDL: 'downloading',
  allocating: 'downloading',
  moving: 'downloading',
  queuedDL: 'download-wait',
  checkingDL: 'checking',
  checkingUP: 'checking',
  checkingResumeData: 'check-wait',
};

/** Transmission's error 3 ("local error"): the only kind qBittorrent's states tell. */
const LOCAL_ERROR = 3;

export function splitTags(tags: string): string[] {
  return tags
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** A rate limit as qBittorrent reads it (bytes/s; 0 or -1 is none) to the port's bytes/s or null. */
export function readRateLimit(raw: number): number | null {
  if (!(raw > 0)) return null;
  // 1 B/s is how a stopped direction is written (qBittorrent's 0 means unlimited): reads back 0.
  return raw < 1000 ? 0 : Math.round(raw / 1000) * 1000;
}

export function toDaemonTorrent(raw: unknown, nowSec: number): { torrent: DaemonTorrent } | { problem: string } {
  const parsed = RawTorrent.safeParse(raw);
  if (!parsed.success) {
    return { problem: parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ') };
  }
  const r = parsed.data;
  const infoHash = parseInfoHash(r.hash);
  if (infoHash === null) return { problem: `hash ${JSON.stringify(r.hash)} is not an info-hash` };
  const status = STATES[r.state] ?? (r.state === 'unknown' ? 'stopped' : undefined);
  if (status === undefined) return { problem: `torrent ${infoHash}: unknown state ${JSON.stringify(r.state)}` };
  const error = r.state === 'error' || r.state === 'missingFiles' ? LOCAL_ERROR : 0;
  const done = r.progress >= 1 && r.amount_left === 0;
  // completion_on is -1 (4.x) or a far-future sentinel while incomplete: 0, as the port says.
  const doneDate = done && r.completion_on > 0 && r.completion_on <= nowSec + 86_400 ? r.completion_on : 0;
  return {
    torrent: {
      infoHash,
      name: r.name,
      status,
      percentDone: done ? 1 : Math.min(r.progress, 0.9999),
      sizeWhenDoneBytes: r.size,
      leftUntilDoneBytes: r.amount_left,
      rateDownloadBytesPerSec: r.dlspeed,
      rateUploadBytesPerSec: r.upspeed,
      uploadedEverBytes: r.uploaded,
      downloadedEverBytes: r.downloaded,
      peersConnected: r.num_seeds + r.num_leechs,
      labels: splitTags(r.tags),
      downloadDir: r.save_path.replace(/(.)\/+$/, '$1'),
      addedDate: r.added_on,
      doneDate,
      secondsSeeding: r.seeding_time ?? 0,
      error,
      errorString: r.state === 'missingFiles' ? 'Missing files: no data found' : r.state === 'error' ? 'qBittorrent: torrent error' : '',
      trackerStats: [],
    },
  };
}

const RawTracker = z.object({ url: z.string(), num_seeds: num, num_leeches: num, num_downloaded: num }).loose();

/**
 * torrents/trackers rows to TrackerCounts: the DHT, PeX and LSD pseudo-rows ("** [DHT] **") are
 * left out. qBittorrent keeps no scrape time: lastScrapeTime is 0, which the planner reads as
 * "observed now" (swarm/counts.ts).
 */
export function toTrackerCounts(rows: unknown): { trackers: TrackerCounts[] } | { problem: string } {
  if (!Array.isArray(rows)) return { problem: 'torrents/trackers did not answer a list' };
  const trackers: TrackerCounts[] = [];
  for (const row of rows) {
    const parsed = RawTracker.safeParse(row);
    if (!parsed.success) return { problem: `a tracker row without url/num_seeds/num_leeches/num_downloaded` };
    if (parsed.data.url.startsWith('** [')) continue;
    trackers.push({
      announce: parsed.data.url,
      seederCount: parsed.data.num_seeds,
      leecherCount: parsed.data.num_leeches,
      downloadCount: parsed.data.num_downloaded,
      lastScrapeTime: 0,
    });
  }
  return { trackers };
}

const RawPeer = z.object({
  ip: z.string().max(64),
  port: z.number().int().min(0).max(65535),
  progress: z.number().min(0).max(1),
  dl_speed: z.number().transform((v) => Math.max(0, v)),
  up_speed: z.number().transform((v) => Math.max(0, v)),
  country_code: z.string().optional(),
});

/**
 * sync/torrentPeers' `peers` object (keyed "ip:port") to DaemonPeer. One malformed peer is
 * dropped, not the torrent. The country code is qBittorrent's own (its GeoIP database), kept
 * upper-case when it is two letters; empty when it resolves none.
 */
export function toDaemonPeers(answer: unknown): { peers: DaemonPeer[] } | { problem: string } {
  if (typeof answer !== 'object' || answer === null || !('peers' in answer)) return { problem: 'an answer without "peers"' };
  const raw = answer.peers;
  if (typeof raw !== 'object' || raw === null) return { problem: '"peers" is not an object' };
  const peers: DaemonPeer[] = [];
  for (const entry of Object.values(raw)) {
    const parsed = RawPeer.safeParse(entry);
    if (!parsed.success) continue;
    const cc = parsed.data.country_code?.toUpperCase() ?? '';
    peers.push({
      address: parsed.data.ip,
      port: parsed.data.port,
      progress: parsed.data.progress,
      rateToClientBytesPerSec: parsed.data.dl_speed,
      rateToPeerBytesPerSec: parsed.data.up_speed,
      ...(/^[A-Z]{2}$/.test(cc) ? { countryCode: cc } : {}),
    });
  }
  return { peers };
}

/** hashes=a|b|c, as every torrents/* call takes them. */
export function hashList(infoHashes: readonly InfoHash[]): string {
  return infoHashes.join('|');
}
