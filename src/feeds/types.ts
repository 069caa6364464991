import type { InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/index.js';

export type FeedFormat = 'rss' | 'at-csv' | 'json';

/** One torrent as a feed describes it, after validation at the boundary. */
export interface FeedItem {
  infoHash: InfoHash;
  name: string;
  /** Total size as the feed states it; the .torrent's own size wins once fetched. */
  sizeBytes: number | null;
  /** Where to fetch the .torrent (absolute http(s) URL), if known. */
  torrentUrl: string | null;
  magnetUri: string | null;
  /** Announce URLs the feed reveals (magnet tr=, torrent: namespace, JSON). */
  trackers: string[];
  /** The feed's own swarm counts (source 'feed'), if it carries any. */
  counts: SwarmCounts | null;
  /** ms since epoch. */
  publishedAtMs: number | null;
  /** The feed's category for it (Academic Torrents: Dataset, Course, Paper...), when it says. */
  category?: string;
  /** The feed's description, cut to MAX_DESCRIPTION_LENGTH characters (for the policy's filters). */
  description?: string;
  /** Content digests the feed states (or its .torrent URL implies), checked once the data is complete. */
  digests?: ContentDigests | null;
}

export type DigestAlgorithm = 'md5' | 'sha1' | 'sha256';
/** Lowercase hex digests by algorithm; at least one is present. */
export type DigestSet = Partial<Record<DigestAlgorithm, string>>;

/**
 * What a feed says the data hashes to. `content` is the digest of the torrent's files
 * concatenated in the torrent's order (the byte stream v1 pieces cover): for a single-file
 * torrent, the file's own digest. `files` are per file, by path inside the torrent's folder.
 */
export interface ContentDigests {
  content: DigestSet;
  files: { path: string; digests: DigestSet }[];
  /** 'feed': item fields; 'torrent-name': owmeta's convention, a .torrent named by the MD5 of its one file. */
  source: 'feed' | 'torrent-name';
}

export interface FeedWarning {
  /** Position of the item in the feed (0-based), or -1 for the feed as a whole. */
  index: number;
  message: string;
}

export interface ParsedFeed {
  format: FeedFormat;
  items: FeedItem[];
  /** Items dropped (bad info-hash, missing name, ...), one warning each. */
  warnings: FeedWarning[];
}

/** What `parseFeed` needs besides the text. `nowMs` stamps feed counts that carry no date. */
export interface ParseFeedOptions {
  format: FeedFormat;
  /** Stable id of the feed (policy name); becomes SwarmCounts.origin for feed counts. */
  feedId: string;
  /** The URL the text came from: relative links and AT's /download/<hash>.torrent resolve against it. */
  feedUrl: string;
  nowMs: number;
  /**
   * More valid items than this and the feed is refused (FEED_TOO_LARGE) as soon as the next
   * one is read: every item becomes a candidate the agent weighs each tick, so the count bounds
   * the agent's memory the way the byte cap bounds the download. None: no limit.
   */
  maxItems?: number;
}

/** One file of a torrent, path segments as stored (validated: no '..', no '/', no NUL). */
export interface TorrentFileEntry {
  path: string[];
  lengthBytes: number;
}

/** What smartnode needs from a .torrent (BEP 3 metainfo), after validation. */
export interface TorrentMeta {
  /** SHA-1 of the exact raw bytes of the `info` dict. */
  infoHash: InfoHash;
  name: string;
  totalSizeBytes: number;
  files: TorrentFileEntry[];
  pieceLengthBytes: number;
  pieceCount: number;
  /** `announce` then every tier of `announce-list` (BEP 12), deduplicated, in order. */
  trackers: string[];
  /** Web seeds: BEP 19 `url-list` and BEP 17 `httpseeds` (http and https URLs). */
  webSeeds: string[];
  /** BEP 27 `private=1`. */
  isPrivate: boolean;
  /** The `creation date` (unix seconds, as ms), when the file has a plausible one. */
  createdAtMs: number | null;
}
