/**
 * Pure: the health of each feed's collection from this node's view. For every torrent a feed
 * lists (held or not), the seeder count the planner scored with (this node's own copy
 * included): how many torrents, and how many bytes, have at least the target, and how many
 * have no seeder at all. Many nodes on the same feed see the same swarms, so an operator can
 * average these over a fleet with one PromQL query.
 */
import type { FeedHealthView } from '../agent/index.js';
import type { Decision } from '../plan/index.js';
import { formatBytes, formatPercent } from '../shared/index.js';

export type HealthInput = Pick<Decision, 'feedId' | 'sizeBytes' | 'counts'>;

export function computeCollectionHealth(decisions: readonly HealthInput[], targetSeeders: number): FeedHealthView[] {
  const byFeed = new Map<string, FeedHealthView>();
  for (const d of decisions) {
    if (d.feedId === null) continue;
    let row = byFeed.get(d.feedId);
    if (row === undefined) {
      row = {
        feedId: d.feedId,
        targetSeeders,
        torrents: 0,
        bytes: 0,
        atTargetTorrents: 0,
        atTargetBytes: 0,
        zeroSeederTorrents: 0,
        unknownTorrents: 0,
      };
      byFeed.set(d.feedId, row);
    }
    const bytes = d.sizeBytes ?? 0;
    row.torrents++;
    row.bytes += bytes;
    const seeders = d.counts?.seeders ?? null;
    if (seeders === null) row.unknownTorrents++;
    else if (seeders === 0) row.zeroSeederTorrents++;
    if (seeders !== null && seeders >= targetSeeders) {
      row.atTargetTorrents++;
      row.atTargetBytes += bytes;
    }
  }
  return [...byFeed.values()].sort((a, b) => (a.feedId < b.feedId ? -1 : a.feedId > b.feedId ? 1 : 0));
}

/** A share in 0..1; 0 for an empty collection (nothing to be at target). */
export function shareOf(part: number, whole: number): number {
  return whole > 0 ? part / whole : 0;
}

/** A feed's health in words (without its id), the same in `status` and the dashboard. */
export function describeFeedHealth(h: FeedHealthView): string {
  const unknown = h.unknownTorrents > 0 ? `, ${h.unknownTorrents} not counted yet` : '';
  return (
    `${formatPercent(shareOf(h.atTargetTorrents, h.torrents))} of ${h.torrents} torrents and ` +
    `${formatPercent(shareOf(h.atTargetBytes, h.bytes))} of ${formatBytes(h.bytes)} at >= ${h.targetSeeders} seeders; ` +
    `${h.zeroSeederTorrents} at zero${unknown}`
  );
}
