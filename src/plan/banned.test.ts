import { describe, expect, it } from 'vitest';
import { diffPlan } from './diff.js';
import { planMirror } from './select.js';
import { FIXED_NOW_MS, HOUR_MS, aCandidate, aCounts, aHeld, aPlanInput, hashOf } from './testing.js';

// A ban is the owner's word: an owned banned torrent goes at once, whatever pins, the minimum
// seed time or its need say. (The agent also drops banned torrents from the candidates.)
describe('planMirror: banned torrents', () => {
  const fresh = FIXED_NOW_MS - 1 * HOUR_MS; // well within the 72 h minimum seed time

  it('removes a banned owned torrent within its minimum seed time, with the BANNED reason', () => {
    const held = [aHeld({ infoHash: hashOf(1), name: 'b', addedAtMs: fresh, banned: true })];
    const plan = planMirror(aPlanInput({ held }));
    expect(plan.desired).toEqual([]);
    const decision = plan.decisions.find((d) => d.infoHash === hashOf(1));
    expect(decision?.action).toBe('remove');
    expect(decision?.reason.code).toBe('BANNED');
    expect(diffPlan(plan, held)).toEqual([
      expect.objectContaining({ kind: 'remove', infoHash: hashOf(1), reason: expect.objectContaining({ code: 'BANNED' }) }),
    ]);
  });

  it('a ban beats a pin', () => {
    const held = [aHeld({ infoHash: hashOf(2), addedAtMs: fresh, pinned: true, banned: true })];
    const plan = planMirror(aPlanInput({ held }));
    expect(plan.desired).toEqual([]);
    expect(plan.decisions[0]?.reason.code).toBe('BANNED');
  });

  it('the same torrent unbanned, still listed and needed, is kept', () => {
    const held = [aHeld({ infoHash: hashOf(3), addedAtMs: fresh })];
    const candidates = [aCandidate({ infoHash: hashOf(3), counts: aCounts({ seeders: 0 }) })];
    const plan = planMirror(aPlanInput({ held, candidates }));
    expect(plan.desired).toEqual([hashOf(3)]);
  });
});
