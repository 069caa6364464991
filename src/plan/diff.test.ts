import { describe, expect, it } from 'vitest';
import { diffPlan, type Action } from './diff.js';
import { planMirror } from './select.js';
import { FIXED_NOW_MS, GB, HOUR_MS, aCandidate, aCounts, aHeld, aPlanInput, hashOf, simulateActions } from './testing.js';

describe('diffPlan', () => {
  const held = [
    aHeld({ infoHash: hashOf(1), name: 'old', addedAtMs: FIXED_NOW_MS - 100 * HOUR_MS }),
    aHeld({ infoHash: hashOf(2), name: 'kept' }),
    aHeld({ infoHash: hashOf(3), name: 'theirs', isOwned: false }),
  ];
  const input = aPlanInput({
    held,
    candidates: [
      aCandidate({ infoHash: hashOf(2), name: 'kept', counts: aCounts({ seeders: 2 }) }),
      aCandidate({ infoHash: hashOf(4), name: 'new', sizeBytes: 3 * GB, counts: aCounts({ seeders: 0 }) }),
      aCandidate({ infoHash: hashOf(3), name: 'theirs', counts: aCounts({ seeders: 0 }) }),
    ],
  });

  it('removes what is ours and not desired, then adds what is desired and absent', () => {
    const plan = planMirror(input);
    const actions = diffPlan(plan, held);
    expect(actions).toEqual([
      expect.objectContaining({
        kind: 'remove',
        infoHash: hashOf(1),
        name: 'old',
        reason: expect.objectContaining({ code: 'NO_LONGER_IN_FEED' }),
      }),
      expect.objectContaining({
        kind: 'add',
        infoHash: hashOf(4),
        name: 'new',
        sizeBytes: 3 * GB,
        feedId: 'feed-a',
        reason: expect.objectContaining({ code: 'NEEDED' }),
      }),
    ]);
  });

  it('leaves an owned torrent the plan has never seen for the next plan', () => {
    const plan = planMirror(input);
    const later = [...held, aHeld({ infoHash: hashOf(9), name: 'appeared since' })];
    expect(diffPlan(plan, later).some((a) => a.infoHash === hashOf(9))).toBe(false);
  });

  it('never names a torrent that is not ours, even if a plan lists it as desired', () => {
    const plan = { ...planMirror(input), desired: [hashOf(2), hashOf(3), hashOf(4)] };
    expect(diffPlan(plan, held).map((a) => a.infoHash)).not.toContain(hashOf(3));
  });
});

describe('simulateActions', () => {
  it('is idempotent and only removes owned torrents', () => {
    const held = [aHeld({ infoHash: hashOf(1) }), aHeld({ infoHash: hashOf(2), isOwned: false })];
    const reason = { code: 'REPLACED' as const, text: 'x', details: {} };
    const actions: Action[] = [
      { kind: 'remove', infoHash: hashOf(1), name: 'a', reason },
      { kind: 'remove', infoHash: hashOf(2), name: 'b', reason },
      { kind: 'add', infoHash: hashOf(3), name: 'c', sizeBytes: GB, feedId: 'feed-a', reason },
      { kind: 'add', infoHash: hashOf(2), name: 'b', sizeBytes: GB, feedId: 'feed-a', reason },
    ];
    const once = simulateActions(held, actions, FIXED_NOW_MS);
    expect(simulateActions(once, actions, FIXED_NOW_MS)).toEqual(once);
    expect(once.map((h) => [h.infoHash, h.isOwned])).toEqual([
      [hashOf(2), false],
      [hashOf(3), true],
    ]);
    expect(once[1]).toMatchObject({ leftUntilDoneBytes: GB, addedAtMs: FIXED_NOW_MS, feedIds: ['feed-a'] });
  });
});
