import type { Pool } from './pool.js';
import { FIXED } from './pool.js';
import type { PlanFeedQuota, PlanInput } from './types.js';

/**
 * Feed shares and weights (policy `feeds[].share`, `feeds[].weight`). Pure.
 *
 * A share is a fraction of the disk budget: it becomes a byte quota of share x capacity,
 * combined with the feed's own maxBytes (the smaller wins), before selection starts, so the
 * ledger, the reasons (OVER_FEED_QUOTA names the feed and its limit) and the invariants see
 * one quota per feed. The capacity is this plan's (disk- or maxBytes-limited), so shares
 * divide what can really be held.
 */
export function withFeedShares(input: PlanInput, capacityBytes: number): PlanInput {
  if (!input.policy.feeds.some((f) => f.share !== undefined && f.share !== null)) return input;
  const feeds = input.policy.feeds.map((f) => shareQuota(f, capacityBytes));
  return { ...input, policy: { ...input.policy, feeds } };
}

export function shareQuota(feed: PlanFeedQuota, capacityBytes: number): PlanFeedQuota {
  const share = feed.share;
  if (share === undefined || share === null || !(share > 0)) return feed;
  const fromShare = Math.floor(Math.min(1, share) * Math.max(0, capacityBytes));
  return { ...feed, maxBytes: feed.maxBytes === null ? fromShare : Math.min(feed.maxBytes, fromShare) };
}

/**
 * Multiplies every item's score, selection key and swap value by the largest weight among
 * its policy feeds (1 when it lists none, or every weight is 1). Need itself (what the swarm
 * lacks) is not weighted: the weight is the owner's priority, applied where choices are made.
 */
export function applyFeedWeights(pool: Pool, feeds: readonly PlanFeedQuota[]): void {
  const weights = new Map<string, number>();
  for (const f of feeds) {
    const w = f.weight;
    if (w !== undefined && Number.isFinite(w) && w > 0 && w !== 1) weights.set(f.id, w);
  }
  if (weights.size === 0) return;
  for (let i = 0; i < pool.count; i++) {
    let weight = 0;
    for (const id of pool.feedIds[i] ?? []) weight = Math.max(weight, weights.get(id) ?? 1);
    if (weight === 0 || weight === 1) continue;
    pool.score[i] = (pool.score[i] ?? 0) * weight;
    if (pool.role[i] === FIXED) continue;
    pool.key[i] = (pool.key[i] ?? 0) * weight;
    pool.value[i] = (pool.value[i] ?? 0) * weight;
  }
}
