/**
 * The donated limits around a plan, pure: the disk reserve, the daily download
 * budget, a transfer cap that stops adds, and the confirmation a mass eviction waits for.
 *
 * - Disk reserve: when free space less what held torrents on the download filesystem have yet
 *   to write is below
 *   minFreeBytes, nothing is added; the planner runs over the held torrents only, so it
 *   evicts exactly what the shrunk capacity cannot keep, in its own order (least needed
 *   first, pins never, those within the minimum seed time last). Evictions for the reserve
 *   never wait for confirmation when the disk is full now; when only a raised minFreeBytes
 *   breaches it (the reserve in force still holds), they are a policy move and may wait.
 * - A plan that would remove more than maxEvictFraction of the owned bytes at once (a shrunk
 *   budget, a dropped feed) is held whole (no removal, no add) until confirmed.
 * - Adds are taken best first while they fit the day's remaining download budget; none when
 *   a transfer cap stops them.
 * Deferring an add only lowers committed bytes, so the planner's budget invariants still hold.
 */
import { diffPlan, type Action } from './diff.js';
import { compareHash, pendingWrites, type PendingWriter } from './items.js';
import { awaitingConfirmationReason, dailyBudgetReason, diskReserveReason, transferCapReason, type TransferCapStop } from './reasons.js';
import { planMirror } from './select.js';
import type { Decision, HeldTorrent, Plan, PlanInput, Reason, ReasonCode } from './types.js';

export interface PlanLimits {
  /** Bytes of new torrents that may still be added today; null = no daily budget. */
  addBudgetBytes: number | null;
  /** A monthly download cap that stops every add now, or null. */
  addsStopped: TransferCapStop | null;
  /** Fraction (0..1] of the owned bytes that may be removed at once without confirmation. */
  maxEvictFraction: number;
  /** A mass eviction was confirmed (`run --yes`, or the dashboard). */
  evictionConfirmed: boolean;
  /**
   * The reserve (minFreeBytes) the mirror was last planned under; null or absent: unknown. A
   * breach that only a raise above it causes is the policy's move, not a full disk: its
   * evictions wait for confirmation like any mass eviction.
   */
  reserveInForceBytes?: number | null;
}

/** No donated limit besides the disk reserve (which always holds). */
export const NO_LIMITS: PlanLimits = { addBudgetBytes: null, addsStopped: null, maxEvictFraction: 1, evictionConfirmed: true };

export interface PendingEviction {
  removes: number;
  removeBytes: number;
  ownedBytes: number;
  fraction: number;
  maxEvictFraction: number;
}

export interface DeferredAdd {
  infoHash: Decision['infoHash'];
  name: string;
  sizeBytes: number;
  code: ReasonCode;
}

export interface LimitedPlan {
  plan: Plan;
  actions: Action[];
  /** Free space (less pending writes) is below minFreeBytes: only evictions this tick. */
  reserveBreached: boolean;
  /** What the breach counted, when breached. */
  reserveBreach: ReserveBreach | null;
  /** Set when this plan's removals wait for confirmation (and nothing was applied). */
  pendingEviction: PendingEviction | null;
  /** Adds the plan wanted that a limit deferred, best first. */
  deferred: DeferredAdd[];
}

/** The numbers behind a breached disk reserve, so the message can say what it counted. */
export interface ReserveBreach {
  diskFreeBytes: number;
  minFreeBytes: number;
  pendingWriteBytes: number;
  /** The largest pending writers on the download filesystem (at most 5), most first. */
  writers: PendingWriter[];
  writerCount: number;
}

export function findReserveBreach(input: PlanInput): ReserveBreach | null {
  if (input.diskFreeBytes === null || !Number.isFinite(input.diskFreeBytes)) return null;
  const { pendingWriteBytes, writers } = pendingWrites(input.held);
  if (input.diskFreeBytes - pendingWriteBytes >= input.policy.minFreeBytes) return null;
  return {
    diskFreeBytes: input.diskFreeBytes,
    minFreeBytes: input.policy.minFreeBytes,
    pendingWriteBytes,
    writers: writers.slice(0, 5),
    writerCount: writers.length,
  };
}

export function planWithinLimits(input: PlanInput, limits: PlanLimits): LimitedPlan {
  const reserveBreach = findReserveBreach(input);
  const reserveBreached = reserveBreach !== null;
  let plan = reserveBreach !== null ? planForReserve(input, reserveBreach) : planMirror(input);
  const deferred: DeferredAdd[] = [];

  const heldByHash = new Map(input.held.map((h) => [h.infoHash, h]));
  const wantedAdds = plan.decisions.filter((d) => d.action === 'add');
  const removes = plan.decisions.filter((d) => d.action === 'remove');
  const pending = reserveBreached && !isPolicyRaise(input, limits) ? null : massEviction(input.held, removes, limits);

  if (pending !== null) {
    const wait = awaitingConfirmationReason(pending);
    plan = holdPlan(plan, wantedAdds, removes, wait, heldByHash);
    for (const d of wantedAdds) deferred.push(deferredOf(d, 'AWAITING_CONFIRMATION'));
  } else if (wantedAdds.length > 0) {
    const defer: Decision[] = [];
    const reasons = new Map<Decision, Reason>();
    let budget = limits.addBudgetBytes === null ? Infinity : Math.max(0, limits.addBudgetBytes);
    const stopped = limits.addsStopped === null ? null : transferCapReason(limits.addsStopped);
    const daily = dailyBudgetReason(budget === Infinity ? null : budget);
    // Best first: decisions are in score order.
    for (const d of wantedAdds) {
      const size = d.sizeBytes ?? 0;
      if (stopped !== null) reasons.set(d, stopped);
      else if (size > budget) reasons.set(d, daily);
      else budget -= size;
      if (reasons.has(d)) defer.push(d);
    }
    if (defer.length > 0) {
      plan = deferAdds(plan, defer, reasons);
      for (const d of defer) deferred.push(deferredOf(d, reasons.get(d)?.code ?? 'DAILY_BUDGET'));
    }
  }
  return { plan, actions: diffPlan(plan, input.held), reserveBreached, reserveBreach, pendingEviction: pending, deferred };
}

