/**
 * Speed limits and transfer counters over Transmission RPC (spec 3.2 torrent-set, 3.3
 * torrent-get, 4.1 session-set/get, 4.2 session-stats). Limits travel as kB/s of 1000
 * bytes; the port speaks bytes/s. Pure helpers plus one factory over an RpcCall.
 */
import { z } from 'zod';
import { SmartnodeError, parseInfoHash } from '../shared/index.js';
import type { RateLimits, SessionStats, SpeedLimits, TorrentLimitsEntry } from './port.js';
import type { RpcCall } from './rpc-methods.js';
import { readTable } from './transmission-schema.js';

export const LIMIT_FIELDS = ['hashString', 'uploadLimit', 'uploadLimited', 'downloadLimit', 'downloadLimited', 'honorsSessionLimits'] as const;

/** bytes/s -> whole kB/s: 0 stays 0 (stopped), anything positive is at least 1 kB/s. */
export function toKBps(bytesPerSec: number): number {
  if (!(bytesPerSec > 0)) return 0;
  return Math.max(1, Math.floor(bytesPerSec / 1000));
}

// 4.1.0 answers speed limits as floats (4.1.1 went back to integers): read any number.
const kBps = z.number();
const RawLimits = z.object({
  hashString: z.string(),
  uploadLimit: kBps,
  uploadLimited: z.boolean(),
  downloadLimit: kBps,
  downloadLimited: z.boolean(),
  honorsSessionLimits: z.boolean(),
});
const SessionLimitsAnswer = z.object({
  'speed-limit-up': z.number(),
  'speed-limit-up-enabled': z.boolean(),
  'speed-limit-down': z.number(),
  'speed-limit-down-enabled': z.boolean(),
});
const Counters = z.object({ uploadedBytes: z.number(), downloadedBytes: z.number() });
const StatsAnswer = z.object({ 'cumulative-stats': Counters, 'current-stats': Counters });

export interface LimitsRpc {
  listTorrentLimits(): Promise<TorrentLimitsEntry[]>;
  setTorrentLimits(infoHashes: readonly string[], limits: SpeedLimits): Promise<void>;
  readSessionLimits(): Promise<RateLimits>;
  setSessionLimits(limits: RateLimits): Promise<void>;
  readSessionStats(): Promise<SessionStats>;
}

export function createLimitsRpc(call: RpcCall, protocol: (method: string, what: string) => SmartnodeError): LimitsRpc {
  return {
    async listTorrentLimits() {
      const answer = await call('torrent-get', { format: 'table', fields: [...LIMIT_FIELDS] });
      const table = readTable(answer['torrents'], LIMIT_FIELDS);
      if ('problem' in table) throw protocol('torrent-get', table.problem);
      return table.rows.map((row) => {
        const parsed = RawLimits.safeParse(row);
        const infoHash = parsed.success ? parseInfoHash(parsed.data.hashString) : null;
        if (!parsed.success || infoHash === null) throw protocol('torrent-get', `speed limits of ${JSON.stringify(row['hashString'])}`);
        const r = parsed.data;
        return {
          infoHash,
          uploadBytesPerSec: r.uploadLimited ? r.uploadLimit * 1000 : null,
          downloadBytesPerSec: r.downloadLimited ? r.downloadLimit * 1000 : null,
          honorsSessionLimits: r.honorsSessionLimits,
        };
      });
    },

    async setTorrentLimits(infoHashes, limits) {
      if (infoHashes.length === 0) return;
      // Unknown ids are ignored by the daemon (3.00 and 4.0), as the port promises.
      await call('torrent-set', {
        ids: [...infoHashes],
        uploadLimited: limits.uploadBytesPerSec !== null,
        ...(limits.uploadBytesPerSec !== null ? { uploadLimit: toKBps(limits.uploadBytesPerSec) } : {}),
        downloadLimited: limits.downloadBytesPerSec !== null,
        ...(limits.downloadBytesPerSec !== null ? { downloadLimit: toKBps(limits.downloadBytesPerSec) } : {}),
        honorsSessionLimits: limits.honorsSessionLimits,
      });
    },

    async readSessionLimits() {
      const parsed = SessionLimitsAnswer.safeParse(await call('session-get', { fields: ['speed-limit-up', 'speed-limit-up-enabled', 'speed-limit-down', 'speed-limit-down-enabled'] }));
      if (!parsed.success) throw protocol('session-get', 'no speed-limit-* fields');
      const a = parsed.data;
      return {
        uploadBytesPerSec: a['speed-limit-up-enabled'] ? a['speed-limit-up'] * 1000 : null,
        downloadBytesPerSec: a['speed-limit-down-enabled'] ? a['speed-limit-down'] * 1000 : null,
      };
    },

    async setSessionLimits(limits) {
      await call('session-set', {
        'speed-limit-up-enabled': limits.uploadBytesPerSec !== null,
        ...(limits.uploadBytesPerSec !== null ? { 'speed-limit-up': toKBps(limits.uploadBytesPerSec) } : {}),
        'speed-limit-down-enabled': limits.downloadBytesPerSec !== null,
        ...(limits.downloadBytesPerSec !== null ? { 'speed-limit-down': toKBps(limits.downloadBytesPerSec) } : {}),
      });
    },

    async readSessionStats() {
      const parsed = StatsAnswer.safeParse(await call('session-stats', {}));
      if (!parsed.success) throw protocol('session-stats', 'no cumulative-stats / current-stats');
      return { cumulative: parsed.data['cumulative-stats'], current: parsed.data['current-stats'] };
    },
  };
}
