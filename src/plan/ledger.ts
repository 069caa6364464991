import type { FeedUsage, PlanFeedQuota } from './types.js';

/** Which per-feed quota stopped a torrent. */
export interface QuotaMiss {
  feedId: string;
  quota: 'bytes' | 'count';
  limit: number;
  usedBytes: number;
  usedTorrents: number;
}

interface FeedAccount {
  id: string;
  maxBytes: number | null;
  maxTorrents: number | null;
  usedBytes: number;
  usedTorrents: number;
}

/**
 * The running account of a selection: total bytes against the capacity and, per feed, bytes and
 * torrents against that feed's quotas. A feed id the policy does not name has no quota.
 *
 * A torrent listed by several feeds is charged to ONE of them: the one with the most room
 * left after taking it (see `roomier`), among those that can take it.
 */
export class Ledger {
  readonly capacityBytes: number;
  usedBytes = 0;
  private readonly accounts = new Map<string, FeedAccount>();
  private readonly policyFeedIds: string[];

  constructor(capacityBytes: number, quotas: readonly PlanFeedQuota[]) {
    this.capacityBytes = capacityBytes;
    for (const q of quotas) {
      if (this.accounts.has(q.id)) continue;
      this.accounts.set(q.id, {
        id: q.id,
        maxBytes: q.maxBytes,
        maxTorrents: q.maxTorrents,
        usedBytes: 0,
        usedTorrents: 0,
      });
    }
    this.policyFeedIds = [...this.accounts.keys()];
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
    for (const id of feedIds) {
      const a = this.accounts.get(id);
      if (a !== undefined && quotaMiss(a, sizeBytes) !== null) continue;
      if (best === undefined || this.roomier(id, best, sizeBytes)) best = id;
    }
    return best;
  }

  /** Whether feed `feedId`'s quotas would take `sizeBytes` more once one torrent of `freedBytes` leaves it. */
  fitsFeedWithout(feedId: string, sizeBytes: number, freedBytes: number): boolean {
    const a = this.accounts.get(feedId);
    if (a === undefined) return true;
    if (a.maxTorrents !== null && a.usedTorrents - 1 + 1 > a.maxTorrents) return false;
    return a.maxBytes === null || a.usedBytes - freedBytes + sizeBytes <= a.maxBytes;
  }

  /** Which quota stops it, on the roomiest of its feeds; null when some feed can take it. */
  quotaMiss(feedIds: readonly string[], sizeBytes: number): QuotaMiss | null {
    let best: QuotaMiss | null = null;
    let bestId: string | null = null;
    for (const id of feedIds) {
      const a = this.accounts.get(id);
      const miss = a === undefined ? null : quotaMiss(a, sizeBytes);
      if (miss === null) return null;
      if (bestId === null || this.roomier(id, bestId, sizeBytes)) {
        best = miss;
        bestId = id;
      }
    }
    return best;
  }

  /** The roomiest feed of these regardless of quota (for torrents that must be held anyway). */
  roomiestFeed(feedIds: readonly string[], sizeBytes = 0): string | null {
    let best: string | null = null;
    for (const id of feedIds) if (best === null || this.roomier(id, best, sizeBytes)) best = id;
    return best;
  }

  charge(feedId: string | null, sizeBytes: number): void {
    this.usedBytes += sizeBytes;
    const account = feedId === null ? undefined : this.accounts.get(feedId);
    if (account !== undefined) {
      account.usedBytes += sizeBytes;
      account.usedTorrents += 1;
    }
  }

  release(feedId: string | null, sizeBytes: number): void {
    this.usedBytes -= sizeBytes;
    const account = feedId === null ? undefined : this.accounts.get(feedId);
    if (account !== undefined) {
      account.usedBytes -= sizeBytes;
      account.usedTorrents -= 1;
    }
  }

  /** Bytes left under a feed's byte quota: Infinity when unset or the policy lacks the feed. */
  bytesRoom(feedId: string): number {
    const a = this.accounts.get(feedId);
    return a === undefined || a.maxBytes === null ? Infinity : a.maxBytes - a.usedBytes;
  }

  /** Torrents left under a feed's count quota: Infinity when unset or unknown. */
  torrentsRoom(feedId: string): number {
    const a = this.accounts.get(feedId);
    return a === undefined || a.maxTorrents === null ? Infinity : a.maxTorrents - a.usedTorrents;
  }

  usage(): FeedUsage[] {
    return this.policyFeedIds.map((id) => {
      const a = this.accounts.get(id);
      return {
        feedId: id,
        usedBytes: a?.usedBytes ?? 0,
        usedTorrents: a?.usedTorrents ?? 0,
        maxBytes: a?.maxBytes ?? null,
        maxTorrents: a?.maxTorrents ?? null,
      };
    });
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
    const account = this.accounts.get(feedId);
    if (account === undefined) return Infinity;
    const bytes = share(account.maxBytes, account.usedBytes + sizeBytes);
    const count = share(account.maxTorrents, account.usedTorrents + 1);
    return Math.min(bytes, count);
  }
}

/** The share of a quota left once `used` is taken: 1 empty, 0 full, < 0 over. */
function share(limit: number | null, used: number): number {
  if (limit === null) return Infinity;
  if (limit <= 0) return used <= 0 ? 0 : -Infinity;
  return (limit - used) / limit;
}

function quotaMiss(a: FeedAccount, sizeBytes: number): QuotaMiss | null {
  if (a.maxTorrents !== null && a.usedTorrents + 1 > a.maxTorrents) {
    return base(a, 'count', a.maxTorrents);
  }
  if (a.maxBytes !== null && a.usedBytes + sizeBytes > a.maxBytes) {
    return base(a, 'bytes', a.maxBytes);
  }
  return null;
}

function base(a: FeedAccount, quota: 'bytes' | 'count', limit: number): QuotaMiss {
  return { feedId: a.id, quota, limit, usedBytes: a.usedBytes, usedTorrents: a.usedTorrents };
}
