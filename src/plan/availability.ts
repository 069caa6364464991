/**
 * Downloads that can finish, pure: a torrent's sources are complete seeders and web seeds
 * (BEP 19 url-list, BEP 17 httpseeds, which Transmission uses). A bounded share of the budget
 * may wait on torrents with no source (data with no complete copy is the most at risk, and a
 * returning seeder is best met by copies already in place); beyond it the budget goes to
 * downloads that can progress (NO_SOURCE). A held download that made no progress for
 * `stalledAfterMs` is removed (STALLED) and not taken again before its backoff ends.
 */
import { planWithinLimits, type LimitedPlan, type PlanLimits } from './limits.js';
import { compareHash } from './items.js';
import { noSourceReason, stalledReason, surplusReason } from './reasons.js';
import type { AvailabilityPolicy, Candidate, Decision, PlanInput } from './types.js';
import type { InfoHash } from '../shared/index.js';

export interface AvailabilityInput {
  policy: AvailabilityPolicy;
  /** Held downloads stalled for longer than stalledAfterMs (removed now). */
  stalled: ReadonlySet<InfoHash>;
  /** Candidates still backing off after a stall, each with when its backoff ends (ms). */
  backingOff: ReadonlyMap<InfoHash, number>;
  /** Web seeds per info-hash, from the .torrent (absent: none known). */
  webSeeds: ReadonlyMap<InfoHash, number>;
}

const NO_AVAILABILITY: AvailabilityPolicy = { noSourceShare: 1, stalledAfterMs: Number.POSITIVE_INFINITY, backoffMs: 0 };

export function hasNoSource(c: Pick<Candidate, 'infoHash' | 'counts'>, webSeeds: ReadonlyMap<InfoHash, number>): boolean {
  return c.counts !== null && c.counts.seeders === 0 && (webSeeds.get(c.infoHash) ?? 0) === 0;
}

/** Held copies this node releases (SURPLUS), each with its swarm's copies and the target. */
export interface SurplusInput {
  copies: ReadonlyMap<InfoHash, number>;
  targetSeeders: number;
}

export function planWithAvailability(
  input: PlanInput,
  limits: PlanLimits,
  given: AvailabilityInput | null,
  surplus?: SurplusInput,
): LimitedPlan {
  const released = surplus?.copies ?? new Map<InfoHash, number>();
  if (given === null && released.size === 0) return planWithinLimits(input, limits);
  // Without an availability policy nothing waits, stalls or backs off: only the surplus is released.
  const a: AvailabilityInput = given ?? { policy: NO_AVAILABILITY, stalled: new Set(), backingOff: new Map(), webSeeds: new Map() };
  // Released now (stalled or surplus) and not banned by the owner: planned as banned (let go at
  // once), then each decision and removal relabelled with why it was released.
  const releasing = new Set<InfoHash>();
  for (const h of input.held) {
    if (h.isOwned && h.pinned !== true && h.banned !== true && (a.stalled.has(h.infoHash) || released.has(h.infoHash)))
      releasing.add(h.infoHash);
  }
  const held = input.held.map((h) => (releasing.has(h.infoHash) ? { ...h, banned: true } : h));
  const heldHashes = new Set(input.held.map((h) => h.infoHash));
  const first = planWithinLimits({ ...input, held }, limits);

  // No-source bytes already held (downloads not complete) count against the share.
  const byHash = new Map(input.candidates.map((c) => [c.infoHash, c]));
  let waiting = 0;
  for (const h of held) {
    const c = byHash.get(h.infoHash);
    if (h.isOwned && !h.banned && h.leftUntilDoneBytes > 0 && c !== undefined && hasNoSource(c, a.webSeeds)) waiting += h.sizeBytes;
  }
  const shareBytes = Math.max(0, a.policy.noSourceShare) * input.policy.maxBytes;
  const excluded = new Map<InfoHash, 'NO_SOURCE' | 'STALLED'>();
  let replan = false;
  for (const d of first.plan.decisions) {
    if (a.backingOff.has(d.infoHash) && !heldHashes.has(d.infoHash)) {
      excluded.set(d.infoHash, 'STALLED');
      replan ||= d.action === 'add';
      continue;
    }
    if (d.action !== 'add') continue;
    if (given !== null && hasNoSource(d, a.webSeeds)) {
      const size = d.sizeBytes ?? 0;
      if (waiting + size <= shareBytes) waiting += size;
      else {
        excluded.set(d.infoHash, 'NO_SOURCE');
        replan = true;
      }
    }
  }
  const relabel = (plan: LimitedPlan, extra: Decision[]): LimitedPlan => {
    const noSource = noSourceReason(shareBytes, a.policy.noSourceShare);
    const decisions = [...plan.plan.decisions, ...extra].map((d): Decision => {
      const copies = released.get(d.infoHash);
      if (releasing.has(d.infoHash) && !a.stalled.has(d.infoHash) && copies !== undefined && d.reason.code === 'BANNED')
        return { ...d, reason: surplusReason(copies, surplus?.targetSeeders ?? 0) };
      if (releasing.has(d.infoHash) && a.stalled.has(d.infoHash) && d.reason.code === 'BANNED')
        return { ...d, reason: stalledReason(a.policy.stalledAfterMs, input.nowMs + a.policy.backoffMs, input.nowMs, true) };
      const backoffUntilMs = a.backingOff.get(d.infoHash);
      if (excluded.get(d.infoHash) === 'STALLED' && d.action === 'skip' && backoffUntilMs !== undefined)
        return { ...d, reason: stalledReason(a.policy.stalledAfterMs, backoffUntilMs, input.nowMs, false) };
      if (excluded.get(d.infoHash) === 'NO_SOURCE') return { ...d, reason: noSource };
      return d;
    });
    decisions.sort((x, y) => y.score - x.score || compareHash(x.infoHash, y.infoHash));
    // A removal says why its decision says: stalled or surplus, never the banned it was planned as.
    const reasons = new Map(decisions.map((d) => [d.infoHash, d.reason]));
    const actions = plan.actions.map((a) => (a.kind === 'remove' ? { ...a, reason: reasons.get(a.infoHash) ?? a.reason } : a));
    return { ...plan, actions, plan: { ...plan.plan, decisions } };
  };
  if (!replan) return relabel(first, []);
  // Plan again without them, so their budget goes to downloads that can progress.
  const second = planWithinLimits({ ...input, held, candidates: input.candidates.filter((c) => !excluded.has(c.infoHash)) }, limits);
  const extra = first.plan.decisions.filter((d) => excluded.has(d.infoHash)).map((d): Decision => ({ ...d, action: 'skip' }));
  return relabel(second, extra);
}
