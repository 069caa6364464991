import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planWithinLimits, type PlanLimits } from './limits.js';
import { describeReserveBreach } from './reasons.js';
import { shareQuota } from './feed-quotas.js';
import { planMirror } from './select.js';
import { FIXED_NOW_MS, GB, HOUR_MS, aCandidate, aCounts, aHeld, aPlanInput, aPlanPolicy, hashOf, simulateActions } from './testing.js';
import type { Candidate, HeldTorrent, PlanInput } from './types.js';

const NO_LIMITS: PlanLimits = { addBudgetBytes: null, addsStopped: null, maxEvictFraction: 1, evictionConfirmed: false };

describe('feed shares and weights', () => {
  it('a share is a byte quota of the capacity; with maxBytes the smaller wins', () => {
    expect(shareQuota({ id: 'a', maxBytes: null, maxTorrents: null, share: 0.25 }, 100 * GB).maxBytes).toBe(25 * GB);
    expect(shareQuota({ id: 'a', maxBytes: 10 * GB, maxTorrents: null, share: 0.25 }, 100 * GB).maxBytes).toBe(10 * GB);
    expect(shareQuota({ id: 'a', maxBytes: null, maxTorrents: null }, 100 * GB).maxBytes).toBeNull();
  });

  it('keeps a feed within its share and names the quota that stopped a candidate', () => {
    const candidates = [1, 2, 3, 4].map((n) => aCandidate({ infoHash: hashOf(n), name: `a${n}`, sizeBytes: 10 * GB, feedIds: ['a'] }));
    const plan = planMirror(
      aPlanInput({
        candidates,
        policy: aPlanPolicy({ maxBytes: 100 * GB, feeds: [{ id: 'a', maxBytes: null, maxTorrents: null, share: 0.25 }] }),
      }),
    );
    expect(plan.desired).toHaveLength(2);
    expect(plan.feeds[0]).toMatchObject({ feedId: 'a', usedBytes: 20 * GB, maxBytes: 25 * GB });
    const skipped = plan.decisions.filter((d) => d.action === 'skip');
    expect(skipped.map((d) => d.reason.code)).toEqual(['OVER_FEED_QUOTA', 'OVER_FEED_QUOTA']);
    expect(skipped[0]?.reason.details).toMatchObject({ feedId: 'a', quota: 'bytes', limit: 25 * GB });
  });

  it('a heavier feed wins the budget from an equally needed lighter one', () => {
    const counts = aCounts({ seeders: 1, leechers: 0 });
    const candidates = [
      aCandidate({ infoHash: hashOf(1), name: 'light', sizeBytes: 10 * GB, feedIds: ['light'], counts }),
      aCandidate({ infoHash: hashOf(2), name: 'heavy', sizeBytes: 10 * GB, feedIds: ['heavy'], counts }),
    ];
    const feeds = [
      { id: 'light', maxBytes: null, maxTorrents: null, weight: 1 },
      { id: 'heavy', maxBytes: null, maxTorrents: null, weight: 3 },
    ];
    const plan = planMirror(aPlanInput({ candidates, policy: aPlanPolicy({ maxBytes: 10 * GB, feeds }) }));
    expect(plan.desired).toEqual([hashOf(2)]);
    const heavy = plan.decisions.find((d) => d.name === 'heavy');
    const light = plan.decisions.find((d) => d.name === 'light');
    expect(heavy?.score).toBeCloseTo(3 * (light?.score ?? 0));
  });

  it('a torrent in two feeds counts once, against the feed with most room', () => {
    const feeds = [
      { id: 'a', maxBytes: 30 * GB, maxTorrents: null },
      { id: 'b', maxBytes: 100 * GB, maxTorrents: null },
    ];
    const plan = planMirror(
      aPlanInput({
        candidates: [aCandidate({ infoHash: hashOf(1), sizeBytes: 20 * GB, feedIds: ['a', 'b'] })],
        policy: aPlanPolicy({ feeds }),
      }),
    );
    expect(plan.decisions[0]?.feedId).toBe('b');
    expect(plan.feeds.map((f) => f.usedTorrents)).toEqual([0, 1]);
  });
});

