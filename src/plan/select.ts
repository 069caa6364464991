import { decide, explainLeftOut } from './decide.js';
import { applyFeedWeights, withFeedShares } from './feed-quotas.js';
import { computeCapacity } from './items.js';
import { NO_MISS, type Ledger } from './ledger.js';
import { Placement } from './placement.js';
import './planner-shapes.js';
import { MIXED, PINNED, PROTECTED, buildPool, type Pool } from './pool.js';
import { ReasonBook } from './reasons.js';
import { fillSpare } from './spare.js';
import type { Plan, PlanInput } from './types.js';

/**
 * How deep a chain of feed moves may go to make room for a held torrent (one move for a new
 * candidate: with 100,000 of them, deeper searches would cost more than they find).
 */
const INCUMBENT_MOVES = 2;

/** How many of the most valuable left-out torrents the swap pass tries to fit in. */
const SWAP_ATTEMPTS = 16;

/**
 * Decides the desired mirror set. Pure and deterministic (ties break by info-hash).
 *
 * Selection is a multiple-constraint knapsack (total capacity, and bytes/torrent quotas per
 * feed) solved approximately:
 * 1. Budget fit: held owned torrents alone, best score first, must fit the (possibly shrunk)
 *    budget and feed quotas. Those that do not lose their incumbency (no margin, no
 *    seed-time protection: a budget is a hard limit) and compete like new candidates; unless
 *    space frees up they are removed. Pinned torrents are held regardless.
 * 2. Greedy by value density: pinned, then incumbents within their minimum seed time, then all
 *    others by key = need per GB, where a replaceable incumbent's key is raised by the replace
 *    margin (hysteresis: a candidate must beat it by that much to take its space). Items that
 *    do not fit are passed over and smaller ones after them still fill the gaps. A torrent in
 *    several feeds goes to the one with most room; when none has room, a multi-feed torrent
 *    already placed may move to another of its feeds (placement.ts).
 * 3. Swaps: each of the few most valuable left-out torrents is tried again by removing the
 *    cheapest picks that stand in its way, when that raises the total need held (the classic
 *    fix for greedy's weakness: one big, very needed torrent behind many small ones). A
 *    refill pass then uses any space freed.
 * 4. Add limit: only the best maxAddsPerTick new torrents are added; incumbents that were to
 *    make room for the deferred ones are kept again if they fit.
 * 5. Spare copies (policy.spare, spare.ts): room the needy left, up to a share of the capacity,
 *    goes to the least-replicated well-seeded swarms, within the add slots left.
 * Cost: one sort of all candidates plus linear passes: about 0.2 s for 100,000 candidates in
 * 20 feeds (src/bench/plan-bench.ts).
 */
export function planMirror(given: PlanInput): Plan {
  const capacity = computeCapacity(given);
  // Feed shares become byte quotas of this capacity; weights scale scores (feed-quotas.ts).
  const input = withFeedShares(given, capacity.capacityBytes);
  const { policy } = input;
  const book = new ReasonBook(policy.scoring, policy.maxAddsPerTick);
  const pool = buildPool(input, book);
  applyFeedWeights(pool, policy.feeds);
  const pinned = pool.withRole(PINNED).sort((a, b) => pool.compareHash(a, b));
  const byIncumbentValue = (a: number, b: number): number => (pool.inFeed[b] ?? 0) - (pool.inFeed[a] ?? 0) || pool.compareScoreDesc(a, b);

  fitIncumbentsToBudget(pool, pinned, byIncumbentValue, capacity.capacityBytes, input, book);

  const placed = new Placement(pool, capacity.capacityBytes, policy.feeds);
  for (const p of pinned) placed.chargeAnyway(p);
  for (const i of pool.withRole(PROTECTED).sort(byIncumbentValue)) {
    if (!placed.tryCharge(i, INCUMBENT_MOVES)) removeForBudget(pool, placed.ledger, i, book);
  }

  const ranked = rankByScore(pool);
  const mixed = mixedByKey(pool, ranked);
  for (let at = 0; at < mixed.length; at++) {
    const i = mixed[at] ?? 0;
    placed.tryCharge(i, pool.isIncumbent[i] === 1 ? INCUMBENT_MOVES : 1);
  }
  if (improveBySwaps(pool, mixed, placed)) {
    for (let at = 0; at < mixed.length; at++) {
      const i = mixed[at] ?? 0;
      if (pool.selected[i] === 0) placed.tryCharge(i);
    }
  }
  const ledger = placed.ledger;
  const bestBlockedScore = explainLeftOut(pool, mixed, ledger, book);
  const adds = applyAddLimit(pool, mixed, placed, policy.maxAddsPerTick);
  if (policy.spare !== undefined) fillSpare(pool, placed, policy.spare, policy.scoring.targetSeeders, policy.maxAddsPerTick - adds, book);

  return decide({ pool, ranked, mixed, ledger, capacity, input, book, bestBlockedScore });
}

/** Every item, best score first, ties by info-hash: the order of the plan's decisions. */
function rankByScore(pool: Pool): number[] {
  const ranked: number[] = new Array<number>(pool.count);
  for (let i = 0; i < pool.count; i++) ranked[i] = i;
  return ranked.sort((a, b) => pool.compareScoreDesc(a, b));
}

