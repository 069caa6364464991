import { SmartnodeError } from '../shared/index.js';
import { compareHash, type Item } from './items.js';
import type { Ledger } from './ledger.js';
import {
  addLimitReason,
  keptReason,
  largerThanBudgetReason,
  minSeedTimeReason,
  neededReason,
  noDiskBudgetReason,
  outscoredReason,
  overFeedQuotaReason,
  pinnedReason,
  replacedReason,
  swappedOutReason,
} from './reasons.js';
import type { Decision, Plan, PlanCapacity, PlanInput } from './types.js';

interface DecideArgs {
  items: Item[];
  mixed: Item[];
  ledger: Ledger;
  capacity: PlanCapacity;
  input: PlanInput;
}

/** Sizes of held picks sorted by score, to ask "how many bytes score below x?" quickly. */
class BytesBelow {
  private readonly scores: number[] = [];
  private readonly prefix: number[] = [0];
  constructor(items: Item[]) {
    const sorted = items.slice().sort((a, b) => a.result.score - b.result.score);
    for (const it of sorted) {
      this.scores.push(it.result.score);
      this.prefix.push((this.prefix[this.prefix.length - 1] ?? 0) + it.chargeBytes);
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

/** Turns the selection into a Plan: a reason for every item, measured on the final state. */
export function decide({ items, mixed, ledger, capacity, input }: DecideArgs): Plan {
  const { scoring, maxAddsPerTick } = input.policy;
  const target = scoring.targetSeeders;
  const margin = Math.max(0, scoring.replaceMargin);
  const capacityBytes = capacity.capacityBytes;

  const replaceable = new BytesBelow(mixed.filter((i) => i.isIncumbent && i.selected));
  const protectedHeld = new BytesBelow(items.filter((i) => i.role === 'protected' && i.selected));

  let bestBlockedScore = -Infinity;
  for (const it of mixed) {
    if (it.selected || it.isIncumbent) continue;
    const size = it.chargeBytes;
    if (size > capacityBytes) {
      it.reason = largerThanBudgetReason(size, capacityBytes);
    } else if (it.deferred) {
      it.reason = addLimitReason(maxAddsPerTick);
    } else {
      const fit = ledger.fit(it.feedIds, size);
      if (fit.ok) {
        // It fits the final state only because deferred adds released their space.
        it.reason = addLimitReason(maxAddsPerTick);
      } else if (fit.why === 'feed') {
        it.reason = overFeedQuotaReason(fit.miss, size);
      } else if (it.swappedFor !== null) {
        it.reason = swappedOutReason(it.result.score, it.swappedFor.result.score, it.swappedFor.name);
      } else {
        bestBlockedScore = Math.max(bestBlockedScore, it.result.score);
        const free = ledger.freeBytes();
        const score = it.result.score;
        if (free + replaceable.below(score) >= size) {
          it.reason = outscoredReason(score, 'margin', margin, scoring.minSeedTimeMs);
        } else if (free + replaceable.below(score) + protectedHeld.below(score) >= size) {
          it.reason = outscoredReason(score, 'seed-time', margin, scoring.minSeedTimeMs);
        } else {
          it.reason = noDiskBudgetReason(size, free, capacityBytes, false);
        }
      }
    }
    it.action = 'skip';
  }

  for (const it of items) {
    if (it.role === 'fixed' || (!it.isIncumbent && !it.selected)) continue;
    const c = it.result.components;
    if (it.role === 'pinned') {
      it.action = 'keep';
      it.reason = pinnedReason();
    } else if (!it.isIncumbent) {
      it.action = 'add';
      it.reason = neededReason(c, it.result.score, target);
    } else if (!it.selected) {
      it.action = 'remove';
      it.reason = replacedReason(it.result.score, margin);
    } else if (it.role === 'protected' && !it.inFeed) {
      it.action = 'keep';
      it.reason = minSeedTimeReason('not-in-feed', it.heldMs, scoring.minSeedTimeMs);
    } else if (it.role === 'protected' && it.result.score * (1 + margin) < bestBlockedScore) {
      it.action = 'keep';
      it.reason = minSeedTimeReason('would-be-replaced', it.heldMs, scoring.minSeedTimeMs);
    } else {
      it.action = 'keep';
      it.reason = keptReason(c, it.result.score, target);
    }
  }

  const decisions: Decision[] = [];
  const desired = [];
  let committedBytes = 0;
  for (const it of items) {
    if (it.selected) {
      desired.push(it.infoHash);
      committedBytes += it.chargeBytes;
    }
    decisions.push(toDecision(it, ledger));
  }
  desired.sort(compareHash);
  decisions.sort((a, b) => b.score - a.score || compareHash(a.infoHash, b.infoHash));
  return {
    nowMs: input.nowMs,
    desired,
    decisions,
    capacityBytes,
    committedBytes,
    capacity,
    feeds: ledger.usage(),
  };
}

function toDecision(it: Item, ledger: Ledger): Decision {
  if (it.action === null || it.reason === null) {
    throw new SmartnodeError('INTERNAL', `planner: no decision for ${it.infoHash} (role ${it.role})`, {
      hint: 'This is a bug in smartnode; please report it with `smartnode plan --json`.',
    });
  }
  return {
    infoHash: it.infoHash,
    name: it.name,
    action: it.action,
    score: it.result.score,
    need: it.result.need,
    components: it.result.components,
    reason: it.reason,
    sizeBytes: it.sizeBytes,
    feedId: it.feedId ?? ledger.roomiestFeed(it.feedIds),
    counts: it.counts,
    isHeld: it.held !== null,
    isOwned: it.held?.isOwned ?? false,
  };
}
