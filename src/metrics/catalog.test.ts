import { describe, expect, it } from 'vitest';
import type { OwnedTorrentView } from '../agent/index.js';
import { METRICS, createLabelCap, selectPerTorrent, stateLabel, trackerHostOf } from './catalog.js';

describe('metric names', () => {
  const names = Object.values(METRICS).map(([name]) => name);

  it('follow the Prometheus conventions: one prefix, snake case, base units, unique', () => {
    for (const name of names) {
      expect(name).toMatch(/^smartnode_[a-z0-9_]+$/);
      expect(name).not.toMatch(/_(ms|milliseconds|kb|mb|gb|bytes_total_bytes)(_|$)/);
    }
    expect(new Set(names).size).toBe(names.length);
  });

  it('end counters in _total and nothing else', () => {
    const counters = [
      'ticks',
      'decisions',
      'actionFailures',
      'feedFetches',
      'feedFailures',
      'scrapeRequests',
      'scrapeFailures',
      'scrapeRateLimited',
      'integrity',
      'uploadedTotal',
      'downloadedTotal',
    ] as const;
    for (const key of counters) expect(METRICS[key][0]).toMatch(/_total$/);
    const others = Object.entries(METRICS).filter(([key]) => !(counters as readonly string[]).includes(key));
    for (const [, [name]] of others) expect(name).not.toMatch(/_total$/);
  });
});

describe('bounded labels', () => {
  it('admits at most max distinct values, the rest as other, and keeps admitted ones', () => {
    const cap = createLabelCap(2);
    expect(['a', 'b', 'c', 'a', 'd', 'b'].map(cap)).toEqual(['a', 'b', 'other', 'a', 'other', 'b']);
  });

  it('takes a tracker host without path or passkey', () => {
    expect(trackerHostOf('https://Tracker.example:8443/abcdef0123/announce')).toBe('tracker.example:8443');
    expect(trackerHostOf('udp://t.example:6969')).toBe('t.example:6969');
    expect(trackerHostOf('not a url')).toBe('invalid');
  });

  it('labels daemon states in snake case', () => {
    expect(['seeding', 'check-wait', 'Download Wait', ''].map(stateLabel)).toEqual(['seeding', 'check_wait', 'download_wait', 'unknown']);
  });
});

describe('per-torrent selection', () => {
  const owned = (hash: string, seeders: number | null) => ({ infoHash: hash, seeders }) as OwnedTorrentView;

  it('takes the fewest seeders first, unknown counts last, ties by info hash, and counts the rest', () => {
    const picked = selectPerTorrent([owned('c', 3), owned('b', null), owned('a', 3), owned('d', 0)], 3);
    expect(picked.rows.map((o) => o.infoHash)).toEqual(['d', 'a', 'c']);
    expect(picked.omitted).toBe(1);
    expect(selectPerTorrent([owned('a', 1)], 10)).toEqual({ rows: [owned('a', 1)], omitted: 0 });
  });
});
