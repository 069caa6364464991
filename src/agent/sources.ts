/**
 * The agent's view of the outside world besides the daemon: feeds, swarm counts and .torrent
 * files. The tick depends on these interfaces only; live-sources.ts and torrent-source.ts build them from the feeds
 * and swarm domains (HTTP, scrape), and tests can build them the same way against real servers.
 */
import type { FeedItem } from '../feeds/index.js';
import type { InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/index.js';

export interface FeedSnapshot {
  feedId: string;
  /** The last good items (kept when a fetch fails). */
  items: FeedItem[];
}

export interface FeedSource {
  /** Refreshes the feeds that are due (emitting events) and returns every feed's last good items. */
  readFeeds(nowMs: number): Promise<FeedSnapshot[]>;
}

export interface CountRequest {
  infoHash: InfoHash;
  trackers: string[];
}

export interface CountSource {
  /**
   * The swarm counts known for the hashes, each with its age; the hashes are the ones to keep
   * counted. The live source counts in the background and answers at once: a tick never waits.
   */
  readCounts(requests: readonly CountRequest[], nowMs: number): Promise<Map<InfoHash, SwarmCounts>>;
}

export interface TorrentSummary {
  infoHash: InfoHash;
  name: string;
  totalSizeBytes: number;
  trackers: string[];
  /** Web seeds the .torrent names (BEP 19, BEP 17): sources besides the swarm's seeders. */
  webSeeds?: number;
  /** The .torrent's creation date (ms), when it has one: a feed filter's minimum age reads it. */
  createdAtMs?: number | null;
}

export interface TorrentFile extends TorrentSummary {
  metainfo: Uint8Array;
}

export interface TorrentSource {
  /**
   * The verified .torrent for an item (cached): fetched with the feed's cookie, size-capped,
   * parsed, and checked against the feed's info-hash. Throws SmartnodeError.
   */
  readTorrent(item: FeedItem, feedId: string): Promise<TorrentFile>;
  /** What a fetched .torrent said (name, size, trackers), without IO. */
  cached(infoHash: InfoHash): TorrentSummary | undefined;
  /** Why this torrent's .torrent was refused recently (bad hash, hostile), if it was. */
  refusal(infoHash: InfoHash): string | undefined;
}
