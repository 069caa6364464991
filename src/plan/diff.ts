import type { InfoHash } from '../shared/index.js';
import { compareHash } from './items.js';
import type { Decision, HeldTorrent, Plan, Reason } from './types.js';

export type Action =
  | {
      kind: 'add';
      infoHash: InfoHash;
      name: string;
      sizeBytes: number;
      feedId: string | null;
      reason: Reason;
    }
  | { kind: 'remove'; infoHash: InfoHash; name: string; reason: Reason };

/**
 * What to do so that the owned torrents become exactly `plan.desired`: removes first (they free
 * space), then adds, each sorted by info-hash. A torrent the daemon holds without our label is
 * never named, whatever the plan says: it is neither added (it is there) nor removed. An owned
 * torrent the plan has no decision for (it appeared after planning) is left for the next plan.
 * Each action is safe to repeat: "add if absent", "remove if present and ours".
 */
export function diffPlan(plan: Plan, held: readonly HeldTorrent[]): Action[] {
  const heldByHash = new Map<InfoHash, HeldTorrent>();
  for (const h of held) heldByHash.set(h.infoHash, h);
  const desired = new Set(plan.desired);
  const decisionByHash = new Map<InfoHash, Decision>();
  for (const d of plan.decisions) decisionByHash.set(d.infoHash, d);

  const removes: Action[] = [];
  const ownedHeld = [...heldByHash.values()].filter((h) => h.isOwned).sort((a, b) => compareHash(a.infoHash, b.infoHash));
  for (const h of ownedHeld) {
    if (desired.has(h.infoHash)) continue;
    // A torrent the plan never saw (added since it was computed) waits for the next plan.
    const decision = decisionByHash.get(h.infoHash);
    if (decision === undefined) continue;
    removes.push({ kind: 'remove', infoHash: h.infoHash, name: h.name, reason: decision.reason });
  }

  const adds: Action[] = [];
  for (const hash of [...desired].sort(compareHash)) {
    if (heldByHash.has(hash)) continue;
    const decision = decisionByHash.get(hash);
    if (decision === undefined) continue;
    adds.push({
      kind: 'add',
      infoHash: hash,
      name: decision.name,
      sizeBytes: decision.sizeBytes ?? 0,
      feedId: decision.feedId,
      reason: decision.reason,
    });
  }
  return [...removes, ...adds];
}
