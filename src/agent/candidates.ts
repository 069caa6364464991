/**
 * Pure: turns feed snapshots, the daemon's list and scrape results into the planner's inputs.
 * The same info-hash in several feeds is one candidate listed by all of them.
 */
import type { DaemonTorrent } from '../daemon/index.js';
import type { FeedItem } from '../feeds/index.js';
import type { Candidate, HeldTorrent } from '../plan/index.js';
import type { InfoHash } from '../shared/index.js';
import { countsFromTrackerStats, pickCounts } from '../swarm/index.js';
import type { SwarmCounts } from '../swarm/index.js';
import type { OwnedRecord } from './state.js';
import type { FeedSnapshot, TorrentSummary } from './sources.js';

export interface MergedItem {
  infoHash: InfoHash;
  /** The first feed's item (feeds are listed in policy order). */
  item: FeedItem;
  /** Which feed's item we use for fetching the .torrent (its cookie). */
  primaryFeedId: string;
  feedIds: string[];
  trackers: string[];
  /** The feed counts with the most seeders, if any feed counts. */
  feedCounts: SwarmCounts | null;
}

export function mergeFeedItems(snapshots: readonly FeedSnapshot[], banned: ReadonlySet<InfoHash>): Map<InfoHash, MergedItem> {
  const merged = new Map<InfoHash, MergedItem>();
  for (const snapshot of snapshots) {
    for (const item of snapshot.items) {
      if (banned.has(item.infoHash)) continue;
      const existing = merged.get(item.infoHash);
      if (existing === undefined) {
        merged.set(item.infoHash, {
          infoHash: item.infoHash,
          item,
          primaryFeedId: snapshot.feedId,
          feedIds: [snapshot.feedId],
          trackers: [...item.trackers],
          feedCounts: item.counts,
        });
        continue;
      }
      if (!existing.feedIds.includes(snapshot.feedId)) existing.feedIds.push(snapshot.feedId);
      for (const t of item.trackers) if (!existing.trackers.includes(t)) existing.trackers.push(t);
      if (item.counts !== null && (existing.feedCounts === null || item.counts.seeders > existing.feedCounts.seeders)) {
        existing.feedCounts = item.counts;
      }
      if (existing.item.sizeBytes === null && item.sizeBytes !== null) existing.item = { ...existing.item, sizeBytes: item.sizeBytes };
    }
  }
  return merged;
}

export function buildCandidates(input: {
  merged: ReadonlyMap<InfoHash, MergedItem>;
  torrents: ReadonlyMap<InfoHash, DaemonTorrent>;
  scraped: ReadonlyMap<InfoHash, SwarmCounts>;
  cachedTorrent: (hash: InfoHash) => TorrentSummary | undefined;
  nowMs: number;
  maxCountAgeMs: number;
  /** Why the volunteer's feed filters turn an item away, if they do. */
  filteredOut?: (m: MergedItem) => string | undefined;
}): Candidate[] {
  const candidates: Candidate[] = [];
  for (const m of input.merged.values()) {
    const held = input.torrents.get(m.infoHash);
    const daemonCounts = held === undefined ? null : countsFromTrackerStats(held.trackerStats, input.nowMs);
    const counts = pickCounts(
      { daemon: daemonCounts, scrape: input.scraped.get(m.infoHash) ?? null, feed: m.feedCounts },
      { nowMs: input.nowMs, maxAgeMs: input.maxCountAgeMs },
    );
    const cached = input.cachedTorrent(m.infoHash);
    const sizeBytes = held?.sizeWhenDoneBytes || cached?.totalSizeBytes || m.item.sizeBytes;
    candidates.push({
      infoHash: m.infoHash,
      // One name everywhere (plan, status, dashboard, logs): the feed's title, which the owner
      // recognises; the .torrent's or the daemon's name only when the feed gives none.
      name: m.item.name.trim() !== '' ? m.item.name : (cached?.name ?? held?.name ?? m.item.name),
      sizeBytes: sizeBytes ?? null,
      feedIds: m.feedIds,
      counts,
      ...(cached?.webSeeds === undefined || cached.webSeeds === 0 ? {} : { webSeeds: cached.webSeeds }),
    });
    const filteredOut = held === undefined ? input.filteredOut?.(m) : undefined;
    if (filteredOut !== undefined) (candidates[candidates.length - 1] as Candidate).filteredOut = filteredOut;
  }
  return candidates;
}

export function buildHeld(input: {
  torrents: readonly DaemonTorrent[];
  owned: ReadonlySet<InfoHash>;
  records: ReadonlyMap<InfoHash, OwnedRecord>;
  pins: ReadonlySet<InfoHash>;
  bans?: ReadonlySet<InfoHash>;
  /** Torrents whose data is on another filesystem than the download directory's. */
  offDownloadFs?: ReadonlySet<InfoHash>;
  /** Bytes incomplete torrents will still take from free space (allocation.ts). */
  unallocated?: ReadonlyMap<InfoHash, number>;
}): HeldTorrent[] {
  return input.torrents.map((t) => {
    const record = input.records.get(t.infoHash);
    const isOwned = input.owned.has(t.infoHash);
    return {
      infoHash: t.infoHash,
      // An owned torrent keeps the name it was added under (the feed's title), also once no
      // feed lists it: the daemon's name is the .torrent's, often a file name.
      name: isOwned && record !== undefined && record.name.trim() !== '' ? record.name : t.name,
      sizeBytes: t.sizeWhenDoneBytes,
      leftUntilDoneBytes: t.leftUntilDoneBytes,
      ...unallocatedOf(input.unallocated, t.infoHash),
      onDownloadFilesystem: !(input.offDownloadFs?.has(t.infoHash) ?? false),
      isOwned,
      addedAtMs: record?.intentAtMs ?? t.addedDate * 1000,
      pinned: isOwned && input.pins.has(t.infoHash),
      banned: isOwned && (input.bans?.has(t.infoHash) ?? false),
      feedIds: record?.feedIds ?? [],
    };
  });
}

function unallocatedOf(unallocated: ReadonlyMap<InfoHash, number> | undefined, hash: InfoHash): { unallocatedBytes?: number } {
  const bytes = unallocated?.get(hash);
  return bytes === undefined ? {} : { unallocatedBytes: bytes };
}
