import { describe, expect, it } from 'vitest';
import { planMirror } from './select.js';
import { spareDesignated, spareOpen, type SpareFill } from './spare.js';
import { GB, aCandidate, aCounts, aHeld, aPlanInput, aPlanPolicy, hashOf } from './testing.js';
import type { Plan } from './types.js';

const swarm = (n: number, seeders: number, sizeGB: number, leechers = 0) =>
  aCandidate({ infoHash: hashOf(n), name: `t${n}`, sizeBytes: sizeGB * GB, counts: aCounts({ seeders, leechers }) });
const lone: SpareFill = { fillShare: 0.9, copiesMultiple: 1.5, nodeId: 'node-a', epoch: 1, nodes: 1 };
const actionOf = (plan: Plan, n: number) => plan.decisions.find((d) => d.infoHash === hashOf(n));

describe('spare copies', () => {
  it('fill the room the needy leave, fewest seeders first, up to the fill share, with their own reason', () => {
    const plan = planMirror(
      aPlanInput({
        // 100 GB: one needy torrent (10 GB), then well-seeded ones of 30 GB each.
        candidates: [swarm(1, 1, 10), swarm(2, 7, 30), swarm(3, 5, 30), swarm(4, 6, 30), swarm(5, 6, 30)],
        policy: aPlanPolicy({ maxBytes: 100 * GB, spare: lone }),
      }),
    );
    expect(actionOf(plan, 1)?.reason.code).toBe('NEEDED');
    // 90 GB may be filled: the needy 10 GB, then 5 seeders (30 GB), then one of the two at 6.
    expect(actionOf(plan, 3)?.action).toBe('add');
    expect(actionOf(plan, 3)?.reason.code).toBe('SPARE');
    expect(actionOf(plan, 3)?.reason.text).toContain('5 seeders meet the target of 5');
    expect([actionOf(plan, 4)?.action, actionOf(plan, 5)?.action].sort()).toEqual(['add', 'skip']);
    expect(actionOf(plan, 2)?.action).toBe('skip'); // 7 seeders: under 1.5 x 5 copies, but no room left under 90 %
    expect(plan.committedBytes).toBe(70 * GB);
    expect(plan.committedBytes).toBeLessThanOrEqual(0.9 * 100 * GB);
  });

  it('never go to a swarm at 1.5x the target in copies, one without a source, or one the daemon holds unowned', () => {
    const plan = planMirror(
      aPlanInput({
        candidates: [swarm(1, 5, 1, 3), swarm(2, 8, 1), swarm(3, 6, 1)],
        held: [aHeld({ infoHash: hashOf(3), isOwned: false })],
        policy: aPlanPolicy({ maxBytes: 100 * GB, spare: lone }),
      }),
    );
    expect(plan.desired).toEqual([]);
    expect(spareOpen(0, 0, 0, 1.5)).toBe(0); // a swarm with no seeder is never a spare
  });

  it('are off without the policy, and within the add limit', () => {
    const candidates = [swarm(1, 5, 1), swarm(2, 5, 1), swarm(3, 5, 1)];
    expect(planMirror(aPlanInput({ candidates, policy: aPlanPolicy({ maxBytes: 100 * GB }) })).desired).toEqual([]);
    const limited = planMirror(aPlanInput({ candidates, policy: aPlanPolicy({ maxBytes: 100 * GB, maxAddsPerTick: 2, spare: lone }) }));
    expect(limited.desired).toHaveLength(2);
  });

  it('give way to a needy torrent: a held spare copy has no need', () => {
    const plan = planMirror(
      aPlanInput({
        candidates: [swarm(1, 5, 60), swarm(2, 0, 60)],
        held: [aHeld({ infoHash: hashOf(1), sizeBytes: 60 * GB, counts: aCounts({ seeders: 6 }), addedAtMs: 0 })],
        policy: aPlanPolicy({ maxBytes: 100 * GB, spare: lone }),
        nowMs: 30 * 24 * 3_600_000,
      }),
    );
    expect(actionOf(plan, 2)?.action).toBe('add');
    expect(actionOf(plan, 1)?.action).toBe('remove');
  });

  it('spread over many nodes: each takes a swarm with the chance of half its room over the node count', () => {
    const nodes = 200;
    const takers = Array.from({ length: nodes }, (_, k) => spareDesignated({ ...lone, nodeId: `n${k}`, nodes }, hashOf(1), 5, 3)).filter(
      Boolean,
    ).length;
    // Expected 0.5 x 3 = 1.5 takers of 200; far below a herd.
    expect(takers).toBeLessThanOrEqual(6);
    expect(spareDesignated({ ...lone, nodes: 1 }, hashOf(1), 5, 3)).toBe(true);
  });
});
