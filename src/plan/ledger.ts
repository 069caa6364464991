import type { FeedUsage, PlanFeedQuota } from './types.js';

/** Which per-feed quota stopped a torrent. */
export interface QuotaMiss {
  feedId: string;
  quota: 'bytes' | 'count';
  limit: number;
  usedBytes: number;
  usedTorrents: number;
}

/**
 * A quota miss without an object: `feed * 2 + (count ? 1 : 0)` for the policy feed at index
 * `feed`, or NO_MISS. The planner asks for 100,000 candidates; only a reason needs the object.
 */
export type MissCode = number;
export const NO_MISS: MissCode = -1;

/** A feed id the policy does not name: it has no quota. */
const NOT_IN_POLICY = -1;

/**
 * The running account of a selection: total bytes against the capacity and, per feed, bytes and
 * torrents against that feed's quotas. A feed id the policy does not name has no quota.
 *
 * A torrent listed by several feeds is charged to ONE of them: the one with the most room
 * left after taking it (see `roomier`), among those that can take it.
 *
 * Numbers live in typed arrays (feeds by their index in the policy), so the instance's own
 * fields never change representation (see planner-shapes.ts), and the hot methods allocate
 * nothing, not even iterators: they run for every candidate, often before V8 optimizes them.
 */
export class Ledger {
  /** [capacityBytes, usedBytes]. */
  private readonly totals = new Float64Array(2);
  private readonly index = new Map<string, number>();
  private readonly ids: string[] = [];
  /** Per policy feed; a missing limit is Infinity. */
  private readonly maxBytes: Float64Array;
  private readonly maxTorrents: Float64Array;
  private readonly hasMaxBytes: Uint8Array;
  private readonly hasMaxTorrents: Uint8Array;
  private readonly feedBytes: Float64Array;
  private readonly feedTorrents: Float64Array;

  constructor(capacityBytes: number, quotas: readonly PlanFeedQuota[]) {
    this.totals[0] = capacityBytes;
    const unique: PlanFeedQuota[] = [];
    for (const q of quotas) {
      if (this.index.has(q.id)) continue;
      this.index.set(q.id, unique.length);
      this.ids.push(q.id);
      unique.push(q);
    }
    const n = unique.length;
    this.maxBytes = new Float64Array(n);
    this.maxTorrents = new Float64Array(n);
    this.hasMaxBytes = new Uint8Array(n);
    this.hasMaxTorrents = new Uint8Array(n);
    this.feedBytes = new Float64Array(n);
    this.feedTorrents = new Float64Array(n);
    unique.forEach((q, k) => {
      this.hasMaxBytes[k] = q.maxBytes === null ? 0 : 1;
      this.maxBytes[k] = q.maxBytes ?? Infinity;
      this.hasMaxTorrents[k] = q.maxTorrents === null ? 0 : 1;
      this.maxTorrents[k] = q.maxTorrents ?? Infinity;
    });
  }

  get capacityBytes(): number {
    return this.totals[0] ?? 0;
  }

  get usedBytes(): number {
    return this.totals[1] ?? 0;
  }

  freeBytes(): number {
    return this.capacityBytes - this.usedBytes;
  }

  /**
   * The feed to charge a torrent of this size to (null when it lists no feed), or undefined
   * when it does not fit the total or any feed's quota. Allocates nothing: it runs for every
   * candidate.
   */
  fit(feedIds: readonly string[], sizeBytes: number): string | null | undefined {
    if (this.usedBytes + sizeBytes > this.capacityBytes) return undefined;
    return this.chooseFeed(feedIds, sizeBytes);
  }

  /** Like fit, but an incumbent stays on one of its `home` feeds while one can take it. */
  fitHome(home: readonly string[], feedIds: readonly string[], sizeBytes: number): string | null | undefined {
    if (this.usedBytes + sizeBytes > this.capacityBytes) return undefined;
    return this.chooseHomeFeed(home, feedIds, sizeBytes);
  }

