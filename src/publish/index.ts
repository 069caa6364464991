/** The publish domain: turn a dataset into a seeded torrent and a feed other smartnodes read. */
export { publishedRecordSchema, type PublishedRecord } from './record.js';
export { scanDataset, type DatasetFile, type ScannedDataset } from './scan.js';
export { choosePieceLength, estimateTorrentBytes, makeTorrent, type MadeTorrent, type MakeTorrentOptions } from './make-torrent.js';
export {
  FEED_JSON,
  FEED_XML,
  TORRENTS_DIR,
  renderJsonFeed,
  renderRssFeed,
  torrentLink,
  writeAtomic,
  writeFeedFiles,
  type FeedMeta,
} from './feed-file.js';
export { publishDataset, withdrawDataset, type PublishDeps, type PublishSettings, type PublishStore } from './publish.js';