describe('the disk reserve', () => {
  const held = (n: number, seeders: number, extra: Partial<HeldTorrent> = {}): HeldTorrent =>
    aHeld({ infoHash: hashOf(n), name: `h${n}`, sizeBytes: 10 * GB, ...extra, counts: aCounts({ seeders }) });
  const listed = (h: HeldTorrent): Candidate =>
    aCandidate({ infoHash: h.infoHash, name: h.name, sizeBytes: h.sizeBytes, counts: h.counts ?? null });

  it('evicts the least needed owned torrents until the reserve is back, adds nothing, never a pin', () => {
    // Four owned 10 GB torrents; free space 5 GB with a 20 GB reserve: 15 GB must go.
    const hs = [held(1, 4), held(2, 1), held(3, 3, { pinned: true }), held(4, 2)];
    const newcomer = aCandidate({ infoHash: hashOf(9), name: 'new', sizeBytes: 1 * GB, counts: aCounts({ seeders: 0 }) });
    const input = aPlanInput({
      candidates: [...hs.map(listed), newcomer],
      held: [...hs, aHeld({ infoHash: hashOf(7), name: 'owner', isOwned: false, sizeBytes: 50 * GB })],
      diskFreeBytes: 5 * GB,
      policy: aPlanPolicy({ maxBytes: 1000 * GB, minFreeBytes: 20 * GB }),
    });
    const limited = planWithinLimits(input, NO_LIMITS);
    expect(limited.reserveBreached).toBe(true);
    const removed = limited.actions.filter((a) => a.kind === 'remove').map((a) => a.infoHash);
    // Least needed first: h1 (4 seeders) then h4 (3 seeders would be the pin: skipped).
    expect(removed.sort()).toEqual([hashOf(1), hashOf(4)].sort());
    expect(limited.actions.filter((a) => a.kind === 'add')).toEqual([]);
    expect(limited.plan.decisions.find((d) => d.name === 'new')?.reason.code).toBe('DISK_RESERVE');
    expect(removed).not.toContain(hashOf(7));
  });

  it('those within the minimum seed time go last', () => {
    const fresh = held(1, 4, { addedAtMs: FIXED_NOW_MS - HOUR_MS });
    const old = held(2, 1);
    const input = aPlanInput({
      candidates: [listed(fresh), listed(old)],
      held: [fresh, old],
      diskFreeBytes: 0,
      policy: aPlanPolicy({ minFreeBytes: 5 * GB }),
    });
    const removed = planWithinLimits(input, NO_LIMITS)
      .actions.filter((a) => a.kind === 'remove')
      .map((a) => a.infoHash);
    expect(removed).toEqual([hashOf(2)]);
  });

  it('charges only downloads on the download filesystem, and names what it counted', () => {
    const hs = [held(1, 1), held(2, 2)];
    const ownersPaused = (onDownloadFilesystem: boolean): HeldTorrent =>
      aHeld({
        infoHash: hashOf(7),
        name: 'owner-iso',
        isOwned: false,
        sizeBytes: 2 * GB,
        leftUntilDoneBytes: 2 * GB,
        onDownloadFilesystem,
      });
    const input = (owner: HeldTorrent) =>
      aPlanInput({
        candidates: hs.map(listed),
        held: [...hs, owner],
        diskFreeBytes: 1 * GB,
        policy: aPlanPolicy({ maxBytes: 100 * GB, minFreeBytes: 0.1 * GB }),
      });
    const elsewhere = planWithinLimits(input(ownersPaused(false)), NO_LIMITS);
    expect(elsewhere.reserveBreached).toBe(false);
    expect(elsewhere.actions).toEqual([]);
    expect(elsewhere.plan.capacity.pendingWriteBytes).toBe(0);

    const here = planWithinLimits(input(ownersPaused(true)), NO_LIMITS);
    expect(here.reserveBreach).toMatchObject({
      pendingWriteBytes: 2 * GB,
      writerCount: 1,
      writers: [{ name: 'owner-iso', leftUntilDoneBytes: 2 * GB }],
    });
    expect(describeReserveBreach(here.reserveBreach!)).toMatch(
      /less 2(\.0+)? GB still to be written there by 1 torrent\(s\) \(owner-iso 2(\.0+)? GB\)/,
    );
  });

  it('counts only the unwritten bytes the filesystem has not already reserved (preallocation)', () => {
    // Two 10 GB downloads, 1 GB written each; free space 15 GB with a 5 GB reserve.
    const downloading = (n: number, unallocatedBytes: number | undefined): HeldTorrent =>
      held(n, 1, { leftUntilDoneBytes: 9 * GB, ...(unallocatedBytes === undefined ? {} : { unallocatedBytes }) });
    const input = (unallocatedBytes: number | undefined) => {
      const hs = [downloading(1, unallocatedBytes), downloading(2, unallocatedBytes)];
      return aPlanInput({ candidates: hs.map(listed), held: hs, diskFreeBytes: 15 * GB, policy: aPlanPolicy({ minFreeBytes: 5 * GB }) });
    };
    // Preallocated: free space already excludes all 18 GB to come; nothing to evict.
    const preallocated = planWithinLimits(input(0), NO_LIMITS);
    expect(preallocated.reserveBreached).toBe(false);
    expect(preallocated.actions).toEqual([]);
    expect(preallocated.plan.capacity.pendingWriteBytes).toBe(0);
    // Sparse (or unknown): the 18 GB are still to come out of the 15 GB free: one must go.
    for (const unknownOrSparse of [undefined, 9 * GB, 50 * GB]) {
      const sparse = planWithinLimits(input(unknownOrSparse), NO_LIMITS);
      expect(sparse.reserveBreach).toMatchObject({ pendingWriteBytes: 18 * GB });
      expect(sparse.actions.filter((a) => a.kind === 'remove')).toHaveLength(1);
    }
  });
});