  chooseHomeFeed(home: readonly string[], feedIds: readonly string[], sizeBytes: number): string | null | undefined {
    if (home.length > 0) {
      const feedId = this.chooseFeed(home, sizeBytes);
      if (feedId !== undefined) return feedId;
    }
    return this.chooseFeed(feedIds, sizeBytes);
  }

  /**
   * The roomiest feed among `feedIds` whose quotas can take the torrent (ignoring the total);
   * null when it lists no feed; undefined when every listed feed's quota stops it.
   */
  chooseFeed(feedIds: readonly string[], sizeBytes: number): string | null | undefined {
    if (feedIds.length === 0) return null;
    let best: string | undefined;
    for (let at = 0; at < feedIds.length; at++) {
      const id = feedIds[at] as string;
      if (this.missAt(this.feedIndex(id), sizeBytes) !== NO_MISS) continue;
      if (best === undefined || this.roomier(id, best, sizeBytes)) best = id;
    }
    return best;
  }

  /** Whether feed `feedId`'s quotas alone can take `sizeBytes` more (ignoring the total). */
  fitsFeed(feedId: string, sizeBytes: number): boolean {
    return this.missAt(this.feedIndex(feedId), sizeBytes) === NO_MISS;
  }

  /** Whether feed `feedId`'s quotas would take `sizeBytes` more once one torrent of `freedBytes` leaves it. */
  fitsFeedWithout(feedId: string, sizeBytes: number, freedBytes: number): boolean {
    const k = this.feedIndex(feedId);
    if (k === NOT_IN_POLICY) return true;
    if ((this.feedTorrents[k] ?? 0) - 1 + 1 > (this.maxTorrents[k] ?? Infinity)) return false;
    return (this.feedBytes[k] ?? 0) - freedBytes + sizeBytes <= (this.maxBytes[k] ?? Infinity);
  }

  /** Which quota stops it, on the roomiest of its feeds; null when some feed can take it. */
  quotaMiss(feedIds: readonly string[], sizeBytes: number): QuotaMiss | null {
    const code = this.quotaMissCode(feedIds, sizeBytes);
    return code === NO_MISS ? null : this.describeMiss(code);
  }

  /** quotaMiss without the object (NO_MISS when some feed can take it). */
  quotaMissCode(feedIds: readonly string[], sizeBytes: number): MissCode {
    let best: MissCode = NO_MISS;
    let bestId: string | null = null;
    for (let at = 0; at < feedIds.length; at++) {
      const id = feedIds[at] as string;
      const miss = this.missAt(this.feedIndex(id), sizeBytes);
      if (miss === NO_MISS) return NO_MISS;
      if (bestId === null || this.roomier(id, bestId, sizeBytes)) {
        best = miss;
        bestId = id;
      }
    }
    return best;
  }

  /** The miss a code stands for, with the feed's usage now. */
  describeMiss(code: MissCode): QuotaMiss {
    const k = code >> 1;
    const isCount = (code & 1) === 1;
    return {
      feedId: this.ids[k] ?? '',
      quota: isCount ? 'count' : 'bytes',
      limit: (isCount ? this.maxTorrents[k] : this.maxBytes[k]) ?? Infinity,
      usedBytes: this.feedBytes[k] ?? 0,
      usedTorrents: this.feedTorrents[k] ?? 0,
    };
  }

  /** The roomiest feed of these regardless of quota (for torrents that must be held anyway). */
  roomiestFeed(feedIds: readonly string[], sizeBytes = 0): string | null {
    let best: string | null = null;
    for (let at = 0; at < feedIds.length; at++) {
      const id = feedIds[at] as string;
      if (best === null || this.roomier(id, best, sizeBytes)) best = id;
    }
    return best;
  }

  charge(feedId: string | null, sizeBytes: number): void {
    this.add(feedId, sizeBytes, 1);
  }

