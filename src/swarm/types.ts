import type { InfoHash } from '../shared/index.js';

/** Where a swarm count came from, freshest first: daemon trackerStats, a scrape, the feed. */
export type CountSource = 'daemon' | 'scrape' | 'feed';

export interface SwarmCounts {
  /** Complete peers. */
  seeders: number;
  /** Incomplete peers. */
  leechers: number;
  /** Completed downloads ever, when known. */
  completed: number | null;
  source: CountSource;
  /** When the count was observed (ms since epoch); its age is now - observedAtMs. */
  observedAtMs: number;
  /** The tracker (redacted URL) or feed id the count came from. */
  origin: string;
}

export interface ScrapeResult {
  infoHash: InfoHash;
  counts: SwarmCounts;
}
