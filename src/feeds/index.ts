/** The feeds domain: fetch feeds and .torrent files (IO), parse them into domain types (pure). */
export type {
  ContentDigests,
  DigestAlgorithm,
  DigestSet,
  FeedFormat,
  FeedItem,
  FeedWarning,
  ParsedFeed,
  ParseFeedOptions,
  TorrentFileEntry,
  TorrentMeta,
} from './types.js';
export { createFeedParser, detectFeedFormat, parseFeed, type FeedStreamParser } from './parse.js';
export { parseRssFeed } from './rss.js';
export { RSS_WHOLE_DOCUMENT_MAX_CHARS } from './rss-stream.js';
export {
  createAtCsvParser,
  CsvSplitter,
  parseAtCollectionCsv,
  parseCsv,
  type CsvParseResult,
  type CsvRow,
  type CsvRowView,
} from './csv.js';
export { createJsonListParser, parseJsonTorrentList } from './json.js';
export { MAX_ITEM_SIZE_BYTES } from './item.js';
export {
  feedTextDecoder,
  fetchFeed,
  fetchFeedStream,
  fetchTorrentFile,
  type FeedAnswerHead,
  type FetchFeedOptions,
  type FetchFeedResult,
  type FetchFeedStreamResult,
  type FetchTorrentOptions,
} from './fetch.js';
export { FeedCache, type FeedRefreshOptions, type FeedRefreshResult, type FeedSpec } from './feed-cache.js';
export { parseTorrentFile, verifyTorrentForItem, type ParseTorrentOptions } from './torrent.js';
export { DIGEST_ALGORITHMS, DIGEST_HEX_LENGTH, md5FromTorrentName, readDigests } from './digests.js';
