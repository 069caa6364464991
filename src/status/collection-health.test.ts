import { describe, expect, it } from 'vitest';
import { computeCollectionHealth, describeFeedHealth, type HealthInput } from './collection-health.js';
import { formatStatusText } from './status-text.js';
import { aMirrorView, aStatus, T0_MS } from './testing.js';

const GB = 1_000_000_000;
const item = (feedId: string | null, sizeBytes: number | null, seeders: number | null): HealthInput => ({
  feedId,
  sizeBytes,
  counts: seeders === null ? null : { seeders, leechers: 0, completed: null, source: 'scrape', observedAtMs: T0_MS, origin: 'feed' },
});

describe('collection health', () => {
  it('counts torrents and bytes at or above the target, at zero and not yet counted, per feed', () => {
    const health = computeCollectionHealth(
      [
        item('b', GB, 5),
        item('a', 3 * GB, 7),
        item('a', GB, 4),
        item('a', 2 * GB, 0),
        item('a', null, 9),
        item('a', GB, null),
        item(null, GB, 0),
      ],
      5,
    );
    expect(health).toEqual([
      {
        feedId: 'a',
        targetSeeders: 5,
        torrents: 5,
        bytes: 7 * GB,
        atTargetTorrents: 2,
        atTargetBytes: 3 * GB,
        zeroSeederTorrents: 1,
        unknownTorrents: 1,
      },
      {
        feedId: 'b',
        targetSeeders: 5,
        torrents: 1,
        bytes: GB,
        atTargetTorrents: 1,
        atTargetBytes: GB,
        zeroSeederTorrents: 0,
        unknownTorrents: 0,
      },
    ]);
  });

  it('reads the same in status as in words', () => {
    const [a] = computeCollectionHealth([item('a', 3 * GB, 5), item('a', GB, 0)], 5);
    if (a === undefined) throw new Error('no row');
    expect(describeFeedHealth(a)).toBe('50% of 2 torrents and 75% of 4 GB at >= 5 seeders; 1 at zero');
    const text = formatStatusText(aStatus({ mirror: aMirrorView({}, { health: [a] }) }), { nowMs: T0_MS });
    expect(text).toContain(`collection health (this node's view of the swarms):\n  a: ${describeFeedHealth(a)}`);
  });
});
