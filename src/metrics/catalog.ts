/**
 * Pure: what the metrics are called and how their label sets stay bounded. Names follow the
 * Prometheus conventions (https://prometheus.io/docs/practices/naming/): one `smartnode_`
 * prefix, base units in the name (`_bytes`, `_seconds`), `_total` on counters, `_info` for a
 * constant 1 carrying labels. No label ever holds a torrent's name; the per-torrent series
 * (opt-in) are labelled by info hash and capped.
 */
import type { OwnedTorrentView } from '../agent/index.js';

export const METRIC_PREFIX = 'smartnode_';

/** Every smartnode series, with its help text: the README's table is this list. */
export const METRICS = {
  buildInfo: ['smartnode_build_info', "Constant 1; labels carry the agent's version and node id."],
  ownedTorrents: ['smartnode_owned_torrents', 'Torrents the agent owns, by daemon state.'],
  ownedBytes: ['smartnode_owned_bytes', 'Size of the torrents the agent owns, by daemon state.'],
  ownedUploaded: ['smartnode_owned_uploaded_bytes', 'Bytes uploaded, ever, by the torrents owned now.'],
  uploadedTotal: ['smartnode_uploaded_bytes_total', "Bytes the agent's own torrents uploaded while this agent watched them."],
  downloadedTotal: ['smartnode_downloaded_bytes_total', "Bytes the agent's own torrents downloaded while this agent watched them."],
  budget: ['smartnode_budget_bytes', 'What the mirror may hold now (the lower of storage.maxBytes and the disk).'],
  maxBytes: ['smartnode_budget_max_bytes', 'storage.maxBytes of the policy.'],
  committed: ['smartnode_committed_bytes', 'Size of the torrents the plan holds.'],
  diskFree: ['smartnode_disk_free_bytes', 'Free space on the download filesystem, as last reported.'],
  diskReserve: ['smartnode_disk_reserve_bytes', 'storage.minFreeBytes: free space the agent leaves alone.'],
  uploadRate: ['smartnode_upload_rate_bytes_per_second', 'Upload rate of every torrent the daemon holds.'],
  downloadRate: ['smartnode_download_rate_bytes_per_second', 'Download rate of every torrent the daemon holds.'],
  ticks: ['smartnode_ticks_total', 'Reconcile ticks, by result (ok, failed).'],
  tickDuration: ['smartnode_tick_duration_seconds', 'How long a successful tick took.'],
  decisions: ['smartnode_decisions_total', "Adds and removals carried out, by action and the planner's reason code."],
  actionFailures: ['smartnode_action_failures_total', 'Actions that failed, by kind.'],
  feedFetches: ['smartnode_feed_fetches_total', 'Feed fetches, by feed and result (ok, not_modified, failed).'],
  feedFailures: ['smartnode_feed_fetch_failures_total', 'Feed fetches that failed, by feed.'],
  feedItems: ['smartnode_feed_items', 'Items in the last good copy of each feed.'],
  scrapeRequests: ['smartnode_scrape_requests_total', 'Scrape rounds sent, by tracker host.'],
  scrapeFailures: ['smartnode_scrape_failures_total', 'Scrapes that failed, by tracker host.'],
  scrapeRateLimited: ['smartnode_scrape_rate_limited_total', 'Scrapes answered 429 Too Many Requests, by tracker host.'],
  integrity: ['smartnode_integrity_checks_total', 'Integrity findings, by verdict (VERIFIED, CORRUPT, DATA_VANISHED, ...).'],
  daemonUp: ['smartnode_daemon_up', '1 when the last contact with transmission-daemon succeeded, 0 when it failed.'],
  daemonInfo: ['smartnode_daemon_info', "Constant 1; labels carry transmission-daemon's version and RPC version."],
  collectionTorrents: ['smartnode_collection_torrents', 'Torrents each feed lists.'],
  collectionBytes: ['smartnode_collection_bytes', 'Known size of the torrents each feed lists.'],
  collectionTarget: ['smartnode_collection_target_seeders', 'The seeder target the collection is measured against.'],
  collectionAtTargetTorrents: ['smartnode_collection_at_target_torrents', 'Torrents of each feed with at least the target in seeders.'],
  collectionAtTargetBytes: ['smartnode_collection_at_target_bytes', 'Bytes of each feed with at least the target in seeders.'],
  collectionZero: ['smartnode_collection_zero_seeder_torrents', 'Torrents of each feed with no seeder at all.'],
  collectionUnknown: ['smartnode_collection_uncounted_torrents', 'Torrents of each feed with no swarm count yet.'],
  torrentSeeders: ['smartnode_torrent_seeders', 'Per-torrent mode: seeders of an owned torrent, by info hash.'],
  torrentSize: ['smartnode_torrent_size_bytes', 'Per-torrent mode: size of an owned torrent, by info hash.'],
  torrentUploaded: ['smartnode_torrent_uploaded_bytes', 'Per-torrent mode: bytes uploaded ever, by info hash.'],
  torrentOmitted: ['smartnode_torrent_series_omitted', 'Owned torrents without per-torrent series (all of them when the mode is off).'],
} as const satisfies Record<string, readonly [string, string]>;

/** The label a value beyond a cap is counted under. */
export const OTHER_LABEL = 'other';

/**
 * A label that admits at most `max` distinct values, in the order first seen; the rest are
 * counted as `other`. Tracker hosts come from feeds, which anyone can write: without a cap
 * one hostile feed could mint a series per host.
 */
export function createLabelCap(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= max) return OTHER_LABEL;
    seen.add(value);
    return value;
  };
}

/** The host (and port) of a tracker URL, already redacted; `invalid` for what is no URL. */
export function trackerHostOf(trackerUrl: string): string {
  if (!URL.canParse(trackerUrl)) return 'invalid';
  return new URL(trackerUrl).host.toLowerCase() || 'invalid';
}

/**
 * Which owned torrents get per-torrent series: at most `max`, the fewest seeders first (the
 * ones an operator watches), unknown counts after them, ties by info hash so the set is stable.
 */
export function selectPerTorrent(owned: readonly OwnedTorrentView[], max: number): { rows: OwnedTorrentView[]; omitted: number } {
  const rank = (o: OwnedTorrentView): number => o.seeders ?? Number.POSITIVE_INFINITY;
  const sorted = [...owned].sort((a, b) => rank(a) - rank(b) || (a.infoHash < b.infoHash ? -1 : a.infoHash > b.infoHash ? 1 : 0));
  const rows = sorted.slice(0, Math.max(0, max));
  return { rows, omitted: owned.length - rows.length };
}

/** Daemon states as labels: Transmission's words, lower case, spaces as `_`. */
export function stateLabel(status: string): string {
  return status.toLowerCase().replace(/[^a-z0-9]+/g, '_') || 'unknown';
}