  release(feedId: string | null, sizeBytes: number): void {
    this.add(feedId, -sizeBytes, -1);
  }

  /** Bytes left under a feed's byte quota: Infinity when unset or the policy lacks the feed. */
  bytesRoom(feedId: string): number {
    const k = this.feedIndex(feedId);
    return k === NOT_IN_POLICY ? Infinity : (this.maxBytes[k] ?? Infinity) - (this.feedBytes[k] ?? 0);
  }

  /** Torrents left under a feed's count quota: Infinity when unset or unknown. */
  torrentsRoom(feedId: string): number {
    const k = this.feedIndex(feedId);
    return k === NOT_IN_POLICY ? Infinity : (this.maxTorrents[k] ?? Infinity) - (this.feedTorrents[k] ?? 0);
  }

  usage(): FeedUsage[] {
    return this.ids.map((feedId, k) => ({
      feedId,
      usedBytes: this.feedBytes[k] ?? 0,
      usedTorrents: this.feedTorrents[k] ?? 0,
      maxBytes: this.hasMaxBytes[k] === 1 ? (this.maxBytes[k] ?? null) : null,
      maxTorrents: this.hasMaxTorrents[k] === 1 ? (this.maxTorrents[k] ?? null) : null,
    }));
  }

  private feedIndex(feedId: string): number {
    return this.index.get(feedId) ?? NOT_IN_POLICY;
  }

  private add(feedId: string | null, sizeBytes: number, torrents: number): void {
    this.totals[1] = this.usedBytes + sizeBytes;
    const k = feedId === null ? NOT_IN_POLICY : this.feedIndex(feedId);
    if (k === NOT_IN_POLICY) return;
    this.feedBytes[k] = (this.feedBytes[k] ?? 0) + sizeBytes;
    this.feedTorrents[k] = (this.feedTorrents[k] ?? 0) + torrents;
  }

  /** Count quota first, then bytes (NO_MISS for a feed the policy does not name). */
  private missAt(k: number, sizeBytes: number): MissCode {
    if (k === NOT_IN_POLICY) return NO_MISS;
    if ((this.feedTorrents[k] ?? 0) + 1 > (this.maxTorrents[k] ?? Infinity)) return k * 2 + 1;
    if ((this.feedBytes[k] ?? 0) + sizeBytes > (this.maxBytes[k] ?? Infinity)) return k * 2;
    return NO_MISS;
  }

  /**
   * Whether feed a has more room than feed b for a torrent of this size: the larger share of
   * its tightest quota left after taking it (a feed without quotas has unbounded room; ties
   * by feed id). Shares, not bytes, so a feed with a 1-torrent quota and no byte quota does
   * not look roomier than a half-empty 4 TB feed.
   */
  private roomier(a: string, b: string, sizeBytes: number): boolean {
    const ha = this.headroomAfter(a, sizeBytes);
    const hb = this.headroomAfter(b, sizeBytes);
    if (ha !== hb) return ha > hb;
    return a < b;
  }

  private headroomAfter(feedId: string, sizeBytes: number): number {
    const k = this.feedIndex(feedId);
    if (k === NOT_IN_POLICY) return Infinity;
    const bytes = share(this.hasMaxBytes[k] === 1, this.maxBytes[k] ?? 0, (this.feedBytes[k] ?? 0) + sizeBytes);
    const count = share(this.hasMaxTorrents[k] === 1, this.maxTorrents[k] ?? 0, (this.feedTorrents[k] ?? 0) + 1);
    return Math.min(bytes, count);
  }
}

/** The share of a quota left once `used` is taken: 1 empty, 0 full, < 0 over. */
function share(hasLimit: boolean, limit: number, used: number): number {
  if (!hasLimit) return Infinity;
  if (limit <= 0) return used <= 0 ? 0 : -Infinity;
  return (limit - used) / limit;
}
