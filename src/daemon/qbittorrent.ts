/**
 * DaemonPort over qBittorrent's WebUI API v2 (qbittorrent-nox 4.5 to 5.3). Where the client
 * cannot behave as Transmission does, the difference is stated here and asserted by the
 * contract suite (contract.suite.ts `differences`):
 * - labels are tags: a set, answered in qBittorrent's (sorted) order, no commas in a tag;
 * - no bandwidth groups; a torrent always honours the global limits (honorsSessionLimits true);
 * - 0 (a stopped direction) is written as 1 B/s, the least limit there is (qBittorrent's 0
 *   means unlimited), and reads back as 0;
 * - data gone entirely is found as no piece, and a running torrent downloads it again with no
 *   error (Transmission stops it with error 3 "No data found");
 * - 5.x keeps the global limits in whole KiB: the nearest KiB is sent, read back to the kB;
 * - setLocation moves data that is not already at the new place (there is no "set path only");
 * - secondsActive counts from this client's first look at the WebUI's session (4.x/5.x have no
 *   uptime in the API): it may under-count, never over-count.
 * Added torrents get autoTMM off (automatic management could move data to a category's path)
 * and the original content layout, so the data lands where Transmission would put it.
 */
import { statfs } from 'node:fs/promises';
import { SmartnodeError, parseInfoHash, type InfoHash } from '../shared/index.js';
import { readMetainfoSummary } from './metainfo.js';
import type { AddTorrentRequest, DaemonPort, DaemonTorrent, RateLimits, SpeedLimits } from './port.js';
import { createQbittorrentHttp, type QbittorrentHttpOptions } from './qbittorrent-http.js';
import { RawTorrent, hashList, readRateLimit, toDaemonPeers, toDaemonTorrent, toTrackerCounts } from './qbittorrent-schema.js';
import { toKBps } from './transmission-limits.js';

export type QbittorrentDaemonOptions = QbittorrentHttpOptions;

/** WebAPI 2.11 (qBittorrent 5.0) renamed pause/resume to stop/start and `paused` to `stopped`. */
const STOP_START_SINCE = [2, 11, 0] as const;

