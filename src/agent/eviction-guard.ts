/**
 * The confirmation a mass eviction waits for (policy limits.maxEvictFraction). The planner's
 * limits (plan/limits.ts) hold a plan that would remove too much at once; the owner confirms
 * with `smartnode run --yes` (always confirmed) or once from the dashboard (`confirm()`), and
 * the next tick carries it out. A confirmation is spent by the tick that uses it.
 */
import type { PendingEviction } from '../plan/index.js';

export interface EvictionGuard {
  /** Whether this tick may remove more than the fraction. */
  isConfirmed(): boolean;
  /** Confirms the pending eviction (the dashboard's action); the next tick applies it. */
  confirm(): void;
  /** What waits for confirmation now, or null. */
  pending(): PendingEviction | null;
  /**
   * The disk reserve the mirror was last planned under without holding anything: a reserve
   * raised above it by a policy edit evicts only once confirmed. Null before the first tick.
   */
  reserveInForce(): number | null;
  /** Called by each tick with what it held back (null when nothing waits) and the reserve it planned under. */
  settle(held: PendingEviction | null, usedConfirmation: boolean, minFreeBytes?: number): void;
}

export function createEvictionGuard(options: { alwaysConfirmed: boolean }): EvictionGuard {
  let confirmed = false;
  let waiting: PendingEviction | null = null;
  let reserve: number | null = null;
  return {
    isConfirmed: () => options.alwaysConfirmed || confirmed,
    confirm() {
      confirmed = true;
    },
    pending: () => waiting,
    reserveInForce: () => reserve,
    settle(held, usedConfirmation, minFreeBytes) {
      waiting = held;
      if (held === null && minFreeBytes !== undefined) reserve = minFreeBytes;
      if (usedConfirmation) confirmed = false;
    },
  };
}