/**
 * MIXED items by key, best first. A new candidate's key is its score, so those are already in
 * order in `ranked`; only the (few) incumbents, whose key carries the margin, need a sort and
 * a merge. This saves a second sort of 100,000 items.
 */
function mixedByKey(pool: Pool, ranked: readonly number[]): number[] {
  const fresh: number[] = [];
  const held: number[] = [];
  for (let at = 0; at < ranked.length; at++) {
    const i = ranked[at] ?? 0;
    if (pool.role[i] !== MIXED) continue;
    if (pool.isIncumbent[i] === 1) held.push(i);
    else fresh.push(i);
  }
  const byKey = (a: number, b: number): number => pool.compareKeyDesc(a, b);
  held.sort(byKey);
  const out: number[] = [];
  let f = 0;
  let h = 0;
  while (f < fresh.length || h < held.length) {
    const a = fresh[f];
    const b = held[h];
    if (b === undefined || (a !== undefined && byKey(a, b) <= 0)) {
      out.push(a as number);
      f++;
    } else {
      out.push(b);
      h++;
    }
  }
  return out;
}

function removeForBudget(pool: Pool, ledger: Ledger, i: number, book: ReasonBook): void {
  const feedIds = pool.feedIds[i] ?? [];
  const miss = ledger.quotaMissCode(feedIds, pool.chargeBytes[i] ?? 0);
  pool.fix(i, 'remove', miss !== NO_MISS ? book.overFeedQuota(miss, ledger) : book.noDiskBudgetHeld(ledger.capacityBytes));
  pool.feedId[i] = ledger.roomiestFeed(feedIds);
}

/**
 * Step 1: the incumbents the budget and the feed quotas can keep on their own, highest score
 * first. The rest lose their incumbency (no margin, no seed-time protection, even within the
 * minimum seed time: a budget is a hard limit) and compete like new candidates.
 */
function fitIncumbentsToBudget(
  pool: Pool,
  pinned: readonly number[],
  byIncumbentValue: (a: number, b: number) => number,
  capacityBytes: number,
  input: PlanInput,
  book: ReasonBook,
): void {
  const placed = new Placement(pool, capacityBytes, input.policy.feeds);
  for (const p of pinned) placed.chargeAnyway(p);
  const incumbents: number[] = [];
  for (let i = 0; i < pool.count; i++) {
    if (pool.isIncumbent[i] === 1 && (pool.role[i] === PROTECTED || pool.role[i] === MIXED)) incumbents.push(i);
  }
  // Those within their minimum seed time are cut last (disk reserve or a shrunk budget).
  incumbents.sort((a, b) => Number(pool.role[b] === PROTECTED) - Number(pool.role[a] === PROTECTED) || byIncumbentValue(a, b));
  for (const i of incumbents) {
    if (placed.tryCharge(i, INCUMBENT_MOVES)) continue;
    const feedIds = pool.feedIds[i] ?? [];
    const miss = placed.ledger.quotaMissCode(feedIds, pool.chargeBytes[i] ?? 0);
    pool.reason[i] = miss !== NO_MISS ? book.overFeedQuota(miss, placed.ledger) : book.noDiskBudgetHeld(capacityBytes);
    pool.budgetCut[i] = 1;
    pool.role[i] = MIXED;
    pool.key[i] = pool.score[i] ?? 0;
    pool.value[i] = pool.need[i] ?? 0;
  }
  for (const i of [...pinned, ...incumbents]) {
    pool.selected[i] = 0;
    pool.feedId[i] = null;
  }
}

/**
 * Step 3. For each of the most valuable left-out items, find the cheapest set of current picks
 * (lowest key first, counted at their value) whose removal makes room in the total and in one
 * of its feeds; swap when the item is worth more than what it displaces. Returns whether any
 * swap was made.
 */
function improveBySwaps(pool: Pool, mixed: readonly number[], placed: Placement): boolean {
  const { ledger } = placed;
  const outside = mostValuableLeftOut(pool, mixed, ledger.capacityBytes, SWAP_ATTEMPTS);
  if (outside.length === 0) return false;
  const picksAscending = mixed.filter((i) => pool.selected[i] === 1).reverse();
  let swapped = false;
  for (const x of outside) {
    let best: { feedId: string | null; take: number[]; loss: number } | null = null;
    const feedIds = pool.feedIds[x] ?? [];
    for (const feedId of feedIds.length === 0 ? [null] : feedIds) {
      const found = cheapestRoom(pool, x, feedId, picksAscending, ledger);
      if (found !== null && (best === null || found.loss < best.loss)) best = { feedId, ...found };
    }
    if (best === null) continue;
    for (const r of best.take) {
      placed.release(r);
      pool.swappedFor[r] = x;
    }
    placed.charge(x, best.feedId);
    swapped = true;
  }
  return swapped;
}