export function createQbittorrentDaemon(options: QbittorrentDaemonOptions): DaemonPort {
  const http = createQbittorrentHttp(options);
  const { safeUrl } = http;
  const now = options.now ?? Date.now;
  let webApi: number[] | undefined;
  let session: { startedAtMs: number; uploaded: number } | undefined;

  const protocol = (path: string, what: string): SmartnodeError =>
    new SmartnodeError('DAEMON_PROTOCOL', `qBittorrent WebUI at ${safeUrl} answered ${path} unexpectedly: ${what}`, {
      retryable: true,
      hint: 'smartnode is tested with qbittorrent-nox 4.5, 5.1 and 5.3 (README "Tested daemons"); `smartnode doctor` shows the version',
      details: { url: safeUrl, path },
    });
  const ok = async (path: string, form?: Record<string, string>): Promise<string> => {
    const res = await http.request(path, form);
    if (res.status >= 200 && res.status < 300) return res.text;
    throw new SmartnodeError('DAEMON_RPC', `qBittorrent refused ${path} (HTTP ${res.status}): ${res.text.slice(0, 200)}`, {
      hint: 'the next tick re-reads the client; `smartnode doctor` checks the WebUI',
      details: { url: safeUrl, path, status: res.status },
    });
  };
  /** A read: GET with the parameters in the query (5.x takes changes by POST only). */
  const json = async (path: string, query?: Record<string, string>): Promise<unknown> => {
    const text = await ok(query === undefined ? path : `${path}?${new URLSearchParams(query).toString()}`);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw protocol(path, 'not JSON');
    }
  };
  const version = async (): Promise<number[]> => {
    webApi ??= (await ok('app/webapiVersion')).trim().split('.').map(Number);
    return webApi;
  };
  const atLeast = async (want: readonly number[]): Promise<boolean> => {
    const have = await version();
    for (let i = 0; i < want.length; i++) if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > (want[i] ?? 0);
    return true;
  };

  const info = async (infoHashes?: readonly InfoHash[]): Promise<DaemonTorrent[]> => {
    const rows = await json('torrents/info', infoHashes === undefined ? undefined : { hashes: hashList(infoHashes) });
    if (!Array.isArray(rows)) throw protocol('torrents/info', 'not a list');
    const nowSec = Math.floor(now() / 1000);
    return rows.map((row: unknown) => {
      const read = toDaemonTorrent(row, nowSec);
      if ('problem' in read) throw protocol('torrents/info', read.problem);
      return read.torrent;
    });
  };
  const require = async (infoHash: InfoHash, verb: string): Promise<DaemonTorrent> => {
    const [found] = await info([infoHash]);
    if (found !== undefined) return found;
    throw new SmartnodeError('DAEMON_RPC', `cannot ${verb} ${infoHash}: qBittorrent has no such torrent`, {
      hint: 'it was removed since the last poll; the next tick re-reads the client',
      details: { infoHash },
    });
  };
  const trackersOf = async (infoHash: InfoHash) => {
    const read = toTrackerCounts(await json('torrents/trackers', { hash: infoHash }));
    if ('problem' in read) throw protocol('torrents/trackers', read.problem);
    return read.trackers;
  };
  const setRate = async (path: string, form: Record<string, string>, bytesPerSec: number | null, kib = false) => {
    // qBittorrent's 0 is "unlimited": a stopped direction is its least limit, 1 B/s.
    const whole = bytesPerSec !== null && bytesPerSec > 0 ? toKBps(bytesPerSec) * 1000 : 0;
    // 5.x keeps the global limits in whole KiB: the nearest KiB reads back as the same kB.
    const sent = kib ? Math.max(1024, Math.round(whole / 1024) * 1024) : whole;
    const limit = bytesPerSec === null ? 0 : bytesPerSec > 0 ? sent : 1;
    await ok(path, { ...form, limit: String(limit) });
  };
  const waitFor = async (what: string, check: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!(await check())) {
      if (Date.now() > deadline) throw protocol('torrents/info', `${what} did not show within 10 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  return {
    async readVersion() {
      const app = (await ok('app/version')).trim().replace(/^v/, '');
      const api = (await ok('app/webapiVersion')).trim();
      webApi = api.split('.').map(Number);
      return { version: app, rpcVersion: 0, rpcVersionSemver: api, protocol: 'webui-v2' };
    },

    async listTorrents(listOptions) {
      const torrents = await info();
      if (listOptions?.trackerStats === false) return torrents;
      for (const t of torrents) t.trackerStats = await trackersOf(t.infoHash);
      return torrents;
    },

    async listPeers(infoHashes) {
      if (infoHashes.length === 0) return [];
      const held = await info(infoHashes);
      const out = [];
      for (const t of held) {
        const read = toDaemonPeers(await json('sync/torrentPeers', { hash: t.infoHash, rid: '0' }));
        if ('problem' in read) throw protocol('sync/torrentPeers', read.problem);
        out.push({ infoHash: t.infoHash, peers: read.peers });
      }
      return out;
    },

    async addTorrent(request: AddTorrentRequest) {
      if (!request.downloadDir.startsWith('/')) {
        throw new SmartnodeError('INTERNAL', `addTorrent needs an absolute downloadDir, got ${JSON.stringify(request.downloadDir)}`);
      }
      let summary: ReturnType<typeof readMetainfoSummary>;
      try {
        summary = readMetainfoSummary(request.metainfo);
      } catch (error) {
        throw new SmartnodeError('DAEMON_RPC', `not a torrent: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
          hint: 'the feed served something that is not a .torrent file; it is skipped',
        });
      }
      const [existing] = await info([summary.infoHash]);
      if (existing !== undefined) return { infoHash: existing.infoHash, name: existing.name, duplicate: true };
      const paused = String(request.paused ?? false);
      const res = await http.request('torrents/add', {
        multipart: true,
        fields: {
          savepath: request.downloadDir,
          tags: request.labels.join(','),
          autoTMM: 'false',
          contentLayout: 'Original',
          root_folder: 'true',
          paused,
          stopped: paused,
        },
        file: { field: 'torrents', filename: `${summary.infoHash}.torrent`, bytes: request.metainfo },
      });
      if (res.status < 200 || res.status > 299 || res.text.trim() === 'Fails.') {
        throw new SmartnodeError('DAEMON_RPC', `qBittorrent refused to add ${summary.infoHash} (HTTP ${res.status})`, {
          hint: 'its log (qBittorrent/data/logs/qbittorrent.log in the profile) says why',
          details: { infoHash: summary.infoHash, status: res.status },
        });
      }
      // The add is queued inside the client: the torrent lists a moment later.
      let added: DaemonTorrent | undefined;
      await waitFor(`the added torrent ${summary.infoHash}`, async () => {
        [added] = await info([summary.infoHash]);
        return added !== undefined;
      });
      return { infoHash: summary.infoHash, name: added?.name ?? summary.name, duplicate: false };
    },

    async setLabels(infoHash, labels) {
      const current = await require(infoHash, 'label');
      const drop = current.labels.filter((l) => !labels.includes(l));
      if (drop.length > 0) await ok('torrents/removeTags', { hashes: infoHash, tags: drop.join(',') });
      if (labels.length > 0) await ok('torrents/addTags', { hashes: infoHash, tags: labels.join(',') });
    },

    async setLocation(infoHash, downloadDir) {
      if (!downloadDir.startsWith('/')) {
        throw new SmartnodeError('INTERNAL', `setLocation needs an absolute downloadDir, got ${JSON.stringify(downloadDir)}`);
      }
      await require(infoHash, 'relocate');
      await ok('torrents/setLocation', { hashes: infoHash, location: downloadDir });
      await waitFor(`the new location of ${infoHash}`, async () => (await info([infoHash]))[0]?.downloadDir === downloadDir);
    },

    async verifyTorrent(infoHash) {
      await require(infoHash, 'verify');
      await ok('torrents/recheck', { hashes: infoHash });
    },

    async stopTorrent(infoHash) {
      await require(infoHash, 'stop');
      await ok((await atLeast(STOP_START_SINCE)) ? 'torrents/stop' : 'torrents/pause', { hashes: infoHash });
    },

    async startTorrent(infoHash) {
      await require(infoHash, 'start');
      await ok((await atLeast(STOP_START_SINCE)) ? 'torrents/start' : 'torrents/resume', { hashes: infoHash });
    },

    async removeTorrent(infoHash, { deleteData }) {
      // Unknown hashes are ignored by the client: absent is success.
      await ok('torrents/delete', { hashes: infoHash, deleteFiles: String(deleteData) });
      await waitFor(`the removal of ${infoHash}`, async () => (await info([infoHash])).length === 0);
    },

    async readFreeSpace(path) {
      // The API reads free space of the default save path only (server_state). For a WebUI on
      // this machine the filesystem is asked directly, for any path; elsewhere that figure serves.
      if (isLoopback(new URL(options.url).hostname)) {
        try {
          const s = await statfs(path);
          return s.bavail * s.bsize;
        } catch (error) {
          throw new SmartnodeError('DAEMON_RPC', `cannot read free space of ${JSON.stringify(path)}: ${(error as Error).message}`, {
            cause: error,
            hint: 'create the directory or fix the download directory in the policy',
            details: { path },
          });
        }
      }
      const state = (await mainData())['server_state'] as Record<string, unknown> | undefined;
      const free = state?.['free_space_on_disk'];
      if (typeof free !== 'number') throw protocol('sync/maindata', 'no server_state.free_space_on_disk');
      return free;
    },

    async listTorrentLimits() {
      const rows = await json('torrents/info');
      if (!Array.isArray(rows)) throw protocol('torrents/info', 'not a list');
      return rows.map((row: unknown) => {
        const parsed = RawTorrent.safeParse(row);
        const infoHash = parsed.success ? parseInfoHash(parsed.data.hash) : null;
        if (!parsed.success || infoHash === null) throw protocol('torrents/info', 'a torrent without hash/up_limit/dl_limit');
        return {
          infoHash,
          uploadBytesPerSec: readRateLimit(parsed.data.up_limit),
          downloadBytesPerSec: readRateLimit(parsed.data.dl_limit),
          honorsSessionLimits: true,
          group: null,
        };
      });
    },

    async setTorrentLimits(infoHashes, limits: SpeedLimits) {
      if (infoHashes.length === 0) return;
      const hashes = hashList(infoHashes as InfoHash[]);
      await setRate('torrents/setUploadLimit', { hashes }, limits.uploadBytesPerSec);
      await setRate('torrents/setDownloadLimit', { hashes }, limits.downloadBytesPerSec);
    },

    async setBandwidthGroup() {
      throw noGroups();
    },
    async readBandwidthGroup() {
      return null;
    },
    async setTorrentGroup() {
      throw noGroups();
    },

    async readSessionLimits(): Promise<RateLimits> {
      return {
        uploadBytesPerSec: readRateLimit(Number(await ok('transfer/uploadLimit'))),
        downloadBytesPerSec: readRateLimit(Number(await ok('transfer/downloadLimit'))),
      };
    },

    async setSessionLimits(limits) {
      await setRate('transfer/setUploadLimit', {}, limits.uploadBytesPerSec, true);
      await setRate('transfer/setDownloadLimit', {}, limits.downloadBytesPerSec, true);
    },

    async readSessionStats() {
      const state = (await mainData())['server_state'] as Record<string, unknown> | undefined;
      const n = (k: string): number => {
        const v = state?.[k];
        if (typeof v !== 'number') throw protocol('sync/maindata', `no server_state.${k}`);
        return v;
      };
      const current = { uploadedBytes: n('up_info_data'), downloadedBytes: n('dl_info_data') };
      // A session counter that went down is a restarted client: its session starts again.
      if (session === undefined || current.uploadedBytes < session.uploaded) session = { startedAtMs: now(), uploaded: 0 };
      session.uploaded = current.uploadedBytes;
      return {
        cumulative: { uploadedBytes: n('alltime_ul'), downloadedBytes: n('alltime_dl') },
        current,
        secondsActive: Math.floor((now() - session.startedAtMs) / 1000),
      };
    },
  };

  async function mainData(): Promise<Record<string, unknown>> {
    const answer = await json('sync/maindata', { rid: '0' });
    if (typeof answer !== 'object' || answer === null) throw protocol('sync/maindata', 'not an object');
    return answer as Record<string, unknown>;
  }
}

function noGroups(): SmartnodeError {
  return new SmartnodeError('DAEMON_RPC', 'qBittorrent has no bandwidth groups', {
    hint: 'use per-torrent limits (limits.bandwidth.mode per-torrent) or the global limit with qBittorrent',
  });
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
