/**
 * Speed limits and transfer counters over Transmission RPC (spec 3.2 torrent-set, 3.3
 * torrent-get, 4.1 session-set/get, 4.2 session-stats). Limits travel as kB/s of 1000
 * bytes; the port speaks bytes/s. Pure helpers plus one factory over an RpcCall.
 */
import { z } from 'zod';
import { type SmartnodeError, parseInfoHash } from '../shared/index.js';
import type { RateLimits, SessionStats, SpeedLimits, TorrentLimitsEntry } from './port.js';
import type { RpcCall } from './rpc-methods.js';
import { describeIssue, readTable } from './transmission-schema.js';

export const LIMIT_FIELDS = [
  'hashString',
  'uploadLimit',
  'uploadLimited',
  'downloadLimit',
  'downloadLimited',
  'honorsSessionLimits',
] as const;
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
  group: z.string().optional(),
});
const GroupAnswer = z.object({
  group: z.array(
    z
      .object({
        name: z.string(),
        'speed-limit-up': kBps,
        'speed-limit-up-enabled': z.boolean(),
        'speed-limit-down': kBps,
        'speed-limit-down-enabled': z.boolean(),
      })
      .loose(),
  ),
});
const SessionLimitsAnswer = z.object({
  'speed-limit-up': kBps,
  'speed-limit-up-enabled': z.boolean(),
  'speed-limit-down': kBps,
  'speed-limit-down-enabled': z.boolean(),
});
const Counters = z.object({ uploadedBytes: z.number(), downloadedBytes: z.number() });
const StatsAnswer = z.object({ 'cumulative-stats': Counters, 'current-stats': Counters.extend({ secondsActive: z.number() }) });

export interface LimitsRpc {
  listTorrentLimits(): Promise<TorrentLimitsEntry[]>;
  setTorrentLimits(infoHashes: readonly string[], limits: SpeedLimits): Promise<void>;
  setBandwidthGroup(name: string, limits: RateLimits): Promise<void>;
  readBandwidthGroup(name: string): Promise<RateLimits | null>;
  setTorrentGroup(infoHashes: readonly string[], name: string): Promise<void>;
  readSessionLimits(): Promise<RateLimits>;
  setSessionLimits(limits: RateLimits): Promise<void>;
  readSessionStats(): Promise<SessionStats>;
}

/** Session-style limit arguments (session-set, group-set) for bytes/s rates. */
function limitArguments(limits: RateLimits): Record<string, unknown> {
  return {
    'speed-limit-up-enabled': limits.uploadBytesPerSec !== null,
    ...(limits.uploadBytesPerSec !== null ? { 'speed-limit-up': toKBps(limits.uploadBytesPerSec) } : {}),
    'speed-limit-down-enabled': limits.downloadBytesPerSec !== null,
    ...(limits.downloadBytesPerSec !== null ? { 'speed-limit-down': toKBps(limits.downloadBytesPerSec) } : {}),
  };
}

function readLimits(a: {
  'speed-limit-up': number;
  'speed-limit-up-enabled': boolean;
  'speed-limit-down': number;
  'speed-limit-down-enabled': boolean;
}): RateLimits {
  // Whole kB/s: 4.1.0 answers floats such as 1000.0.
  return {
    uploadBytesPerSec: a['speed-limit-up-enabled'] ? Math.round(a['speed-limit-up']) * 1000 : null,
    downloadBytesPerSec: a['speed-limit-down-enabled'] ? Math.round(a['speed-limit-down']) * 1000 : null,
  };
}

export function createLimitsRpc(
  call: RpcCall,
  protocol: (method: string, what: string) => SmartnodeError,
  /** Whether the daemon has bandwidth groups and the torrent field `group` (4.0 and newer). */
  hasGroups: () => Promise<boolean>,
): LimitsRpc {
  return {
    async listTorrentLimits() {
      const groups = await hasGroups();
      const fields = groups ? [...LIMIT_FIELDS, 'group'] : [...LIMIT_FIELDS];
      const answer = await call('torrent-get', { format: 'table', fields });
      const table = readTable(answer['torrents'], fields);
      if ('problem' in table) throw protocol('torrent-get', table.problem);
      return table.rows.map((row) => {
        const parsed = RawLimits.safeParse(row);
        const infoHash = parsed.success ? parseInfoHash(parsed.data.hashString) : null;
        if (!parsed.success || infoHash === null)
          throw protocol(
            'torrent-get',
            `speed limits of ${JSON.stringify(row['hashString'])}: ${parsed.success ? 'not an info-hash' : describeIssue(parsed.error)}`,
          );
        const r = parsed.data;
        return {
          infoHash,
          uploadBytesPerSec: r.uploadLimited ? r.uploadLimit * 1000 : null,
          downloadBytesPerSec: r.downloadLimited ? r.downloadLimit * 1000 : null,
          honorsSessionLimits: r.honorsSessionLimits,
          group: groups ? (r.group ?? '') : null,
        };
      });
    },

    async setBandwidthGroup(name, limits) {
      // honorsSessionLimits: the owner's session limits still cap the group.
      await call('group-set', { name, honorsSessionLimits: true, ...limitArguments(limits) });
    },

    async readBandwidthGroup(name) {
      // 4.1 reads the group's name from `group`, 4.0 from `name`: send both.
      const parsed = GroupAnswer.safeParse(await call('group-get', { group: name, name }));
      if (!parsed.success) throw protocol('group-get', describeIssue(parsed.error));
      const found = parsed.data.group.find((g) => g.name === name);
      return found === undefined ? null : readLimits(found);
    },

    async setTorrentGroup(infoHashes, name) {
      if (infoHashes.length === 0) return;
      await call('torrent-set', { ids: [...infoHashes], group: name });
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
      const parsed = SessionLimitsAnswer.safeParse(
        await call('session-get', { fields: ['speed-limit-up', 'speed-limit-up-enabled', 'speed-limit-down', 'speed-limit-down-enabled'] }),
      );
      if (!parsed.success) throw protocol('session-get', describeIssue(parsed.error));
      return readLimits(parsed.data);
    },

    async setSessionLimits(limits) {
      await call('session-set', limitArguments(limits));
    },

    async readSessionStats() {
      const parsed = StatsAnswer.safeParse(await call('session-stats', {}));
      if (!parsed.success) throw protocol('session-stats', describeIssue(parsed.error));
      const { uploadedBytes, downloadedBytes, secondsActive } = parsed.data['current-stats'];
      const cumulative = parsed.data['cumulative-stats'];
      return {
        cumulative: { uploadedBytes: cumulative.uploadedBytes, downloadedBytes: cumulative.downloadedBytes },
        current: { uploadedBytes, downloadedBytes },
        secondsActive,
      };
    },
  };
}
