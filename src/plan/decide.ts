import { SmartnodeError, type InfoHash } from '../shared/index.js';
import { compareHash } from './items.js';
import { NO_MISS, type Ledger } from './ledger.js';
import { FIXED, MIXED, PINNED, PROTECTED, type Pool } from './pool.js';
import type { ReasonBook } from './reasons.js';
import type { Decision, Plan, PlanCapacity, PlanInput } from './types.js';

interface DecideArgs {
  pool: Pool;
  /** Every item, best score first (ties by info-hash). */
  ranked: readonly number[];
  mixed: readonly number[];
  ledger: Ledger;
  capacity: PlanCapacity;
  input: PlanInput;
  book: ReasonBook;
  bestBlockedScore: number;
}

/** Bytes of held picks by score, to ask "how many bytes score below x?" quickly. */
export class BytesBelow {
  private readonly scores: number[] = [];
  private readonly prefix: number[] = [0];
  constructor(pool: Pool, indices: number[]) {
    indices.sort((a, b) => (pool.score[a] ?? 0) - (pool.score[b] ?? 0));
    for (const i of indices) {
      this.scores.push(pool.score[i] ?? 0);
      this.prefix.push((this.prefix[this.prefix.length - 1] ?? 0) + (pool.chargeBytes[i] ?? 0));
    }
  }
  /** Total bytes of items whose score is strictly below `score`. */
  below(score: number): number {
    let lo = 0;
    let hi = this.scores.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.scores[mid] ?? Infinity) < score) lo = mid + 1;
      else hi = mid;
    }
    return this.prefix[lo] ?? 0;
  }
}

/**
 * Why each new candidate left out of the selection was left out, measured on the filled
 * budget before the add limit defers anything (the state the plan converges to over the next
 * ticks). Returns the best score among candidates the budget blocked, for MIN_SEED_TIME.
 */
export function explainLeftOut(pool: Pool, mixed: readonly number[], ledger: Ledger, book: ReasonBook): number {
  const margin = Math.max(0, book.scoring.replaceMargin);
  const capacityBytes = ledger.capacityBytes;
  const heldPicks = (role: number): number[] => pool.withRole(role).filter((i) => pool.isIncumbent[i] === 1 && pool.selected[i] === 1);
  const replaceable = new BytesBelow(pool, heldPicks(MIXED));
  const protectedHeld = new BytesBelow(pool, heldPicks(PROTECTED));
  const free = ledger.freeBytes();

  let bestBlockedScore = -Infinity;
  for (let at = 0; at < mixed.length; at++) {
    const i = mixed[at] ?? 0;
    if (pool.selected[i] === 1 || pool.isIncumbent[i] === 1) continue;
    pool.action[i] = 'skip';
    const size = pool.chargeBytes[i] ?? 0;
    const score = pool.score[i] ?? 0;
    const miss = size > capacityBytes ? NO_MISS : ledger.quotaMissCode(pool.feedIds[i] ?? [], size);
    const by = pool.swappedFor[i] ?? -1;
    if (size > capacityBytes) {
      pool.reason[i] = book.largerThanBudget(size, capacityBytes);
    } else if (miss !== NO_MISS) {
      pool.reason[i] = book.overFeedQuota(miss, ledger);
    } else if (by >= 0) {
      pool.reason[i] = book.swappedOut(pool.score[by] ?? 0, pool.name[by] ?? '');
    } else {
      bestBlockedScore = Math.max(bestBlockedScore, score);
      // Held torrents it beats, but not by the margin; and those it beats by the margin but
      // that are still within their minimum seed time.
      const bar = score / (1 + margin);
      const withinMargin = replaceable.below(score) - replaceable.below(bar);
      if (size <= free + withinMargin) {
        pool.reason[i] = book.outscored(score, 'margin');
      } else if (size <= free + withinMargin + protectedHeld.below(bar)) {
        pool.reason[i] = book.outscored(score, 'seed-time');
      } else {
        pool.reason[i] = book.noDiskBudget(free, capacityBytes, size);
      }
    }
  }
  return bestBlockedScore;
}

