/**
 * Spare copies: donated disk that the swarms' needs leave empty goes to the least-replicated
 * well-seeded torrents, so that when their outside seeders leave, a copy is already in place.
 * Pure.
 *
 * A swarm at its seeder target needs nothing now, but seeders come and go: with a handful of
 * volunteers, the node that holds everything it can is the one whose data survives the
 * departures. Idle donated disk helps no one. So, once the needy torrents this node may take
 * are placed (the greedy and swap passes, and the add limit, have run), the room left up to
 * `fillShare` of the capacity takes well-seeded swarms:
 * - only those with a complete source (seeders > 0), counted, of known size, not held by the
 *   daemon, and below `copiesMultiple` x target in copies (seeders and leechers), which stays
 *   under the surplus-release level (herd.ts, SURPLUS_MULTIPLE), so spare copies never feed a
 *   take-and-release cycle;
 * - each node by its own draw (rendezvous hash of node, swarm, count, epoch) under
 *   HERD_SHARE x (room under the multiple) / nodes, the same share the needy draw uses: many
 *   nodes with spare disk spread over the swarms instead of piling onto the least seeded one;
 * - fewest seeders first, then smallest (more swarms get a spare copy), ties by info-hash;
 * - within the add limit's remaining slots.
 * A spare copy, once held, has no need (the swarm is at target without it), so it is the
 * first to give way when a needy torrent wants its space; the room above `fillShare` is left
 * for needy torrents arriving between ticks.
 */
import { HERD_SHARE, herdDrawFor } from './herd.js';
import type { Placement } from './placement.js';
import { FIXED, type Pool } from './pool.js';
import type { ReasonBook } from './reasons.js';
import type { SpareFill } from './types.js';

export type { SpareFill } from './types.js';

/** The default share of the capacity spare copies may fill. */
export const SPARE_FILL_SHARE = 0.9;
/** Spare copies stop at this multiple of the target in copies (below SURPLUS_MULTIPLE). */
export const SPARE_COPIES_MULTIPLE = 1.2;

/** Whether this node's draw designates it to hold a spare copy of a swarm with `open` copies of room. */
export function spareDesignated(spare: SpareFill, infoHash: string, seeders: number, open: number): boolean {
  if (open <= 0) return false;
  const probability = Math.min(1, (HERD_SHARE * open) / Math.max(1, spare.nodes));
  return herdDrawFor(spare.nodeId, `${infoHash}:spare`, seeders, spare.epoch) < probability;
}

/** Room under the multiple, in copies, for a swarm with these counts (0: none). */
export function spareOpen(seeders: number, leechers: number, targetSeeders: number, copiesMultiple: number): number {
  if (seeders <= 0 || seeders < targetSeeders) return 0;
  return Math.max(0, Math.ceil(copiesMultiple * Math.max(1, targetSeeders)) - seeders - Math.max(0, leechers));
}

/** Step 5 of planMirror: spare copies into the room the needy left (see the file comment). */
export function fillSpare(
  pool: Pool,
  placed: Placement,
  spare: SpareFill,
  targetSeeders: number,
  addsLeft: number,
  book: ReasonBook,
): void {
  if (spare.fillShare <= 0 || addsLeft <= 0) return;
  const { ledger } = placed;
  let room = spare.fillShare * ledger.capacityBytes - ledger.usedBytes;
  if (room <= 0) return;
  const picks: number[] = [];
  for (let i = 0; i < pool.count; i++) {
    if (pool.role[i] !== FIXED || pool.action[i] !== 'skip' || pool.reason[i]?.code !== 'WELL_SEEDED') continue;
    const c = pool.counts[i];
    const size = pool.chargeBytes[i] ?? 0;
    if (pool.held[i] !== null || c === null || c === undefined || !(size > 0) || size > room) continue;
    const open = spareOpen(c.seeders, c.leechers, targetSeeders, spare.copiesMultiple);
    if (spareDesignated(spare, pool.infoHash[i] as string, c.seeders, open)) picks.push(i);
  }
  picks.sort(
    (a, b) =>
      (pool.counts[a]?.seeders ?? 0) - (pool.counts[b]?.seeders ?? 0) ||
      (pool.chargeBytes[a] ?? 0) - (pool.chargeBytes[b] ?? 0) ||
      pool.compareHash(a, b),
  );
  for (const i of picks) {
    if (addsLeft <= 0) break;
    const size = pool.chargeBytes[i] ?? 0;
    if (size > room || !placed.tryCharge(i)) continue;
    room -= size;
    addsLeft--;
    pool.action[i] = 'add';
    pool.reason[i] = book.spare(pool.counts[i]?.seeders ?? 0);
  }
}
