/** The feeds domain: fetch feeds and .torrent files (IO), parse them into domain types (pure). */
export type {
  ContentDigests, DigestAlgorithm, DigestSet, FeedFormat, FeedItem, FeedWarning, ParsedFeed, ParseFeedOptions, TorrentFileEntry, TorrentMeta,
} from './types.js';
export { detectFeedFormat, parseFeed } from './parse.js';
export { parseRssFeed } from './rss.js';
export { parseAtCollectionCsv, parseCsv, type CsvParseResult, type CsvRow } from './csv.js';
export { parseJsonTorrentList } from './json.js';
export { MAX_ITEM_SIZE_BYTES } from './item.js';
export {
  fetchFeed, fetchTorrentFile,
  type FetchFeedOptions, type FetchFeedResult, type FetchImpl, type FetchTorrentOptions,
} from './fetch.js';
export { FeedCache, type FeedRefreshOptions, type FeedRefreshResult, type FeedSource } from './feed-cache.js';
export { parseTorrentFile, verifyTorrentForItem, type ParseTorrentOptions } from './torrent.js';
export { DIGEST_ALGORITHMS, DIGEST_HEX_LENGTH, md5FromTorrentName, readDigests } from './digests.js';
