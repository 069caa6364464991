import { describe, expect, it } from 'vitest';
import { planWithAvailability, type AvailabilityInput } from './availability.js';
import { NO_LIMITS } from './limits.js';
import { GB, HOUR_MS, aCandidate, aCounts, aHeld, aPlanInput, aPlanPolicy, hashOf } from './testing.js';

const policy = { noSourceShare: 0.1, stalledAfterMs: 24 * HOUR_MS, backoffMs: 72 * HOUR_MS };
const none = (over: Partial<AvailabilityInput> = {}): AvailabilityInput => ({
  policy,
  stalled: new Set(),
  backingOff: new Map(),
  webSeeds: new Map(),
  ...over,
});

describe('planWithAvailability', () => {
  // Ten no-source torrents of 1 GB and ten with one seeder, a 10 GB budget: 10 % may wait on no source.
  const candidates = [
    ...Array.from({ length: 10 }, (_, i) =>
      aCandidate({ infoHash: hashOf(i + 1), name: `dark${i}`, counts: aCounts({ seeders: 0, leechers: 3 }) }),
    ),
    ...Array.from({ length: 10 }, (_, i) => aCandidate({ infoHash: hashOf(i + 11), name: `lit${i}`, counts: aCounts({ seeders: 2 }) })),
  ];
  const input = aPlanInput({ candidates, policy: aPlanPolicy({ maxBytes: 10 * GB }) });

  it('lets a bounded share of the budget wait on torrents with no source; the rest goes to downloads that can progress', () => {
    const plain = planWithAvailability(input, NO_LIMITS, null);
    expect(plain.actions.filter((a) => a.kind === 'add' && a.name.startsWith('dark'))).toHaveLength(10);
    const limited = planWithAvailability(input, NO_LIMITS, none());
    const adds = limited.actions.filter((a) => a.kind === 'add');
    expect(adds.filter((a) => a.name.startsWith('dark'))).toHaveLength(1);
    expect(adds.filter((a) => a.name.startsWith('lit'))).toHaveLength(9);
    const skipped = limited.plan.decisions.filter((d) => d.reason.code === 'NO_SOURCE');
    expect(skipped).toHaveLength(9);
    expect(skipped[0]?.reason.text).toMatch(/no complete seeder and no web seed/);
  });

  it('a web seed is a source', () => {
    const webSeeds = new Map(candidates.slice(0, 10).map((c) => [c.infoHash, 1]));
    const adds = planWithAvailability(input, NO_LIMITS, none({ webSeeds })).actions.filter(
      (a) => a.kind === 'add' && a.name.startsWith('dark'),
    );
    expect(adds).toHaveLength(10);
  });

  it('removes a stalled download and does not take a backing-off one again, each with reason STALLED', () => {
    const held = [aHeld({ infoHash: hashOf(11), name: 'lit0', leftUntilDoneBytes: GB, addedAtMs: input.nowMs - 3 * 24 * HOUR_MS })];
    const limited = planWithAvailability(
      { ...input, held },
      NO_LIMITS,
      none({ stalled: new Set([hashOf(11)]), backingOff: new Map([[hashOf(12), input.nowMs + 30 * HOUR_MS]]) }),
    );
    const remove = limited.actions.find((a) => a.kind === 'remove');
    expect(remove?.infoHash).toBe(hashOf(11));
    // The removal itself (what apply logs) says STALLED, not the BANNED it was planned as.
    expect(remove?.reason.code).toBe('STALLED');
    expect(limited.plan.decisions.find((d) => d.infoHash === hashOf(11))?.reason.code).toBe('STALLED');
    expect(limited.plan.decisions.find((d) => d.infoHash === hashOf(12))).toMatchObject({ action: 'skip', reason: { code: 'STALLED' } });
    // Each says when its backoff ends: the held one a full backoff from now, the other when its own ends.
    const ends = (n: number) => limited.plan.decisions.find((d) => d.infoHash === hashOf(n))?.reason;
    expect(ends(11)?.details).toMatchObject({ backoffUntilMs: input.nowMs + 72 * HOUR_MS });
    expect(ends(11)?.text).toMatch(/not taken again before \d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 3d\)/);
    expect(ends(12)?.text).toMatch(/stalled here before: not taken again before .* UTC \(in 30h\)/);
  });

  it('releases a surplus copy with reason SURPLUS; a pinned or banned one keeps its own decision', () => {
    const held = [
      aHeld({ infoHash: hashOf(11), name: 'lit0' }),
      aHeld({ infoHash: hashOf(12), name: 'lit1', pinned: true }),
      aHeld({ infoHash: hashOf(13), name: 'lit2', banned: true }),
    ];
    const copies = new Map([hashOf(11), hashOf(12), hashOf(13)].map((h) => [h, 12]));
    const limited = planWithAvailability({ ...input, held }, NO_LIMITS, null, { copies, targetSeeders: 5 });
    const byHash = (n: number) => limited.plan.decisions.find((d) => d.infoHash === hashOf(n));
    expect(byHash(11)).toMatchObject({ action: 'remove', reason: { code: 'SURPLUS', details: { copies: 12, targetSeeders: 5 } } });
    expect(byHash(11)?.reason.text).toMatch(/12 copies .* more than twice the target/);
    expect(byHash(12)).toMatchObject({ action: 'keep', reason: { code: 'PINNED' } });
    expect(byHash(13)).toMatchObject({ action: 'remove', reason: { code: 'BANNED' } });
    const removals = new Map(limited.actions.filter((a) => a.kind === 'remove').map((a) => [a.infoHash, a.reason.code]));
    expect(removals).toEqual(
      new Map([
        [hashOf(11), 'SURPLUS'],
        [hashOf(13), 'BANNED'],
      ]),
    );
  });
});
