import { describe, expect, it } from 'vitest';
import type { FeedItem } from '../feeds/index.js';
import { parseInfoHash, type InfoHash } from '../shared/index.js';
import type { DaemonTorrent } from '../daemon/index.js';
import { buildCandidates, buildHeld, mergeFeedItems } from './candidates.js';

const HASH = parseInfoHash('a'.repeat(40)) as InfoHash;
const item = (name: string): FeedItem => ({
  infoHash: HASH,
  name,
  sizeBytes: 8e6,
  torrentUrl: null,
  magnetUri: null,
  trackers: [],
  counts: null,
  publishedAtMs: null,
});

function nameOf(feedTitle: string): string | undefined {
  const merged = mergeFeedItems([{ feedId: 'f', items: [item(feedTitle)] }], new Set());
  const [candidate] = buildCandidates({
    merged,
    torrents: new Map(),
    scraped: new Map(),
    cachedTorrent: () => ({ infoHash: HASH, name: 'ocean_temps_2020.tar', totalSizeBytes: 8e6, trackers: [] }),
    nowMs: 0,
    maxCountAgeMs: 1,
  });
  return candidate?.name;
}

describe('a candidate has one name', () => {
  it("is the feed's title, whether or not its .torrent was fetched (the .torrent's name only when the feed has none)", () => {
    expect(nameOf('Ocean temperatures 2020')).toBe('Ocean temperatures 2020');
    expect(nameOf('')).toBe('ocean_temps_2020.tar');
  });
});

describe('a held torrent has one name', () => {
  const torrent = {
    infoHash: HASH,
    name: 'ocean_temps_2020.tar',
    sizeWhenDoneBytes: 8e6,
    leftUntilDoneBytes: 0,
    addedDate: 0,
  } as DaemonTorrent;
  const record = {
    infoHash: HASH,
    name: 'Ocean temperatures 2020',
    sizeBytes: 8e6,
    feedIds: ['f'],
    phase: 'owned' as const,
    intentAtMs: 0,
    downloadDir: '/srv/mirror',
  };
  const heldName = (owned: boolean): string | undefined =>
    buildHeld({
      torrents: [torrent],
      owned: new Set(owned ? [HASH] : []),
      records: new Map(owned ? [[HASH, record]] : []),
      pins: new Set(),
    })[0]?.name;

  it("is the name ours was added under (the feed title) even when no feed lists it; the daemon name for the owner's own", () => {
    expect(heldName(true)).toBe('Ocean temperatures 2020');
    expect(heldName(false)).toBe('ocean_temps_2020.tar');
  });
});