/** Turns the selection into a Plan: a reason for every item. */
export function decide({ pool, ranked, mixed, ledger, capacity, input, book, bestBlockedScore }: DecideArgs): Plan {
  const margin = Math.max(0, input.policy.scoring.replaceMargin);
  for (let at = 0; at < mixed.length; at++) {
    const i = mixed[at] ?? 0;
    if (pool.deferred[i] === 1) {
      pool.action[i] = 'skip';
      pool.reason[i] = book.addLimit;
    }
  }

  for (let i = 0; i < pool.count; i++) {
    const incumbent = pool.isIncumbent[i] === 1;
    const selected = pool.selected[i] === 1;
    if (pool.role[i] === FIXED || (!incumbent && !selected)) continue;
    const c = pool.components[i];
    if (c === undefined) continue;
    if (pool.role[i] === PINNED) {
      pool.action[i] = 'keep';
      pool.reason[i] = book.pinned;
    } else if (!incumbent) {
      pool.action[i] = 'add';
      pool.reason[i] = book.needed(c);
    } else if (!selected) {
      pool.action[i] = 'remove';
      // A budget cut keeps the reason step 1 gave it.
      if (pool.budgetCut[i] === 0 || pool.reason[i] === null) pool.reason[i] = book.replaced(pool.score[i] ?? 0);
    } else if (pool.role[i] === PROTECTED && pool.inFeed[i] === 0) {
      pool.action[i] = 'keep';
      pool.reason[i] = book.minSeedTime('not-in-feed', pool.heldMs[i] ?? 0);
    } else if (pool.role[i] === PROTECTED && (pool.score[i] ?? 0) * (1 + margin) < bestBlockedScore) {
      pool.action[i] = 'keep';
      pool.reason[i] = book.minSeedTime('would-be-replaced', pool.heldMs[i] ?? 0);
    } else {
      pool.action[i] = 'keep';
      pool.reason[i] = book.kept(c);
    }
  }

  const desired: InfoHash[] = [];
  let committedBytes = 0;
  for (let i = 0; i < pool.count; i++) {
    if (pool.selected[i] === 1) {
      desired.push(pool.infoHash[i] as InfoHash);
      committedBytes += pool.chargeBytes[i] ?? 0;
    }
  }
  desired.sort(compareHash);
  const decisions: Decision[] = ranked.map((i) => toDecision(pool, i, ledger));
  return {
    nowMs: input.nowMs,
    desired,
    decisions,
    capacityBytes: capacity.capacityBytes,
    committedBytes,
    capacity,
    feeds: ledger.usage(),
  };
}

function toDecision(pool: Pool, i: number, ledger: Ledger): Decision {
  const action = pool.action[i] ?? null;
  const reason = pool.reason[i] ?? null;
  const infoHash = pool.infoHash[i] as InfoHash;
  const components = pool.components[i];
  if (action === null || reason === null || components === undefined) {
    throw new SmartnodeError('INTERNAL', `planner: no decision for ${infoHash} (role ${pool.role[i]})`, {
      hint: 'This is a bug in smartnode; please report it with `smartnode plan --json`.',
    });
  }
  const held = pool.held[i] ?? null;
  const size = pool.sizeBytes[i] ?? NaN;
  return {
    infoHash,
    name: pool.name[i] ?? '',
    action,
    score: pool.score[i] ?? 0,
    need: pool.need[i] ?? 0,
    components,
    reason,
    sizeBytes: Number.isNaN(size) ? null : size,
    feedId: pool.feedId[i] ?? ledger.roomiestFeed(pool.feedIds[i] ?? []),
    counts: pool.counts[i] ?? null,
    isHeld: held !== null,
    isOwned: held?.isOwned ?? false,
  };
}