describe('a reserve raised by a policy edit', () => {
  const hs = [1, 2, 3, 4].map((n) => aHeld({ infoHash: hashOf(n), name: `h${n}`, sizeBytes: 10 * GB, counts: aCounts({ seeders: n }) }));
  const listed = hs.map((h) => aCandidate({ infoHash: h.infoHash, name: h.name, sizeBytes: h.sizeBytes, counts: h.counts ?? null }));
  const guarded = (reserveInForceBytes: number | null, evictionConfirmed = false): PlanLimits => ({
    ...NO_LIMITS,
    maxEvictFraction: 0.5,
    evictionConfirmed,
    reserveInForceBytes,
  });
  const input = (diskFreeBytes: number, minFreeBytes: number) =>
    aPlanInput({ candidates: listed, held: hs, diskFreeBytes, policy: aPlanPolicy({ maxBytes: 1000 * GB, minFreeBytes }) });

  it('holds evictions past the fraction for confirmation while the reserve in force still holds', () => {
    // 30 GB free; the reserve went from 5 GB to 60 GB: 30 of the 40 GB owned would go.
    const held = planWithinLimits(input(30 * GB, 60 * GB), guarded(5 * GB));
    expect(held.pendingEviction).toMatchObject({ removes: 3, removeBytes: 30 * GB });
    expect(held.actions).toEqual([]);
    const confirmed = planWithinLimits(input(30 * GB, 60 * GB), guarded(5 * GB, true));
    expect(confirmed.actions.filter((a) => a.kind === 'remove')).toHaveLength(3);
  });

  it('evicts at once when the disk really fills, whatever the edit', () => {
    for (const inForce of [null, 5 * GB, 20 * GB]) {
      const full = planWithinLimits(input(0, 20 * GB), guarded(inForce));
      expect(full.pendingEviction).toBeNull();
      expect(full.actions.filter((a) => a.kind === 'remove').length).toBeGreaterThanOrEqual(2);
    }
  });
});

