import { decide } from './decide.js';
import { buildItems, compareHash, computeCapacity, fix, type Item } from './items.js';
import { Ledger } from './ledger.js';
import { noDiskBudgetReason, overFeedQuotaReason } from './reasons.js';
import type { Plan, PlanInput } from './types.js';

/** How many of the most valuable left-out torrents the swap pass tries to fit in. */
const SWAP_ATTEMPTS = 16;

/**
 * Decides the desired mirror set. Pure and deterministic (ties break by info-hash).
 *
 * Selection is a multiple-constraint knapsack (total capacity, and bytes/torrent quotas per
 * feed) solved approximately:
 * 1. Budget fit: held owned torrents alone must fit the (possibly shrunk) budget and feed
 *    quotas; whatever does not, lowest score first, is removed even within the minimum seed
 *    time (a budget is a hard limit). Pinned torrents are held regardless.
 * 2. Greedy by value density: pinned, then incumbents within their minimum seed time, then all
 *    others by key = need per GB, where a replaceable incumbent's key is raised by the replace
 *    margin (hysteresis: a candidate must beat it by that much to take its space). Items that
 *    do not fit are passed over and smaller ones after them still fill the gaps.
 * 3. Swaps: each of the few most valuable left-out torrents is tried again by removing the
 *    lowest-density picks that stand in its way, when that raises the total need held (the
 *    classic fix for greedy's weakness: one big, very needed torrent behind many small ones).
 *    A refill pass then uses any space freed.
 * 4. Add limit: only the best maxAddsPerTick new torrents are added; incumbents that were to
 *    make room for the deferred ones are kept again if they fit.
 */
export function planMirror(input: PlanInput): Plan {
  const { policy } = input;
  const capacity = computeCapacity(input);
  const items = buildItems(input);
  const pinned = items.filter((i) => i.role === 'pinned');

  fitIncumbentsToBudget(items, pinned, capacity.capacityBytes, input);

  const ledger = new Ledger(capacity.capacityBytes, policy.feeds);
  for (const p of pinned) chargeAnyway(ledger, p);
  const protectedItems = items.filter((i) => i.role === 'protected').sort(byIncumbentValue);
  for (const it of protectedItems) {
    if (!tryCharge(ledger, it)) removeForBudget(ledger, it, capacity.capacityBytes);
  }

  const mixed = items.filter((i) => i.role === 'mixed').sort(byKey);
  for (const it of mixed) tryCharge(ledger, it);
  improveBySwaps(mixed, ledger);
  for (const it of mixed) if (!it.selected) tryCharge(ledger, it);
  applyAddLimit(mixed, ledger, policy.maxAddsPerTick);

  return decide({ items, mixed, ledger, capacity, input });
}

function byKey(a: Item, b: Item): number {
  return b.key - a.key || compareHash(a.infoHash, b.infoHash);
}

/** Incumbents by what they are worth holding: still listed first, then score. */
function byIncumbentValue(a: Item, b: Item): number {
  if (a.inFeed !== b.inFeed) return a.inFeed ? -1 : 1;
  return b.result.score - a.result.score || compareHash(a.infoHash, b.infoHash);
}

function tryCharge(ledger: Ledger, it: Item): boolean {
  const fit = ledger.fit(it.feedIds, it.chargeBytes);
  if (!fit.ok) return false;
  ledger.charge(fit.feedId, it.chargeBytes);
  it.selected = true;
  it.feedId = fit.feedId;
  return true;
}

function chargeAnyway(ledger: Ledger, it: Item): void {
  const choice = ledger.chooseFeed(it.feedIds, it.chargeBytes);
  const feedId = choice.ok ? choice.feedId : ledger.roomiestFeed(it.feedIds);
  ledger.charge(feedId, it.chargeBytes);
  it.selected = true;
  it.feedId = feedId;
}

function release(ledger: Ledger, it: Item): void {
  ledger.release(it.feedId, it.chargeBytes);
  it.selected = false;
}

function removeForBudget(ledger: Ledger, it: Item, capacityBytes: number): void {
  const fit = ledger.fit(it.feedIds, it.chargeBytes);
  const reason =
    !fit.ok && fit.why === 'feed'
      ? overFeedQuotaReason(fit.miss, it.chargeBytes)
      : noDiskBudgetReason(it.chargeBytes, ledger.freeBytes(), capacityBytes, true);
  fix(it, 'remove', reason);
  it.feedId = ledger.roomiestFeed(it.feedIds);
}

