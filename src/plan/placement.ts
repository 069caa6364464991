import { Ledger } from './ledger.js';
import type { Pool } from './pool.js';
import type { PlanFeedQuota } from './types.js';

/**
 * Which pool items are held in one selection pass, and which feed each is charged to.
 *
 * Feeds are bins: a torrent listed by several feeds can sit in any of them, and a greedy
 * choice made early can leave a later torrent with no feed although a feasible assignment
 * exists (and plans then change from tick to tick as incumbents settle into other feeds).
 * `tryCharge(i, { moves })` repairs most of that: a multi-feed torrent charged to a full feed
 * is moved to another of its feeds with room (or one that a further move makes room in).
 */
/** How many movable torrents on a full feed one placement looks at. */
const MAX_MOVE_TRIES = 32;

export class Placement {
  readonly ledger: Ledger;
  /** Per feed, the multi-feed items charged to it (the ones that could move). */
  private readonly movable = new Map<string, Set<number>>();

  constructor(
    private readonly pool: Pool,
    capacityBytes: number,
    quotas: readonly PlanFeedQuota[],
  ) {
    this.ledger = new Ledger(capacityBytes, quotas);
  }

  /** Holds item i if the total and one of its feeds have room; false (and nothing) if not. */
  tryCharge(i: number, options: { moves?: number } = {}): boolean {
    const { pool, ledger } = this;
    const size = pool.chargeBytes[i] ?? 0;
    let feedId = ledger.fitHome(pool.homeFeeds[i] ?? [], pool.feedIds[i] ?? [], size);
    const hops = options.moves ?? 0;
    if (feedId === undefined && hops > 0 && size <= ledger.freeBytes()) {
      feedId = this.makeRoomByMoving(i, hops);
    }
    if (feedId === undefined) return false;
    this.charge(i, feedId);
    return true;
  }

  /** Holds item i whatever the quotas say (pinned torrents), on its roomiest feed. */
  chargeAnyway(i: number): void {
    const { pool, ledger } = this;
    const size = pool.chargeBytes[i] ?? 0;
    const feedIds = pool.feedIds[i] ?? [];
    const home = pool.homeFeeds[i] ?? [];
    const feedId =
      ledger.chooseHomeFeed(home, feedIds, size) ??
      ledger.roomiestFeed(home.length > 0 ? home : feedIds);
    this.charge(i, feedId);
  }

  charge(i: number, feedId: string | null): void {
    const { pool } = this;
    this.ledger.charge(feedId, pool.chargeBytes[i] ?? 0);
    pool.selected[i] = 1;
    pool.feedId[i] = feedId;
    if (feedId !== null && (pool.feedIds[i]?.length ?? 0) > 1) {
      let set = this.movable.get(feedId);
      if (set === undefined) {
        set = new Set();
        this.movable.set(feedId, set);
      }
      set.add(i);
    }
  }

  release(i: number): void {
    const { pool } = this;
    const feedId = pool.feedId[i] ?? null;
    this.ledger.release(feedId, pool.chargeBytes[i] ?? 0);
    pool.selected[i] = 0;
    if (feedId !== null) this.movable.get(feedId)?.delete(i);
  }

  /**
   * Finds a feed of item i that moves can free enough: a multi-feed item charged there moves
   * to another of its feeds, which may in turn free room by moving one of its own (`depth`
   * hops). Returns the freed feed with the moves made, or undefined with nothing changed.
   */
  private makeRoomByMoving(i: number, depth: number): string | undefined {
    const { pool } = this;
    const size = pool.chargeBytes[i] ?? 0;
    for (const f of pool.feedIds[i] ?? []) {
      if (this.freeFeed(f, size, depth, new Set([f]))) return f;
    }
    return undefined;
  }

  /** Makes feed f able to take `size` more by moving one of its items elsewhere. */
  private freeFeed(f: string, size: number, depth: number, visited: Set<string>): boolean {
    const { pool, ledger } = this;
    const onF = this.movable.get(f);
    if (depth <= 0 || onF === undefined) return false;
    // In the order they were charged (deterministic: passes run in a total order), and only
    // the first few: a failed search costs a scan, and most candidates fail.
    let tried = 0;
    for (const r of onF) {
      if (++tried > MAX_MOVE_TRIES) break;
      const sizeR = pool.chargeBytes[r] ?? 0;
      if (!ledger.fitsFeedWithout(f, size, sizeR)) continue;
      for (const g of pool.feedIds[r] ?? []) {
        if (visited.has(g)) continue;
        const fits = ledger.chooseFeed([g], sizeR) !== undefined;
        if (!fits && !this.freeFeed(g, sizeR, depth - 1, new Set([...visited, g]))) continue;
        this.release(r);
        this.charge(r, g);
        return true;
      }
    }
    return false;
  }
}