describe('adds within the daily budget and transfer caps; mass evictions wait', () => {
  const needy = (n: number, sizeGB: number, seeders = 0): Candidate =>
    aCandidate({ infoHash: hashOf(n), name: `c${n}`, sizeBytes: sizeGB * GB, counts: aCounts({ seeders }) });

  it("adds best first while the day's budget lasts", () => {
    const input = aPlanInput({ candidates: [needy(1, 5, 0), needy(2, 5, 1), needy(3, 1, 2)] });
    const limited = planWithinLimits(input, { ...NO_LIMITS, addBudgetBytes: 6 * GB });
    const adds = limited.actions
      .filter((a) => a.kind === 'add')
      .map((a) => a.name)
      .sort();
    expect(limited.deferred.map((d) => d.code)).toEqual(['DAILY_BUDGET']);
    expect(adds.length).toBe(2);
    expect(limited.plan.committedBytes).toBe(adds.reduce((s, n) => s + (n === 'c3' ? 1 : 5) * GB, 0));
  });

  it('a transfer cap stops every add', () => {
    const limited = planWithinLimits(aPlanInput({ candidates: [needy(1, 1)] }), {
      ...NO_LIMITS,
      addsStopped: { downloadCapBytes: 500 * GB, periodEndMs: Date.UTC(2026, 1, 1) },
    });
    expect(limited.actions).toEqual([]);
    expect(limited.plan.decisions[0]?.reason).toMatchObject({
      code: 'TRANSFER_CAP',
      text: 'the monthly download cap (500 GB) is reached; nothing is added until the period ends on 2026-02-01',
    });
  });

  it('holds a plan that removes more than maxEvictFraction until confirmed', () => {
    const hs = [1, 2, 3, 4].map((n) => aHeld({ infoHash: hashOf(n), name: `h${n}`, sizeBytes: 10 * GB }));
    const input = aPlanInput({
      candidates: hs.map((h) => aCandidate({ infoHash: h.infoHash, name: h.name, sizeBytes: h.sizeBytes })),
      held: hs,
      policy: aPlanPolicy({ maxBytes: 15 * GB }),
    });
    const held = planWithinLimits(input, { ...NO_LIMITS, maxEvictFraction: 0.5 });
    expect(held.pendingEviction).toMatchObject({ removes: 3, removeBytes: 30 * GB, ownedBytes: 40 * GB, fraction: 0.75 });
    expect(held.actions).toEqual([]);
    expect(held.plan.decisions.every((d) => d.action === 'keep')).toBe(true);
    const confirmed = planWithinLimits(input, { ...NO_LIMITS, maxEvictFraction: 0.5, evictionConfirmed: true });
    expect(confirmed.actions.filter((a) => a.kind === 'remove')).toHaveLength(3);
    expect(planWithinLimits(input, { ...NO_LIMITS, maxEvictFraction: 0.8 }).pendingEviction).toBeNull();
  });
});

// ---- generated cases: random policies and swarms ----
const FEEDS = ['a', 'b', 'c'];
const hashArb = fc.integer({ min: 1, max: 40 }).map(hashOf);
const sizeArb = fc.integer({ min: 1, max: 40 }).map((n) => (n * GB) / 2);
const countsArb = fc.record({ seeders: fc.integer({ min: 0, max: 8 }), leechers: fc.integer({ min: 0, max: 20 }) }).map((c) => aCounts(c));
const feedIdsArb = fc.subarray(FEEDS, { minLength: 1, maxLength: 3 });
const candidateArb = fc
  .record({ infoHash: hashArb, sizeBytes: sizeArb, feedIds: feedIdsArb, counts: countsArb })
  .map((c): Candidate => ({ ...c, name: `c-${c.infoHash.slice(-4)}` }));
const heldArb = fc
  .record({
    infoHash: hashArb,
    sizeBytes: sizeArb,
    leftFraction: fc.constantFrom(0, 0, 0.5, 1),
    isOwned: fc.constantFrom(true, true, false),
    pinned: fc.constantFrom(false, false, false, true),
    heldMs: fc.integer({ min: 0, max: 200 * HOUR_MS }),
    feedIds: feedIdsArb,
    counts: countsArb,
  })
  .map(
    (h): HeldTorrent => ({
      infoHash: h.infoHash,
      name: `h-${h.infoHash.slice(-4)}`,
      sizeBytes: h.sizeBytes,
      leftUntilDoneBytes: Math.round(h.sizeBytes * h.leftFraction),
      isOwned: h.isOwned,
      pinned: h.pinned,
      addedAtMs: FIXED_NOW_MS - h.heldMs,
      feedIds: h.feedIds,
      counts: h.counts,
    }),
  );
