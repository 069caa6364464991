import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toInfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/index.js';
import { HISTORY_FILE, createMemoryHistory, openScrapeHistory } from './history.js';

const H = toInfoHash('c'.repeat(40));
const HOUR = 3_600_000;
const counts = (atMs: number, completed: number | null, leechers = 4): SwarmCounts => ({
  seeders: 1,
  leechers,
  completed,
  source: 'scrape',
  observedAtMs: atMs,
  origin: 't',
});
const options = { maxSamples: 3, maxAgeMs: 10 * HOUR };

describe('scrape history', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });
  const dir = async (): Promise<string> => {
    const d = await mkdtemp(join(tmpdir(), 'sn-history-'));
    dirs.push(d);
    return d;
  };

  it('records new observations with `downloaded` only, keeps the newest few', () => {
    const h = createMemoryHistory(options);
    h.record(H, counts(1 * HOUR, 10));
    h.record(H, counts(1 * HOUR, 11)); // same observation time: not new
    h.record(H, counts(2 * HOUR, null)); // no downloaded count
    h.record(H, counts(3 * HOUR, 12));
    h.record(H, counts(4 * HOUR, 13));
    h.record(H, counts(5 * HOUR, 14));
    expect(h.samples(H).map((s) => s.completed)).toEqual([12, 13, 14]);
    h.record(H, { ...counts(6 * HOUR, 15), seeders: -1 });
    expect(h.samples(H)).toHaveLength(3);
  });

  it('prunes torrents no feed lists and samples past their age', () => {
    const h = createMemoryHistory(options);
    h.record(H, counts(0, 1));
    h.record(H, counts(9 * HOUR, 2));
    h.prune(new Set([H]), 11 * HOUR);
    expect(h.samples(H).map((s) => s.completed)).toEqual([2]);
    h.prune(new Set(), 11 * HOUR);
    expect(h.size).toBe(0);
  });

  it('survives a restart through an atomic file in the state dir, written only when changed', async () => {
    const d = await dir();
    const h = await openScrapeHistory(d, options);
    expect(h.warning).toBeNull();
    h.record(H, counts(HOUR, 7));
    await h.save();
    const again = await openScrapeHistory(d, options);
    expect(again.samples(H)).toEqual([{ atMs: HOUR, seeders: 1, leechers: 4, completed: 7 }]);
    expect((await readdir(d)).sort()).toEqual([HISTORY_FILE]);
    const before = await readFile(join(d, HISTORY_FILE), 'utf8');
    await again.save();
    expect(await readFile(join(d, HISTORY_FILE), 'utf8')).toBe(before);
  });

  it('starts afresh, with a warning, from a corrupt file', async () => {
    const d = await dir();
    await writeFile(join(d, HISTORY_FILE), '{"version":1,"torrents":{"x":[[1,-5,0,0]]}');
    const h = await openScrapeHistory(d, options);
    expect(h.warning).toMatch(/could not be read|not a scrape history/);
    expect(h.size).toBe(0);
    await writeFile(join(d, HISTORY_FILE), JSON.stringify({ version: 1, torrents: { [H]: [[1, -5, 0, 0]] } }));
    expect((await openScrapeHistory(d, options)).warning).toMatch(/not a scrape history/);
  });
});
