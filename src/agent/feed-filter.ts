/**
 * The volunteer's per-feed choices (policy `feeds[].filter`): which items of a feed they want
 * mirrored. Pure: the item, the filter, the time and the .torrent's creation date come in; the
 * reason an item is turned away (one sentence, shown like every other decision) comes out, or
 * null when the feed's filter accepts it. A torrent listed by several feeds is considered when
 * any of them accepts it.
 */
import type { FeedItem } from '../feeds/index.js';
import type { FeedFilterPolicy } from '../policy/index.js';
import { formatBytes, formatDuration } from '../shared/index.js';

export interface FeedFilter {
  categories?: readonly string[] | undefined;
  include?: readonly string[] | undefined;
  exclude: readonly string[];
  minSize?: number | undefined;
  maxSize?: number | undefined;
  minAge?: number | undefined;
}

const compiled = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re === undefined) {
    re = new RegExp(pattern, 'iu');
    compiled.set(pattern, re);
  }
  return re;
}

/** Why `filter` turns the item away, or null when it accepts it. */
export function filterRejection(item: FeedItem, filter: FeedFilter, nowMs: number, createdAtMs: number | null): string | null {
  if (filter.categories !== undefined && item.category !== undefined) {
    const wanted = filter.categories.map((c) => c.toLowerCase());
    if (!wanted.includes(item.category.toLowerCase())) {
      return `category "${item.category}" is not one the feed's filter wants (${filter.categories.join(', ')})`;
    }
  }
  const text = `${item.name}\n${item.description ?? ''}`;
  const excluded = filter.exclude.find((p) => regex(p).test(text));
  if (excluded !== undefined) return `its name or description matches the feed's exclude pattern "${excluded}"`;
  if (filter.include !== undefined && filter.include.length > 0 && !filter.include.some((p) => regex(p).test(text))) {
    return "its name and description match none of the feed's include patterns";
  }
  if (item.sizeBytes !== null) {
    if (filter.minSize !== undefined && item.sizeBytes < filter.minSize) {
      return `${formatBytes(item.sizeBytes)} is under the feed's minSize of ${formatBytes(filter.minSize)}`;
    }
    if (filter.maxSize !== undefined && item.sizeBytes > filter.maxSize) {
      return `${formatBytes(item.sizeBytes)} is over the feed's maxSize of ${formatBytes(filter.maxSize)}`;
    }
  }
  if (filter.minAge !== undefined) {
    const bornAtMs = item.publishedAtMs ?? createdAtMs;
    if (bornAtMs === null) {
      return `its age is not known yet (no date in the feed; its .torrent is read for one): the feed waits ${formatDuration(filter.minAge)} before mirroring a new upload`;
    }
    const ageMs = nowMs - bornAtMs;
    if (ageMs < filter.minAge) {
      return `published ${formatDuration(Math.max(0, ageMs))} ago; the feed waits ${formatDuration(filter.minAge)} before mirroring a new upload`;
    }
  }
  return null;
}

/** The policy's filters by feed id (feeds without one are absent: they accept everything). */
export function feedFilters(
  feeds: readonly { id: string; enabled: boolean; filter?: FeedFilterPolicy | undefined }[],
): Map<string, FeedFilter> {
  const out = new Map<string, FeedFilter>();
  for (const f of feeds) if (f.enabled && f.filter !== undefined) out.set(f.id, f.filter);
  return out;
}

/**
 * Why the item is turned away by every feed that lists it ("feed <id>: <reason>" of the first),
 * or undefined when one of them accepts it (or has no filter).
 */
export function rejectionByFeeds(
  item: FeedItem,
  feedIds: readonly string[],
  filters: ReadonlyMap<string, FeedFilter>,
  nowMs: number,
  createdAtMs: number | null,
): string | undefined {
  let first: string | undefined;
  for (const id of feedIds) {
    const filter = filters.get(id);
    if (filter === undefined) return undefined;
    const why = filterRejection(item, filter, nowMs, createdAtMs);
    if (why === null) return undefined;
    first ??= `feed ${id}: ${why}`;
  }
  return first;
}
