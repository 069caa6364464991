import { describe, expect, it } from 'vitest';
import type { FeedItem } from '../feeds/index.js';
import { parseInfoHash, type InfoHash } from '../shared/index.js';
import { buildCandidates, mergeFeedItems } from './candidates.js';

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
