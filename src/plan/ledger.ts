import type { FeedUsage, PlanFeedQuota } from './types.js';

/** Which per-feed quota stopped a torrent. */
export interface QuotaMiss {
  feedId: string;
  quota: 'bytes' | 'count';
  limit: number;
  usedBytes: number;
  usedTorrents: number;
}

export type Fit =
  | { ok: true; feedId: string | null }
  | { ok: false; why: 'feed'; miss: QuotaMiss }
  | { ok: false; why: 'total'; feedId: string | null };

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
 * (byte room first, then count room, then feed id), among those that can take it.
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

  /** Where a torrent of this size would be charged now, or what stops it. */
  fit(feedIds: readonly string[], sizeBytes: number): Fit {
    const feed = this.chooseFeed(feedIds, sizeBytes);
    if (!feed.ok) return feed;
    if (this.usedBytes + sizeBytes > this.capacityBytes) {
      return { ok: false, why: 'total', feedId: feed.feedId };
    }
    return feed;
  }

  /** The feed to charge (ignoring the total), or the quota of the roomiest feed that stops it. */
  chooseFeed(
    feedIds: readonly string[],
    sizeBytes: number,
  ): { ok: true; feedId: string | null } | { ok: false; why: 'feed'; miss: QuotaMiss } {
    if (feedIds.length === 0) return { ok: true, feedId: null };
    let best: string | null = null;
    let bestMiss: QuotaMiss | null = null;
    let bestMissId: string | null = null;
    for (const id of feedIds) {
      const account = this.accounts.get(id);
      const miss = account === undefined ? null : quotaMiss(account, sizeBytes);
      if (miss === null) {
        if (best === null || this.roomier(id, best)) best = id;
      } else if (bestMissId === null || this.roomier(id, bestMissId)) {
        bestMiss = miss;
        bestMissId = id;
      }
    }
    if (best !== null) return { ok: true, feedId: best };
    if (bestMiss === null) return { ok: true, feedId: null };
    return { ok: false, why: 'feed', miss: bestMiss };
  }

  /** The roomiest feed of these regardless of quota (for torrents that must be held anyway). */
  roomiestFeed(feedIds: readonly string[]): string | null {
    let best: string | null = null;
    for (const id of feedIds) if (best === null || this.roomier(id, best)) best = id;
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

  /** Room left in a feed: Infinity for a quota that is not set or a feed the policy lacks. */
  room(feedId: string): { bytes: number; torrents: number } {
    const a = this.accounts.get(feedId);
    if (a === undefined) return { bytes: Infinity, torrents: Infinity };
    return {
      bytes: a.maxBytes === null ? Infinity : a.maxBytes - a.usedBytes,
      torrents: a.maxTorrents === null ? Infinity : a.maxTorrents - a.usedTorrents,
    };
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

  private roomier(a: string, b: string): boolean {
    const ra = this.room(a);
    const rb = this.room(b);
    if (ra.bytes !== rb.bytes) return ra.bytes > rb.bytes;
    if (ra.torrents !== rb.torrents) return ra.torrents > rb.torrents;
    return a < b;
  }
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
