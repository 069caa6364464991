/**
 * What announce probes found, kept in the state dir (`probe-cache.json`) so that "at most one
 * probe per torrent per interval" holds across restarts and across `plan`/`explain` runs, not
 * only within one process. Only the derived geography is kept (country counts), never peer
 * addresses. Written atomically (temporary file, rename) when changed; a missing or corrupt
 * file starts empty (it is a cache).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { GeoObservation } from '../plan/index.js';
import { parseInfoHash, type InfoHash } from '../shared/index.js';

export const PROBE_CACHE_FILE = 'probe-cache.json';

export interface ProbeMemo {
  atMs: number;
  geo: GeoObservation | null;
}

export interface ProbeCache {
  fresh(infoHash: InfoHash, nowMs: number, intervalMs: number): ProbeMemo | undefined;
  put(infoHash: InfoHash, memo: ProbeMemo): void;
  /** Drops entries older than the interval; writes the file if anything changed. */
  save(nowMs: number, intervalMs: number): Promise<void>;
}

const Geo = z.object({
  countries: z.array(z.string().length(2)),
  peers: z.array(z.number().int().min(0)),
  unknownPeers: z.number().int().min(0),
  peersAre: z.enum(['seeders', 'peers']),
  source: z.enum(['daemon', 'announce']),
  observedAtMs: z.number(),
});
const FileSchema = z.object({ version: z.literal(1), probes: z.record(z.string(), z.object({ atMs: z.number(), geo: Geo.nullable() })) });

export async function openProbeCache(stateDir: string | null): Promise<ProbeCache> {
  const memos = new Map<InfoHash, ProbeMemo>();
  const path = stateDir === null ? null : join(stateDir, PROBE_CACHE_FILE);
  if (path !== null) {
    try {
      const parsed = FileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
      if (parsed.success) {
        for (const [key, memo] of Object.entries(parsed.data.probes)) {
          const hash = parseInfoHash(key);
          if (hash !== null && memo.geo?.countries.length === memo.geo?.peers.length) memos.set(hash, memo);
        }
      }
    } catch {
      // Missing or unreadable: start empty.
    }
  }
  let dirty = false;
  return {
    fresh(infoHash, nowMs, intervalMs) {
      const m = memos.get(infoHash);
      return m !== undefined && nowMs - m.atMs < intervalMs && m.atMs <= nowMs ? m : undefined;
    },
    put(infoHash, memo) {
      memos.set(infoHash, memo);
      dirty = true;
    },
    async save(nowMs, intervalMs) {
      for (const [hash, m] of memos) {
        if (nowMs - m.atMs >= intervalMs) {
          memos.delete(hash);
          dirty = true;
        }
      }
      if (!dirty || path === null || stateDir === null) return;
      const probes: Record<string, ProbeMemo> = {};
      for (const [hash, m] of memos) probes[hash] = m;
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify({ version: 1, probes }), { mode: 0o600 });
      await rename(tmp, path);
      dirty = false;
    },
  };
}
