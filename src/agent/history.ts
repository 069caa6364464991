/**
 * Scrape history: a few recent swarm counts per torrent, for the slow-download estimate
 * (Little's law needs successive `downloaded` counts). Kept in the state directory as its own
 * JSON file, NOT in the agent state (conf re-reads and rewrites that whole file on every set:
 * fine for ownership, wrong for per-tick metrics). Written atomically (a temporary file, then
 * rename) at most once per tick. It is a cache: a missing or corrupt file starts empty.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ScrapeSample } from '../plan/index.js';
import { parseInfoHash, type InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/index.js';

export const HISTORY_FILE = 'scrape-history.json';

export interface HistoryOptions {
  /** Samples kept per torrent (newest). */
  maxSamples: number;
  /** Samples older than this are dropped. */
  maxAgeMs: number;
}

export interface ScrapeHistory {
  /** Adds a sample when the counts are newer than the torrent's last one and carry `completed`. */
  record(infoHash: InfoHash, counts: SwarmCounts): void;
  samples(infoHash: InfoHash): readonly ScrapeSample[];
  /** Drops torrents not in `keep` and samples older than maxAgeMs. */
  prune(keep: ReadonlySet<InfoHash>, nowMs: number): void;
  /** Writes the file if anything changed (atomic). */
  save(): Promise<void>;
  readonly size: number;
}

/** [atMs, seeders, leechers, completed]: compact on disk. */
const Sample = z.tuple([z.number(), z.number().int().min(0), z.number().int().min(0), z.number().int().min(0)]);
const FileSchema = z.object({ version: z.literal(1), torrents: z.record(z.string(), z.array(Sample)) });

type Row = [number, number, number, number];

export async function openScrapeHistory(stateDir: string, options: HistoryOptions): Promise<ScrapeHistory & { warning: string | null }> {
  const path = join(stateDir, HISTORY_FILE);
  const rows = new Map<InfoHash, Row[]>();
  let warning: string | null = null;
  try {
    const parsed = FileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')));
    if (parsed.success) {
      for (const [key, samples] of Object.entries(parsed.data.torrents)) {
        const hash = parseInfoHash(key);
        if (hash !== null)
          rows.set(
            hash,
            samples.map((s) => [...s] as Row),
          );
      }
    } else {
      warning = `${path} is not a scrape history; starting a new one`;
    }
  } catch (error) {
    const missing = error instanceof Error && 'code' in error && error.code === 'ENOENT';
    if (!missing) warning = `${path} could not be read (${error instanceof Error ? error.message : String(error)}); starting a new one`;
  }
  const history = createHistory(rows, options, async (data) => {
    await mkdir(stateDir, { recursive: true, mode: 0o700 });
    const tmp = `${path}.${process.pid}.tmp`;
    await writeFile(tmp, data, { mode: 0o600 });
    await rename(tmp, path);
  });
  return Object.assign(history, { warning });
}

/** A history kept in memory only (tests, dry runs). */
export function createMemoryHistory(options: HistoryOptions): ScrapeHistory {
  return createHistory(new Map(), options, async () => undefined);
}

function createHistory(rows: Map<InfoHash, Row[]>, options: HistoryOptions, write: (data: string) => Promise<void>): ScrapeHistory {
  let dirty = false;
  return {
    get size() {
      return rows.size;
    },
    record(infoHash, counts) {
      const { completed } = counts;
      if (
        completed === null ||
        !isCount(completed) ||
        !isCount(counts.seeders) ||
        !isCount(counts.leechers) ||
        !Number.isFinite(counts.observedAtMs)
      )
        return;
      const list = rows.get(infoHash) ?? [];
      const last = list[list.length - 1];
      if (last !== undefined && counts.observedAtMs <= last[0]) return;
      list.push([counts.observedAtMs, counts.seeders, counts.leechers, completed]);
      if (list.length > options.maxSamples) list.splice(0, list.length - options.maxSamples);
      rows.set(infoHash, list);
      dirty = true;
    },
    samples(infoHash) {
      return (rows.get(infoHash) ?? []).map(([atMs, seeders, leechers, completed]) => ({ atMs, seeders, leechers, completed }));
    },
    prune(keep, nowMs) {
      for (const [hash, list] of rows) {
        const recent = list.filter((r) => nowMs - r[0] <= options.maxAgeMs);
        if (!keep.has(hash) || recent.length === 0) {
          rows.delete(hash);
          dirty = true;
        } else if (recent.length !== list.length) {
          rows.set(hash, recent);
          dirty = true;
        }
      }
    },
    async save() {
      if (!dirty) return;
      const torrents: Record<string, Row[]> = {};
      for (const [hash, list] of rows) torrents[hash] = list;
      await write(JSON.stringify({ version: 1, torrents }));
      dirty = false;
    },
  };
}

function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
