/**
 * An Observation from what one node knows, pure: the feed's items with their counts and the
 * torrents this node holds. For driving the decision outside the agent (a model of a swarm,
 * the simulator); the agent's own observe() reads the same things from a daemon and the web.
 */
import type { DaemonTorrent } from '../daemon/index.js';
import type { FeedItem } from '../feeds/index.js';
import type { InfoHash } from '../shared/index.js';
import { buildCandidates, mergeFeedItems } from './candidates.js';
import { reconcileOwnership, torrentDownloadDir } from './ownership.js';
import type { OwnedRecord } from './state.js';
import type { Observation, ObservedSignals } from './tick-types.js';

export interface HeldView {
  infoHash: InfoHash;
  name: string;
  sizeBytes: number;
  /** Bytes still to download (0 once complete). */
  leftBytes: number;
  addedAtMs: number;
  feedIds: string[];
}

export interface NodeView {
  nodeId: string;
  nowMs: number;
  /** As in the node's AgentConfig. */
  downloadDir: string;
  label: string;
  /** Every feed's items, in policy order; an item's `counts` are what the node's scrape says. */
  feeds: ReadonlyArray<{ feedId: string; items: readonly FeedItem[] }>;
  held: readonly HeldView[];
  diskFreeBytes: number | null;
  /** Counts older than this lose to fresher sources (AgentConfig.maxCountAgeMs). */
  maxCountAgeMs: number;
  signals?: ObservedSignals;
  /** Web seeds per torrent, as its .torrent names them (absent: none). */
  webSeeds?: ReadonlyMap<InfoHash, number>;
}

export function observationOf(view: NodeView): Observation {
  const torrents: DaemonTorrent[] = view.held.map((h) => ({
    infoHash: h.infoHash,
    name: h.name,
    status: h.leftBytes > 0 ? 'downloading' : 'seeding',
    percentDone: h.sizeBytes > 0 ? 1 - h.leftBytes / h.sizeBytes : 1,
    sizeWhenDoneBytes: h.sizeBytes,
    leftUntilDoneBytes: h.leftBytes,
    rateDownloadBytesPerSec: 0,
    rateUploadBytesPerSec: 0,
    uploadedEverBytes: 0,
    downloadedEverBytes: h.sizeBytes - h.leftBytes,
    peersConnected: 0,
    labels: [view.label],
    downloadDir: torrentDownloadDir(view.downloadDir, h.infoHash),
    addedDate: Math.floor(h.addedAtMs / 1000),
    doneDate: 0,
    secondsSeeding: 0,
    error: 0,
    errorString: '',
    trackerStats: [],
  }));
  const records: OwnedRecord[] = view.held.map((h) => ({
    infoHash: h.infoHash,
    name: h.name,
    sizeBytes: h.sizeBytes,
    feedIds: h.feedIds,
    phase: 'owned',
    intentAtMs: h.addedAtMs,
    downloadDir: torrentDownloadDir(view.downloadDir, h.infoHash),
  }));
  const byHash = new Map(torrents.map((t) => [t.infoHash, t]));
  const merged = mergeFeedItems(
    view.feeds.map((f) => ({ feedId: f.feedId, items: [...f.items] })),
    new Set(),
  );
  const candidates = buildCandidates({
    merged,
    torrents: byHash,
    scraped: new Map(),
    nowMs: view.nowMs,
    maxCountAgeMs: view.maxCountAgeMs,
    cachedTorrent: (hash) => {
      const webSeeds = view.webSeeds?.get(hash);
      const m = merged.get(hash);
      return webSeeds === undefined || m === undefined
        ? undefined
        : { infoHash: hash, name: m.item.name, totalSizeBytes: m.item.sizeBytes ?? 0, trackers: [], webSeeds };
    },
  });
  return {
    nowMs: view.nowMs,
    nodeId: view.nodeId,
    torrents,
    records,
    ownership: reconcileOwnership({ records, torrents, label: view.label, downloadDir: view.downloadDir }),
    pins: new Set(),
    bans: new Set(),
    merged,
    candidates,
    signals: view.signals ?? { signals: new Map(), selfCountry: null },
    diskFreeBytes: view.diskFreeBytes,
    offDownloadFs: new Set(),
    integrity: null,
    donated: null,
    memo: { daemonVersion: null, trackerStatsAtMs: Number.NEGATIVE_INFINITY, trackerStats: new Map() },
  };
}