/** Step 1: incumbents that no longer fit the budget or their feed's quota go, lowest first. */
function fitIncumbentsToBudget(
  items: Item[],
  pinned: Item[],
  capacityBytes: number,
  input: PlanInput,
): void {
  const ledger = new Ledger(capacityBytes, input.policy.feeds);
  for (const p of pinned) chargeAnyway(ledger, p);
  const incumbents = items
    .filter((i) => i.isIncumbent && (i.role === 'protected' || i.role === 'mixed'))
    .sort(byIncumbentValue);
  for (const it of incumbents) {
    if (!tryCharge(ledger, it)) removeForBudget(ledger, it, capacityBytes);
  }
  for (const it of items) {
    it.selected = false;
    if (it.role !== 'fixed') it.feedId = null;
  }
}

/**
 * Step 3. For each of the most valuable left-out items, find the cheapest set of current picks
 * (lowest key first, counted at their value) whose removal makes room in the total and in one
 * of its feeds; swap when the item is worth more than what it displaces.
 */
function improveBySwaps(mixed: Item[], ledger: Ledger): void {
  const outside = mixed
    .filter((i) => !i.selected && i.chargeBytes <= ledger.capacityBytes)
    .sort((a, b) => b.value - a.value || compareHash(a.infoHash, b.infoHash))
    .slice(0, SWAP_ATTEMPTS);
  if (outside.length === 0) return;
  const picksAscending = mixed.filter((i) => i.selected).reverse();
  for (const x of outside) {
    if (x.selected) continue;
    let best: { feedId: string | null; take: Item[]; loss: number } | null = null;
    const options = x.feedIds.length === 0 ? [null] : x.feedIds;
    for (const feedId of options) {
      const found = cheapestRoom(x, feedId, picksAscending, ledger);
      if (found !== null && (best === null || found.loss < best.loss)) best = { feedId, ...found };
    }
    if (best === null) continue;
    for (const r of best.take) {
      release(ledger, r);
      r.swappedFor = x;
    }
    ledger.charge(best.feedId, x.chargeBytes);
    x.selected = true;
    x.feedId = best.feedId;
  }
}

function cheapestRoom(
  x: Item,
  feedId: string | null,
  picksAscending: readonly Item[],
  ledger: Ledger,
): { take: Item[]; loss: number } | null {
  let totalShort = ledger.usedBytes + x.chargeBytes - ledger.capacityBytes;
  const room = feedId === null ? { bytes: Infinity, torrents: Infinity } : ledger.room(feedId);
  let bytesShort = x.chargeBytes - room.bytes;
  let countShort = 1 - room.torrents;
  const take: Item[] = [];
  let loss = 0;
  for (const r of picksAscending) {
    if (totalShort <= 0 && bytesShort <= 0 && countShort <= 0) break;
    if (!r.selected) continue;
    const inFeed = feedId !== null && r.feedId === feedId;
    if (totalShort <= 0 && !inFeed) continue;
    loss += r.value;
    if (loss >= x.value) return null;
    take.push(r);
    totalShort -= r.chargeBytes;
    if (inFeed) {
      bytesShort -= r.chargeBytes;
      countShort -= 1;
    }
  }
  if (totalShort > 0 || bytesShort > 0 || countShort > 0) return null;
  return take.length === 0 ? null : { take, loss };
}

/** Step 4: keep the best maxAddsPerTick adds; re-keep incumbents that now fit again. */
function applyAddLimit(mixed: Item[], ledger: Ledger, maxAddsPerTick: number): void {
  const limit = Number.isFinite(maxAddsPerTick) ? Math.max(0, Math.floor(maxAddsPerTick)) : Infinity;
  let adds = 0;
  let deferredAny = false;
  for (const it of mixed) {
    if (!it.selected || it.isIncumbent) continue;
    adds++;
    if (adds > limit) {
      release(ledger, it);
      it.deferred = true;
      deferredAny = true;
    }
  }
  if (!deferredAny) return;
  for (const it of mixed) if (it.isIncumbent && !it.selected) tryCharge(ledger, it);
}
