/**
 * Swarm counts and tracker memory kept in the state dir (`swarm-counts.json`): the last count of
 * each torrent with when it was observed and which (redacted) tracker said it, and what the
 * scraper learned about trackers (single-hash ones, backoffs). Nothing secret goes in: tracker
 * URLs are redacted before they reach either. Written atomically (temporary file, rename), at
 * most every `minWriteMs` unless something new was learned about a tracker; a missing or
 * corrupt file starts empty (it is a cache).
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { parseInfoHash, type InfoHash } from '../shared/index.js';
import type { SwarmCounts, TrackerMemory, TrackerMemorySnapshot } from '../swarm/index.js';

export const COUNT_STORE_FILE = 'swarm-counts.json';

export interface CountStore {
  counts(): ReadonlyMap<InfoHash, SwarmCounts>;
  trackers(): TrackerMemorySnapshot;
  /** Writes when forced, when tracker memory changed, or when the last write is minWriteMs old. */
  save(counts: ReadonlyMap<InfoHash, SwarmCounts>, memory: TrackerMemory, force?: boolean): Promise<void>;
}

const Counts = z.object({
  seeders: z.number().int().min(0),
  leechers: z.number().int().min(0),
  completed: z.number().int().min(0).nullable(),
  source: z.enum(['daemon', 'scrape', 'feed']),
  observedAtMs: z.number(),
  origin: z.string(),
});
const FileSchema = z.object({
  version: z.literal(1),
  counts: z.record(z.string(), Counts),
  trackers: z.object({
    singleHash: z.array(z.string()),
    backoff: z.record(z.string(), z.object({ failures: z.number().int().min(1), retryAtMs: z.number() })),
  }),
});

export async function openCountStore(stateDir: string, options: { clock: () => number; minWriteMs?: number }): Promise<CountStore> {
  const path = join(stateDir, COUNT_STORE_FILE);
  const counts = new Map<InfoHash, SwarmCounts>();
  let trackers: TrackerMemorySnapshot = { singleHash: [], backoff: {} };
  try {
    const parsed = FileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (parsed.success) {
      for (const [key, c] of Object.entries(parsed.data.counts)) {
        const hash = parseInfoHash(key);
        if (hash !== null) counts.set(hash, c);
      }
      trackers = parsed.data.trackers;
    }
  } catch {
    // Missing or unreadable: start empty.
  }
  const minWriteMs = options.minWriteMs ?? 30_000;
  let writtenAtMs = Number.NEGATIVE_INFINITY;
  let writtenVersion = -1;
  return {
    counts: () => counts,
    trackers: () => trackers,
    async save(next, memory, force = false) {
      const nowMs = options.clock();
      if (!force && memory.version() === writtenVersion && nowMs - writtenAtMs < minWriteMs) return;
      const body = { version: 1, counts: Object.fromEntries(next), trackers: memory.snapshot() };
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(body), { mode: 0o600 });
      await rename(tmp, path);
      writtenAtMs = nowMs;
      writtenVersion = memory.version();
    },
  };
}
