import type { InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/index.js';
import { compareHash, mergeCandidates, uniqueSorted } from './items.js';
import type { ReasonBook } from './reasons.js';
import { NeedCache, countsExcludingSelf, isKnownSize, needPerGB } from './score.js';
import type { Candidate, DecisionAction, HeldTorrent, PlanInput, Reason, ScoreComponents } from './types.js';

/**
 * What part an item plays in selection:
 * - FIXED: decided before selection (not ours, no size, well seeded, dropped by its feeds)
 * - PINNED: an incumbent that is always held
 * - PROTECTED: an incumbent within its minimum seed time (only the budget can remove it)
 * - MIXED: competes for space by `key` (replaceable incumbents and new candidates)
 */
export const FIXED = 0;
export const PINNED = 1;
export const PROTECTED = 2;
export const MIXED = 3;

/**
 * The planner's working set, one index per torrent, as parallel arrays: with 100,000
 * candidates, one object per item was the largest allocation of a plan (and its GC time).
 * Items 0..candidates-1 come from (merged) candidates, the rest are owned torrents no feed lists.
 */
const NO_FEEDS: readonly string[] = [];
const UNSET_COMPONENTS: ScoreComponents = {
  seeders: null,
  leechers: null,
  selfExcluded: null,
  scarcity: 0,
  demand: 1,
};

export class Pool {
  readonly count: number;
  readonly infoHash: InfoHash[];
  readonly name: string[];
  readonly feedIds: (readonly string[])[];
  /**
   * For an incumbent: those of its feeds it was added for (its labels). It stays charged to
   * one of them while they have room, so a torrent in two feeds does not move between feeds
   * from tick to tick (which could push another torrent over a quota and out).
   */
  readonly homeFeeds: (readonly string[])[];
  readonly counts: (SwarmCounts | null)[];
  readonly held: (HeldTorrent | null)[];
  /** Set for every index by buildPool (the fill value is never read). */
  readonly components: ScoreComponents[];
  /** Size in bytes; NaN when unknown. */
  readonly sizeBytes: Float64Array;
  /** Bytes charged to the budget (0 for an incumbent of unknown size). */
  readonly chargeBytes: Float64Array;
  readonly score: Float64Array;
  readonly need: Float64Array;
  /** Selection order among MIXED: score, times (1 + replaceMargin) for incumbents. */
  readonly key: Float64Array;
  /** What holding it is worth in a swap: need, times (1 + replaceMargin) for incumbents. */
  readonly value: Float64Array;
  readonly heldMs: Float64Array;
  readonly role: Uint8Array;
  readonly isIncumbent: Uint8Array;
  readonly inFeed: Uint8Array;
  readonly selected: Uint8Array;
  readonly deferred: Uint8Array;
  /**
   * An incumbent the budget alone could not keep (step 1 of planMirror). It competes again
   * like a new candidate (no margin, no seed-time protection): if space frees up it stays,
   * instead of being removed now and re-added next tick. `reason` holds why it was cut.
   */
  readonly budgetCut: Uint8Array;
  /** The item it was swapped out for, or -1. */
  readonly swappedFor: Int32Array;
  readonly feedId: (string | null)[];
  readonly action: (DecisionAction | null)[];
  readonly reason: (Reason | null)[];

  constructor(count: number) {
    this.count = count;
    // Sized once: growing 9 arrays of 100,000 by push left their old stores as garbage.
    this.infoHash = new Array<InfoHash>(count).fill('' as InfoHash);
    this.name = new Array<string>(count).fill('');
    this.feedIds = new Array<readonly string[]>(count).fill(NO_FEEDS);
    this.homeFeeds = new Array<readonly string[]>(count).fill(NO_FEEDS);
    this.counts = new Array<SwarmCounts | null>(count).fill(null);
    this.held = new Array<HeldTorrent | null>(count).fill(null);
    this.components = new Array<ScoreComponents>(count).fill(UNSET_COMPONENTS);
    this.feedId = new Array<string | null>(count).fill(null);
    this.action = new Array<DecisionAction | null>(count).fill(null);
    this.reason = new Array<Reason | null>(count).fill(null);
    this.sizeBytes = new Float64Array(count);
    this.chargeBytes = new Float64Array(count);
    this.score = new Float64Array(count);
    this.need = new Float64Array(count);
    this.key = new Float64Array(count);
    this.value = new Float64Array(count);
    this.heldMs = new Float64Array(count);
    this.role = new Uint8Array(count);
    this.isIncumbent = new Uint8Array(count);
    this.inFeed = new Uint8Array(count);
    this.selected = new Uint8Array(count);
    this.deferred = new Uint8Array(count);
    this.budgetCut = new Uint8Array(count);
    this.swappedFor = new Int32Array(count).fill(-1);
  }

  /** Decides an item outside selection. */
  fix(i: number, action: DecisionAction, reason: Reason): void {
    this.role[i] = FIXED;
    this.selected[i] = 0;
    this.action[i] = action;
    this.reason[i] = reason;
  }

  /** Indices with this role. */
  withRole(role: number): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.role[i] === role) out.push(i);
    return out;
  }

  compareHash(a: number, b: number): number {
    return compareHash(this.infoHash[a] as InfoHash, this.infoHash[b] as InfoHash);
  }

  /**
   * Best score first, ties by info-hash. Returns -1, 0 or 1, never a difference of scores: a
   * sort comparator that returns a non-integer boxes it, and sorting 100,000 items makes
   * about 1.7 million comparisons.
   */
  compareScoreDesc(a: number, b: number): number {
    const sa = this.score[a] ?? 0;
    const sb = this.score[b] ?? 0;
    return sa > sb ? -1 : sa < sb ? 1 : this.compareHash(a, b);
  }

  /** Best key first, ties by info-hash (see compareScoreDesc). */
  compareKeyDesc(a: number, b: number): number {
    const ka = this.key[a] ?? 0;
    const kb = this.key[b] ?? 0;
    return ka > kb ? -1 : ka < kb ? 1 : this.compareHash(a, b);
  }
}

