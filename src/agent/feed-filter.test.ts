import { describe, expect, it } from 'vitest';
import type { FeedItem } from '../feeds/index.js';
import { toInfoHash } from '../shared/index.js';
import { buildCandidates, mergeFeedItems } from './candidates.js';
import { filterRejection, rejectionByFeeds, type FeedFilter } from './feed-filter.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-07T20:00:00Z');

function item(over: Partial<FeedItem> = {}): FeedItem {
  return {
    infoHash: toInfoHash('30ac2ef27829b1b5a7d0644097f55f335ca5241b'),
    name: 'Wikipedia English Official Offline Edition 2013',
    sizeBytes: 10_082_006_833,
    torrentUrl: null,
    magnetUri: null,
    trackers: [],
    counts: null,
    publishedAtMs: null,
    category: 'Dataset',
    description: 'A dump of the English Wikipedia &mdash; official offline edition',
    ...over,
  };
}
const none: FeedFilter = { exclude: [] };

describe('filterRejection', () => {
  it('accepts what no rule turns away', () => {
    expect(filterRejection(item(), none, NOW, null)).toBeNull();
    expect(
      filterRejection(item(), { exclude: [], categories: ['dataset'], include: ['wikipedia'], minSize: 1e9, maxSize: 2e10 }, NOW, null),
    ).toBeNull();
  });

  it('turns away by category, exclude and include patterns on name and description, and size', () => {
    expect(filterRejection(item({ category: 'Course' }), { exclude: [], categories: ['Dataset', 'Paper'] }, NOW, null)).toBe(
      `category "Course" is not one the feed's filter wants (Dataset, Paper)`,
    );
    expect(filterRejection(item(), { exclude: ['offline edition'] }, NOW, null)).toMatch(/exclude pattern "offline edition"/);
    expect(filterRejection(item(), { exclude: [], include: ['^imagenet', 'lecture'] }, NOW, null)).toMatch(
      /none of the feed's include patterns/,
    );
    expect(filterRejection(item(), { exclude: [], maxSize: 1e9 }, NOW, null)).toMatch(/over the feed's maxSize/);
    expect(filterRejection(item(), { exclude: [], minSize: 2e10 }, NOW, null)).toMatch(/under the feed's minSize/);
  });

  it("waits out a minimum age by the feed's date, else the .torrent's creation date, and says when it is not known", () => {
    const week: FeedFilter = { exclude: [], minAge: 7 * DAY };
    expect(filterRejection(item({ publishedAtMs: NOW - 2 * DAY }), week, NOW, null)).toBe(
      'published 2d ago; the feed waits 7d before mirroring a new upload',
    );
    expect(filterRejection(item({ publishedAtMs: NOW - 8 * DAY }), week, NOW, null)).toBeNull();
    expect(filterRejection(item(), week, NOW, Date.parse('2013-08-08T13:49:17Z'))).toBeNull();
    expect(filterRejection(item(), week, NOW, NOW - DAY)).toMatch(/^published 24h ago/);
    expect(filterRejection(item(), week, NOW, null)).toMatch(/age is not known yet/);
  });

  it('is accepted when any listing feed accepts it; otherwise the first feed says why', () => {
    const filters = new Map<string, FeedFilter>([
      ['courses', { exclude: [], categories: ['Course'] }],
      ['small', { exclude: [], maxSize: 1e9 }],
    ]);
    expect(rejectionByFeeds(item(), ['courses', 'small'], filters, NOW, null)).toMatch(/^feed courses: category "Dataset"/);
    expect(rejectionByFeeds(item(), ['courses', 'everything'], filters, NOW, null)).toBeUndefined();
  });
});

describe('filters on the candidates a tick builds', () => {
  it('mark a listed torrent the feed turns away, never one the daemon holds', () => {
    const course = item({ infoHash: toInfoHash('f447784b18231897c892dbe45d943924583eab64'), name: 'MIT 6.890', category: 'Course' });
    const dataset = item();
    const merged = mergeFeedItems([{ feedId: 'data-only', items: [course, dataset] }], new Set());
    const filters = new Map<string, FeedFilter>([['data-only', { exclude: [], categories: ['Dataset'] }]]);
    const build = (held: ReadonlyMap<never, never>) =>
      buildCandidates({
        merged,
        torrents: held,
        scraped: new Map(),
        cachedTorrent: () => undefined,
        nowMs: NOW,
        maxCountAgeMs: DAY,
        filteredOut: (m) => rejectionByFeeds(m.item, m.feedIds, filters, NOW, null),
      });
    const candidates = build(new Map() as never);
    expect(candidates.find((c) => c.infoHash === course.infoHash)?.filteredOut).toBe(
      `feed data-only: category "Course" is not one the feed's filter wants (Dataset)`,
    );
    expect(candidates.find((c) => c.infoHash === dataset.infoHash)?.filteredOut).toBeUndefined();
    const held = new Map([[course.infoHash, { infoHash: course.infoHash, name: 'x', trackerStats: [], sizeWhenDoneBytes: 1 }]]);
    expect(build(held as never).find((c) => c.infoHash === course.infoHash)?.filteredOut).toBeUndefined();
  });
});