const quotaArb = fc.record({
  maxBytes: fc.option(
    fc.integer({ min: 0, max: 60 }).map((n) => n * GB),
    { nil: null },
  ),
  maxTorrents: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
  share: fc.option(fc.double({ min: 0.05, max: 1, noNaN: true }), { nil: null }),
  weight: fc.constantFrom(0.5, 1, 1, 2, 5),
});
const scenarioArb = fc.record({
  candidates: fc.array(candidateArb, { maxLength: 25 }),
  held: fc.uniqueArray(heldArb, { maxLength: 12, selector: (h) => h.infoHash }),
  maxBytes: fc.integer({ min: 1, max: 200 }).map((n) => n * GB),
  minFreeBytes: fc.integer({ min: 0, max: 30 }).map((n) => n * GB),
  diskFreeBytes: fc.option(
    fc.integer({ min: 0, max: 300 }).map((n) => n * GB),
    { nil: null },
  ),
  quotas: fc.tuple(quotaArb, quotaArb, quotaArb),
  limits: fc.record({
    addBudgetBytes: fc.option(
      fc.integer({ min: 0, max: 50 }).map((n) => n * GB),
      { nil: null },
    ),
    addsStopped: fc.constantFrom(null, null, null, { downloadCapBytes: GB, periodEndMs: FIXED_NOW_MS + 86_400_000 }),
    maxEvictFraction: fc.constantFrom(0.1, 0.25, 1),
    evictionConfirmed: fc.boolean(),
  }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer T> ? T : never;

function toInput(s: Scenario): PlanInput {
  return {
    candidates: s.candidates,
    held: s.held,
    nowMs: FIXED_NOW_MS,
    diskFreeBytes: s.diskFreeBytes,
    policy: aPlanPolicy({
      maxBytes: s.maxBytes,
      minFreeBytes: s.minFreeBytes,
      feeds: FEEDS.map((id, i) => ({ id, ...(s.quotas[i] ?? { maxBytes: null, maxTorrents: null }) })),
      maxAddsPerTick: 10,
    }),
  };
}

describe('donated limits over generated policies and swarms', () => {
  it('committed bytes never exceed the budget; feed quotas (shares included) hold; unowned torrents are never touched', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const input = toInput(s);
        const { plan, actions, pendingEviction, reserveBreached } = planWithinLimits(input, s.limits);
        const after = simulateActions(input.held, actions, FIXED_NOW_MS);
        const notOwned = input.held.filter((h) => !h.isOwned);
        expect(after.filter((h) => !h.isOwned)).toEqual(notOwned);
        for (const a of actions) expect(notOwned.some((h) => h.infoHash === a.infoHash)).toBe(false);
        const ownedAfter = after.filter((h) => h.isOwned);
        const committed = ownedAfter.reduce((sum, h) => sum + h.sizeBytes, 0);
        const pinnedBytes = ownedAfter.filter((h) => h.pinned === true).reduce((sum, h) => sum + h.sizeBytes, 0);
        const ownedBefore = input.held.filter((h) => h.isOwned).reduce((sum, h) => sum + h.sizeBytes, 0);
        if (pendingEviction === null) {
          expect(committed).toBeLessThanOrEqual(Math.max(plan.capacityBytes, pinnedBytes) + 1e-6);
          for (const usage of plan.feeds) {
            const quota = input.policy.feeds.find((f) => f.id === usage.feedId);
            const pinnedInFeed = plan.decisions.some((d) => d.feedId === usage.feedId && d.reason.code === 'PINNED');
            if (quota === undefined || pinnedInFeed) continue;
            const limit = shareQuota(quota, plan.capacityBytes).maxBytes;
            if (limit !== null) expect(usage.usedBytes).toBeLessThanOrEqual(limit);
            if (quota.maxTorrents !== null) expect(usage.usedTorrents).toBeLessThanOrEqual(quota.maxTorrents);
          }
        } else {
          // Waiting for confirmation: nothing at all changes.
          expect(actions).toEqual([]);
          expect(committed).toBe(ownedBefore);
        }
        // Adds never grow the mirror past what the limits allow.
        const addBytes = actions.filter((a) => a.kind === 'add').reduce((sum, a) => sum + (a.kind === 'add' ? a.sizeBytes : 0), 0);
        if (s.limits.addBudgetBytes !== null) expect(addBytes).toBeLessThanOrEqual(s.limits.addBudgetBytes);
        if (s.limits.addsStopped !== null || reserveBreached) expect(addBytes).toBe(0);
        // Pins are never removed.
        for (const a of actions) if (a.kind === 'remove') expect(input.held.find((h) => h.infoHash === a.infoHash)?.pinned).not.toBe(true);
      }),
      { numRuns: 400 },
    );
  });
});
