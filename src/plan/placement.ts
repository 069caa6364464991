import { Ledger } from './ledger.js';
import type { Pool } from './pool.js';
import type { PlanFeedQuota } from './types.js';

/**
 * Which pool items are held in one selection pass, and which feed each is charged to.
 *
 * Feeds are bins: a torrent listed by several feeds can sit in any of them, and a greedy
 * choice made early can leave a later torrent with no feed although a feasible assignment
 * exists (and plans then change from tick to tick as incumbents settle into other feeds).
 * `tryCharge(i, moves)` repairs most of that: a multi-feed torrent charged to a full feed
 * is moved to another of its feeds with room (or one that a further move makes room in).
 */
/** How many movable torrents on a full feed one placement looks at. */
const MAX_MOVE_TRIES = 32;

/**
 * Per feed, the multi-feed items charged to it, in the order they were charged: a log of
 * (item, charge stamp) pairs where an entry counts only while the item's latest charge is that
 * one (a release or a later charge retires it). Searched for every candidate that does not
 * fit, so it must not allocate: no Set iterators, no entry objects.
 */
export class MovableLog {
  readonly entries: number[] = [];
}

export class Placement {
  readonly ledger: Ledger;
  private readonly movable = new Map<string, MovableLog>();
  /** The latest charge of each item (0: never charged); see MovableLog. */
  private readonly stamp: Int32Array;
  private readonly serial = new Int32Array(1);
  /** The feeds on the current chain of moves (freeFeed), reused to avoid allocating. */
  private readonly visited: string[] = [];

  constructor(
    private readonly pool: Pool,
    capacityBytes: number,
    quotas: readonly PlanFeedQuota[],
  ) {
    this.ledger = new Ledger(capacityBytes, quotas);
    this.stamp = new Int32Array(pool.count);
  }

  /**
   * Holds item i if the total and one of its feeds have room; false (and nothing) if not.
   * `moves`: how deep a chain of feed moves may go to make room (0: none).
   */
  tryCharge(i: number, moves = 0): boolean {
    const { pool, ledger } = this;
    const size = pool.chargeBytes[i] ?? 0;
    let feedId = ledger.fitHome(pool.homeFeeds[i] ?? [], pool.feedIds[i] ?? [], size);
    if (feedId === undefined && moves > 0 && size <= ledger.freeBytes()) {
      feedId = this.makeRoomByMoving(i, moves);
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
    const feedId = ledger.chooseHomeFeed(home, feedIds, size) ?? ledger.roomiestFeed(home.length > 0 ? home : feedIds);
    this.charge(i, feedId);
  }

  charge(i: number, feedId: string | null): void {
    const { pool } = this;
    this.ledger.charge(feedId, pool.chargeBytes[i] ?? 0);
    pool.selected[i] = 1;
    pool.feedId[i] = feedId;
    if (feedId !== null && (pool.feedIds[i]?.length ?? 0) > 1) {
      let log = this.movable.get(feedId);
      if (log === undefined) {
        log = new MovableLog();
        this.movable.set(feedId, log);
      }
      const stamp = (this.serial[0] ?? 0) + 1;
      this.serial[0] = stamp;
      this.stamp[i] = stamp;
      log.entries.push(i, stamp);
    }
  }

  release(i: number): void {
    const { pool } = this;
    const feedId = pool.feedId[i] ?? null;
    this.ledger.release(feedId, pool.chargeBytes[i] ?? 0);
    pool.selected[i] = 0;
    this.stamp[i] = 0;
  }

  /**
   * Finds a feed of item i that moves can free enough: a multi-feed item charged there moves
   * to another of its feeds, which may in turn free room by moving one of its own (`depth`
   * hops). Returns the freed feed with the moves made, or undefined with nothing changed.
   */
  private makeRoomByMoving(i: number, depth: number): string | undefined {
    const { pool, visited } = this;
    const size = pool.chargeBytes[i] ?? 0;
    const feedIds = pool.feedIds[i] ?? [];
    for (let at = 0; at < feedIds.length; at++) {
      const f = feedIds[at] as string;
      visited.length = 0;
      visited.push(f);
      if (this.freeFeed(f, size, depth)) return f;
    }
    return undefined;
  }

  /** Makes feed f able to take `size` more by moving one of its items elsewhere. */
  private freeFeed(f: string, size: number, depth: number): boolean {
    const { pool, ledger, visited } = this;
    const log = this.movable.get(f);
    if (depth <= 0 || log === undefined) return false;
    // In the order they were charged (deterministic: passes run in a total order), and only
    // the first few: a failed search costs a scan, and most candidates fail.
    const { entries } = log;
    let tried = 0;
    for (let e = 0; e < entries.length; e += 2) {
      const r = entries[e] ?? 0;
      if (this.stamp[r] !== entries[e + 1]) continue;
      if (++tried > MAX_MOVE_TRIES) break;
      const sizeR = pool.chargeBytes[r] ?? 0;
      if (!ledger.fitsFeedWithout(f, size, sizeR)) continue;
      const feedsOfR = pool.feedIds[r] ?? [];
      for (let at = 0; at < feedsOfR.length; at++) {
        const g = feedsOfR[at] as string;
        if (visited.includes(g)) continue;
        if (!ledger.fitsFeed(g, sizeR)) {
          visited.push(g);
          const freed = this.freeFeed(g, sizeR, depth - 1);
          visited.pop();
          if (!freed) continue;
        }
        this.release(r);
        this.charge(r, g);
        return true;
      }
    }
    return false;
  }
}