export function buildPool(input: PlanInput, book: ReasonBook): Pool {
  const { scoring } = input.policy;
  const margin = Math.max(0, scoring.replaceMargin);
  const heldByHash = new Map<InfoHash, HeldTorrent>();
  const sortedHeld = [...input.held].sort((a, b) => compareHash(a.infoHash, b.infoHash));
  for (const h of sortedHeld) if (!heldByHash.has(h.infoHash)) heldByHash.set(h.infoHash, h);

  const listed = mergeCandidates(input.candidates);
  const heldOnly = [...heldByHash.values()].filter((h) => h.isOwned && !listed.has(h.infoHash));
  const pool = new Pool(listed.size + heldOnly.length);
  const needs = new NeedCache(scoring);

  // An array, not the map's iterator: this loop runs once per plan, often before V8 has
  // optimized it, and an unoptimized iterator allocates a result object per step.
  const merged = [...listed.values()];
  let i = 0;
  for (let at = 0; at < merged.length; at++) {
    const c = merged[at] as Candidate;
    const held = heldByHash.get(c.infoHash) ?? null;
    const feedIds = uniqueSorted(c.feedIds);
    if (held?.isOwned) {
      incumbent(i++, held, c.counts ?? held.counts ?? null, feedIds, true, c.sizeBytes);
      continue;
    }
    const components = needs.get(c.counts);
    const need = components.scarcity * components.demand;
    const score = needPerGB(need, c.sizeBytes);
    const known = isKnownSize(c.sizeBytes);
    push(i, c.infoHash, c.name, feedIds, c.counts, held, components);
    pool.sizeBytes[i] = known ? (c.sizeBytes as number) : NaN;
    pool.chargeBytes[i] = known ? (c.sizeBytes as number) : 0;
    pool.score[i] = score;
    pool.need[i] = need;
    pool.key[i] = score;
    pool.value[i] = need;
    pool.role[i] = MIXED;
    pool.inFeed[i] = 1;
    if (held !== null) pool.fix(i, 'skip', book.heldNotOwned);
    else if (c.filteredOut !== undefined) pool.fix(i, 'skip', book.filtered(c.filteredOut));
    else if (!known) pool.fix(i, 'skip', book.sizeUnknown);
    else if (need <= 0) pool.fix(i, 'skip', book.notNeeded(components));
    i++;
  }
  for (const h of heldOnly) incumbent(i++, h, h.counts ?? null, uniqueSorted(h.feedIds), false, null);
  return pool;

  function push(
    at: number,
    infoHash: InfoHash,
    name: string,
    feedIds: readonly string[],
    counts: SwarmCounts | null,
    held: HeldTorrent | null,
    components: ScoreComponents,
  ): void {
    pool.infoHash[at] = infoHash;
    pool.name[at] = name;
    pool.feedIds[at] = feedIds;
    pool.counts[at] = counts;
    pool.held[at] = held;
    pool.components[at] = components;
  }

  function incumbent(
    at: number,
    held: HeldTorrent,
    counts: SwarmCounts | null,
    feedIds: readonly string[],
    inFeed: boolean,
    feedSize: number | null,
  ): void {
    const size = isKnownSize(held.sizeBytes) ? held.sizeBytes : isKnownSize(feedSize) ? feedSize : NaN;
    const own = countsExcludingSelf(counts, held);
    const components = needs.get(own.counts, own.selfExcluded);
    const need = components.scarcity * components.demand;
    const score = needPerGB(need, Number.isNaN(size) ? null : size);
    const heldMs = Math.max(0, input.nowMs - held.addedAtMs);
    push(at, held.infoHash, held.name, feedIds, counts, held, components);
    const home = feedIds.filter((id) => held.feedIds.includes(id));
    if (home.length > 0 && home.length < feedIds.length) pool.homeFeeds[at] = home;
    pool.sizeBytes[at] = size;
    pool.chargeBytes[at] = Number.isNaN(size) ? 0 : size;
    pool.score[at] = score;
    pool.need[at] = need;
    pool.key[at] = score * (1 + margin);
    pool.value[at] = need * (1 + margin);
    pool.heldMs[at] = heldMs;
    pool.isIncumbent[at] = 1;
    pool.inFeed[at] = inFeed ? 1 : 0;
    const isProtected = heldMs < scoring.minSeedTimeMs;
    pool.role[at] = held.pinned === true ? PINNED : isProtected ? PROTECTED : MIXED;
    if (held.banned === true) {
      pool.fix(at, 'remove', book.banned);
    } else if (pool.role[at] === MIXED && !inFeed) {
      pool.fix(at, 'remove', book.noLongerInFeed(heldMs));
    }
  }
}