/** The `count` unselected items of highest value that could fit an empty budget, best first. */
function mostValuableLeftOut(pool: Pool, mixed: readonly number[], capacityBytes: number, count: number): number[] {
  const better = (a: number, b: number): boolean => {
    const va = pool.value[a] ?? 0;
    const vb = pool.value[b] ?? 0;
    return va > vb || (va === vb && pool.compareHash(a, b) < 0);
  };
  const top: number[] = [];
  for (let m = 0; m < mixed.length; m++) {
    const i = mixed[m] ?? 0;
    if (pool.selected[i] === 1 || (pool.chargeBytes[i] ?? 0) > capacityBytes) continue;
    const last = top[top.length - 1];
    if (top.length === count && last !== undefined && !better(i, last)) continue;
    let at = top.length;
    while (at > 0 && better(i, top[at - 1] ?? 0)) at--;
    top.splice(at, 0, i);
    if (top.length > count) top.pop();
  }
  return top;
}

/**
 * The least valuable set of picks whose removal lets x in (on `feedId`), or null when every
 * such set is worth as much as x. Two heuristics, the cheaper result wins: lowest-density
 * picks first (passing over any that would make the swap a loss), and the single least
 * valuable pick that makes enough room alone.
 */
function cheapestRoom(
  pool: Pool,
  x: number,
  feedId: string | null,
  picksAscending: readonly number[],
  ledger: Ledger,
): { take: number[]; loss: number } | null {
  const size = pool.chargeBytes[x] ?? 0;
  const worth = pool.value[x] ?? 0;
  const totalShort0 = ledger.usedBytes + size - ledger.capacityBytes;
  const bytesShort0 = feedId === null ? -Infinity : size - ledger.bytesRoom(feedId);
  const countShort0 = feedId === null ? -Infinity : 1 - ledger.torrentsRoom(feedId);
  const feedShort = bytesShort0 > 0 || countShort0 > 0;
  let totalShort = totalShort0;
  let bytesShort = bytesShort0;
  let countShort = countShort0;
  let take: number[] = [];
  let loss = 0;
  let single = -1;
  let singleLoss = worth;
  for (let at = 0; at < picksAscending.length; at++) {
    const r = picksAscending[at] ?? 0;
    if (pool.selected[r] === 0) continue;
    const inFeed = feedId !== null && pool.feedId[r] === feedId;
    const v = pool.value[r] ?? 0;
    const sizeR = pool.chargeBytes[r] ?? 0;
    if (v < singleLoss && (inFeed || !feedShort) && sizeR >= totalShort0 && (!inFeed || (sizeR >= bytesShort0 && countShort0 <= 1))) {
      single = r;
      singleLoss = v;
    }
    if (totalShort <= 0 && bytesShort <= 0 && countShort <= 0) continue;
    if (totalShort <= 0 && !inFeed) continue;
    // One that would make the swap a loss is passed over: a later, denser-valued one may do.
    if (loss + v >= worth) continue;
    loss += v;
    take.push(r);
    totalShort -= sizeR;
    if (inFeed) {
      bytesShort -= sizeR;
      countShort -= 1;
    }
  }
  const greedyOk = totalShort <= 0 && bytesShort <= 0 && countShort <= 0 && take.length > 0;
  if (greedyOk) {
    // Put back what the room does not need after all (cheapest were taken first, so a later,
    // larger one may have made an earlier one unnecessary).
    for (let k = take.length - 1; k >= 0; k--) {
      const r = take[k] ?? -1;
      const sizeR = pool.chargeBytes[r] ?? 0;
      const inFeed = feedId !== null && pool.feedId[r] === feedId;
      if (totalShort + sizeR > 0) continue;
      if (inFeed && (bytesShort + sizeR > 0 || countShort + 1 > 0)) continue;
      totalShort += sizeR;
      if (inFeed) {
        bytesShort += sizeR;
        countShort += 1;
      }
      loss -= pool.value[r] ?? 0;
      take.splice(k, 1);
    }
  }
  if (single >= 0 && (!greedyOk || singleLoss < loss)) {
    take = [single];
    loss = singleLoss;
  } else if (!greedyOk) {
    return null;
  }
  return { take, loss };
}

/** Step 4: keep the best maxAddsPerTick adds; re-keep incumbents that now fit again. Returns the adds kept. */
function applyAddLimit(pool: Pool, mixed: readonly number[], placed: Placement, maxAddsPerTick: number): number {
  const limit = Number.isFinite(maxAddsPerTick) ? Math.max(0, Math.floor(maxAddsPerTick)) : Infinity;
  let adds = 0;
  let deferredAny = false;
  for (let at = 0; at < mixed.length; at++) {
    const i = mixed[at] ?? 0;
    if (pool.selected[i] === 0 || pool.isIncumbent[i] === 1) continue;
    adds++;
    if (adds > limit) {
      placed.release(i);
      pool.deferred[i] = 1;
      deferredAny = true;
    }
  }
  if (!deferredAny) return adds;
  for (let at = 0; at < mixed.length; at++) {
    const i = mixed[at] ?? 0;
    if (pool.isIncumbent[i] === 1 && pool.selected[i] === 0) placed.tryCharge(i, INCUMBENT_MOVES);
  }
  return limit;
}
