import type { InfoHash } from '../shared/index.js';

/** Where a swarm count came from, freshest first: daemon trackerStats, a scrape, the feed. */
export type CountSourceKind = 'daemon' | 'scrape' | 'feed';

export interface SwarmCounts {
  /** Complete peers. */
  seeders: number;
  /** Incomplete peers. */
  leechers: number;
  /** Completed downloads ever, when known. */
  completed: number | null;
  source: CountSourceKind;
  /** When the count was observed (ms since epoch); its age is now - observedAtMs. */
  observedAtMs: number;
  /** The tracker (redacted URL) or feed id the count came from. */
  origin: string;
}

export interface ScrapeResult {
  infoHash: InfoHash;
  counts: SwarmCounts;
}

/** What one tracker said about one torrent in one scrape (before merging across trackers). */
export interface TrackerScrapeCounts {
  /** BEP 48 `complete`. */
  seeders: number;
  /** BEP 48 `incomplete`. */
  leechers: number;
  /** BEP 48 `downloaded`, when the tracker sent it. */
  completed: number | null;
}

/**
 * One tracker's answer to one scrape request: counts by hash (a hash the tracker did not
 * mention is absent), or why this tracker cannot be scraped at all.
 */
export type TrackerScrapeReply = { kind: 'counts'; counts: Map<InfoHash, TrackerScrapeCounts> } | { kind: 'unsupported'; reason: string };