/**
 * The reserve is breached: plan over the held torrents alone (no candidate can be added, and
 * only what the capacity cannot keep is evicted); candidates the daemon does not hold are
 * shown as deferred by the reserve.
 */
function planForReserve(input: PlanInput, breach: ReserveBreach): Plan {
  const held = new Set(input.held.map((h) => h.infoHash));
  const planned = planMirror({ ...input, candidates: input.candidates.filter((c) => held.has(c.infoHash)) });
  const full = planMirror(input);
  const reserve = diskReserveReason(breach);
  const extra = full.decisions
    .filter((d) => !held.has(d.infoHash))
    .map((d): Decision => (d.action === 'add' ? { ...d, action: 'skip', reason: reserve } : d));
  const decisions = [...planned.decisions, ...extra].sort((a, b) => b.score - a.score || compareHash(a.infoHash, b.infoHash));
  return { ...planned, decisions };
}

/** The reserve is breached only because the policy raised it: under the reserve in force it holds. */
function isPolicyRaise(input: PlanInput, limits: PlanLimits): boolean {
  const inForce = limits.reserveInForceBytes;
  if (inForce === null || inForce === undefined || inForce >= input.policy.minFreeBytes) return false;
  return findReserveBreach({ ...input, policy: { ...input.policy, minFreeBytes: inForce } }) === null;
}

function massEviction(held: readonly HeldTorrent[], removes: readonly Decision[], limits: PlanLimits): PendingEviction | null {
  if (limits.evictionConfirmed || removes.length === 0) return null;
  let ownedBytes = 0;
  for (const h of held) if (h.isOwned) ownedBytes += Math.max(0, h.sizeBytes);
  if (ownedBytes <= 0) return null;
  let removeBytes = 0;
  for (const d of removes) removeBytes += Math.max(0, d.sizeBytes ?? 0);
  const fraction = removeBytes / ownedBytes;
  const max = Math.min(1, Math.max(0, limits.maxEvictFraction));
  if (fraction <= max) return null;
  return { removes: removes.length, removeBytes, ownedBytes, fraction, maxEvictFraction: max };
}

/** Nothing changes: adds become skips, removals keeps, all with the same hold reason. */
function holdPlan(
  plan: Plan,
  adds: readonly Decision[],
  removes: readonly Decision[],
  reason: Reason,
  held: ReadonlyMap<Decision['infoHash'], HeldTorrent>,
): Plan {
  const reasons = new Map<Decision, Reason>(adds.map((d) => [d, reason]));
  const deferredPlan = deferAdds(plan, adds, reasons);
  const kept = new Set(removes.map((d) => d.infoHash));
  let committedBytes = deferredPlan.committedBytes;
  for (const d of removes) committedBytes += held.get(d.infoHash)?.sizeBytes ?? d.sizeBytes ?? 0;
  const decisions = deferredPlan.decisions.map((d): Decision => (kept.has(d.infoHash) ? { ...d, action: 'keep', reason } : d));
  const desired = [...deferredPlan.desired, ...kept].sort(compareHash);
  return { ...deferredPlan, decisions, desired, committedBytes };
}

function deferAdds(plan: Plan, defer: readonly Decision[], reasons: ReadonlyMap<Decision, Reason>): Plan {
  if (defer.length === 0) return plan;
  const out = new Set(defer.map((d) => d.infoHash));
  let committedBytes = plan.committedBytes;
  const feeds = plan.feeds.map((f) => ({ ...f }));
  for (const d of defer) {
    committedBytes -= d.sizeBytes ?? 0;
    const usage = feeds.find((f) => f.feedId === d.feedId);
    if (usage !== undefined) {
      usage.usedBytes -= d.sizeBytes ?? 0;
      usage.usedTorrents -= 1;
    }
  }
  const byDecision = new Map(defer.map((d) => [d.infoHash, reasons.get(d)]));
  const decisions = plan.decisions.map((d): Decision => {
    const reason = out.has(d.infoHash) ? byDecision.get(d.infoHash) : undefined;
    return reason === undefined ? d : { ...d, action: 'skip', reason };
  });
  return { ...plan, decisions, desired: plan.desired.filter((h) => !out.has(h)), committedBytes, feeds };
}

function deferredOf(d: Decision, code: ReasonCode): DeferredAdd {
  return { infoHash: d.infoHash, name: d.name, sizeBytes: d.sizeBytes ?? 0, code };
}
