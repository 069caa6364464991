import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { diffPlan } from './diff.js';
import { planMirror } from './select.js';
import { FIXED_NOW_MS, GB, HOUR_MS, aCounts, hashOf, simulateActions } from './testing.js';
import type { Candidate, HeldTorrent, PlanInput } from './types.js';

const FEEDS = ['a', 'b', 'c'];
const hashArb = fc.integer({ min: 1, max: 30 }).map(hashOf);
const feedIdsArb = fc.subarray([...FEEDS, 'not-in-policy'], { minLength: 0, maxLength: 3 });
const sizeArb = fc.integer({ min: 1, max: 40 }).map((n) => (n * GB) / 2);
const countsArb = fc.option(
  fc.record({
    seeders: fc.integer({ min: 0, max: 8 }),
    leechers: fc.integer({ min: 0, max: 30 }),
    ageMs: fc.integer({ min: 0, max: 300 * HOUR_MS }),
  }),
  { nil: null },
);

const candidateArb: fc.Arbitrary<Candidate> = fc
  .record({
    infoHash: hashArb,
    sizeBytes: fc.option(sizeArb, { nil: null, freq: 8 }),
    feedIds: feedIdsArb,
    counts: countsArb,
  })
  .map((c) => ({
    infoHash: c.infoHash,
    name: `c-${c.infoHash.slice(-4)}`,
    sizeBytes: c.sizeBytes,
    feedIds: c.feedIds,
    counts:
      c.counts === null
        ? null
        : aCounts({ seeders: c.counts.seeders, leechers: c.counts.leechers, observedAtMs: FIXED_NOW_MS - c.counts.ageMs }),
  }));

const heldArb: fc.Arbitrary<HeldTorrent> = fc
  .record({
    infoHash: hashArb,
    sizeBytes: sizeArb,
    leftFraction: fc.constantFrom(0, 0, 0.5, 1),
    isOwned: fc.constantFrom(true, true, true, false),
    pinned: fc.constantFrom(false, false, false, false, true),
    heldMs: fc.integer({ min: 0, max: 200 * HOUR_MS }),
    feedIds: feedIdsArb,
  })
  .map((h) => ({
    infoHash: h.infoHash,
    name: `h-${h.infoHash.slice(-4)}`,
    sizeBytes: h.sizeBytes,
    leftUntilDoneBytes: Math.round(h.sizeBytes * h.leftFraction),
    isOwned: h.isOwned,
    pinned: h.pinned,
    addedAtMs: FIXED_NOW_MS - h.heldMs,
    feedIds: h.feedIds,
  }));

const quotaArb = fc.option(
  fc.integer({ min: 0, max: 60 }).map((n) => n * GB),
  { nil: null },
);
const inputArb: fc.Arbitrary<PlanInput> = fc
  .record({
    candidates: fc.array(candidateArb, { maxLength: 30 }),
    held: fc.uniqueArray(heldArb, { maxLength: 12, selector: (h) => h.infoHash }),
    maxBytes: fc.integer({ min: 0, max: 200 }).map((n) => n * GB),
    minFreeBytes: fc.integer({ min: 0, max: 10 }).map((n) => n * GB),
    diskFreeBytes: fc.option(
      fc.integer({ min: 0, max: 300 }).map((n) => n * GB),
      { nil: null },
    ),
    feeds: fc.tuple(...FEEDS.map(() => fc.tuple(quotaArb, fc.option(fc.integer({ min: 0, max: 8 }), { nil: null })))),
    replaceMargin: fc.constantFrom(0, 0.2, 0.5),
    maxAddsPerTick: fc.integer({ min: 0, max: 12 }),
  })
  .map((r) => ({
    candidates: r.candidates,
    held: r.held,
    nowMs: FIXED_NOW_MS,
    diskFreeBytes: r.diskFreeBytes,
    policy: {
      maxBytes: r.maxBytes,
      minFreeBytes: r.minFreeBytes,
      feeds: FEEDS.map((id, i) => ({ id, maxBytes: r.feeds[i]?.[0] ?? null, maxTorrents: r.feeds[i]?.[1] ?? null })),
      scoring: { targetSeeders: 5, leecherWeight: 0.25, replaceMargin: r.replaceMargin, minSeedTimeMs: 72 * HOUR_MS },
      maxAddsPerTick: r.maxAddsPerTick,
    },
  }));

const RUNS = { numRuns: 400 };

describe('planMirror invariants (generated inputs)', () => {
  it('never exceeds the capacity or a feed quota, except for pinned torrents', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planMirror(input);
        const pinned = new Set(input.held.filter((h) => h.isOwned && h.pinned === true).map((h) => h.infoHash));
        const chosen = plan.decisions.filter((d) => d.action === 'add' || d.action === 'keep');
        const size = (d: (typeof chosen)[number]) => d.sizeBytes ?? 0;
        const total = chosen.reduce((s, d) => s + size(d), 0);
        const pinnedBytes = chosen.filter((d) => pinned.has(d.infoHash)).reduce((s, d) => s + size(d), 0);
        expect(plan.committedBytes).toBe(total);
        expect(total).toBeLessThanOrEqual(Math.max(plan.capacityBytes, pinnedBytes));
        for (const quota of input.policy.feeds) {
          const inFeed = chosen.filter((d) => d.feedId === quota.id);
          const usage = plan.feeds.find((f) => f.feedId === quota.id);
          expect(usage?.usedBytes).toBe(inFeed.reduce((s, d) => s + size(d), 0));
          expect(usage?.usedTorrents).toBe(inFeed.length);
          if (inFeed.every((d) => pinned.has(d.infoHash))) continue;
          if (quota.maxBytes !== null) expect(usage?.usedBytes).toBeLessThanOrEqual(quota.maxBytes);
          if (quota.maxTorrents !== null) expect(inFeed.length).toBeLessThanOrEqual(quota.maxTorrents);
        }
      }),
      RUNS,
    );
  });

  it('applying diff(plan, held) to held yields exactly the desired set, others untouched', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planMirror(input);
        const actions = diffPlan(plan, input.held);
        const after = simulateActions(input.held, actions, input.nowMs);
        const owned = after
          .filter((h) => h.isOwned)
          .map((h) => h.infoHash)
          .sort();
        expect(owned).toEqual(plan.desired);
        const notOwnedBefore = input.held.filter((h) => !h.isOwned);
        expect(after.filter((h) => !h.isOwned)).toEqual(notOwnedBefore);
        const notOwned = new Set(notOwnedBefore.map((h) => h.infoHash));
        for (const a of actions) expect(notOwned.has(a.infoHash)).toBe(false);
        for (const h of plan.desired) expect(notOwned.has(h)).toBe(false);
        // Idempotent: a second diff against the result has nothing to do.
        expect(diffPlan(plan, after)).toEqual([]);
      }),
      RUNS,
    );
  });

  it('decides every candidate and owned torrent once, consistently with the desired set', () => {
    fc.assert(
      fc.property(inputArb, (input) => {
        const plan = planMirror(input);
        const held = new Map(input.held.map((h) => [h.infoHash, h]));
        const expected = new Set([
          ...input.candidates.map((c) => c.infoHash),
          ...input.held.filter((h) => h.isOwned).map((h) => h.infoHash),
        ]);
        expect(plan.decisions.map((d) => d.infoHash).sort()).toEqual([...expected].sort());
        const desired = new Set(plan.desired);
        let adds = 0;
        for (const d of plan.decisions) {
          const h = held.get(d.infoHash);
          const isDesired = desired.has(d.infoHash);
          if (d.action === 'add') adds++;
          expect(d.action === 'add' || d.action === 'keep').toBe(isDesired);
          if (d.action === 'add') expect(h).toBeUndefined();
          if (d.action === 'keep' || d.action === 'remove') expect(h?.isOwned).toBe(true);
          if (h?.isOwned === true) expect(['keep', 'remove']).toContain(d.action);
          if (h?.pinned === true && h.isOwned) expect(d.reason.code).toBe('PINNED');
          // Within its minimum seed time, an incumbent still listed only leaves for the budget.
          if (h?.isOwned === true && d.action === 'remove' && input.nowMs - h.addedAtMs < 72 * HOUR_MS) {
            expect(['NO_DISK_BUDGET', 'OVER_FEED_QUOTA']).toContain(d.reason.code);
          }
          expect(d.reason.text.length).toBeGreaterThan(0);
        }
        expect(adds).toBeLessThanOrEqual(input.policy.maxAddsPerTick);
      }),
      RUNS,
    );
  });

  it('is deterministic: same input in any order, same plan', () => {
    fc.assert(
      fc.property(inputArb, fc.integer(), (input, seed) => {
        const shuffle = <T>(xs: readonly T[]): T[] => {
          const out = [...xs];
          let s = seed;
          for (let i = out.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) & 0x7fffffff;
            const j = s % (i + 1);
            [out[i], out[j]] = [out[j] as T, out[i] as T];
          }
          return out;
        };
        const a = planMirror(input);
        const b = planMirror({ ...input, held: shuffle(input.held), candidates: shuffle(input.candidates) });
        expect(b).toEqual(a);
        expect(planMirror(input)).toEqual(a);
      }),
      RUNS,
    );
  });

  it('does not churn: the next plan (nothing else changed) never undoes an add or a remove', () => {
    fc.assert(
      fc.property(inputArb, (generated) => {
        // As in reality, a feed and the daemon agree on a torrent's size.
        const feedSize = new Map<string, number>();
        for (const c of generated.candidates) {
          if (c.sizeBytes !== null) feedSize.set(c.infoHash, Math.max(c.sizeBytes, feedSize.get(c.infoHash) ?? 0));
        }
        const held = generated.held.map((h) => ({ ...h, sizeBytes: feedSize.get(h.infoHash) ?? h.sizeBytes }));
        // Counts from before anything was added: a count that includes us (and so is
        // corrected for us while we hold the torrent) would be stale once we drop it.
        const countedAtMs = Math.min(generated.nowMs, ...held.map((h) => h.addedAtMs)) - 1;
        const candidates = generated.candidates.map((c) =>
          c.counts === null ? c : { ...c, counts: { ...c.counts, observedAtMs: countedAtMs } },
        );
        // The replace margin is what stops churn: with none, two near-equal torrents may take
        // turns (a greedy packing is not a fixed point).
        const scoring = { ...generated.policy.scoring, replaceMargin: Math.max(0.2, generated.policy.scoring.replaceMargin) };
        const policy = { ...generated.policy, scoring, maxAddsPerTick: 1000 };
        const input = { ...generated, candidates, held, policy };
        const plan = planMirror(input);
        const actions = diffPlan(plan, input.held);
        const after = simulateActions(input.held, actions, input.nowMs);
        // Removing a torrent frees what it had written; an add writes nothing yet.
        const removed = new Set(actions.filter((a) => a.kind === 'remove').map((a) => a.infoHash));
        const freed = held.filter((h) => removed.has(h.infoHash)).reduce((sum, h) => sum + h.sizeBytes - h.leftUntilDoneBytes, 0);
        const diskFreeBytes = input.diskFreeBytes === null ? null : input.diskFreeBytes + freed;
        const again = planMirror({ ...input, held: after, diskFreeBytes });
        // The next tick may still improve the set (a greedy packing is not a fixed point), but
        // it never undoes this tick's work: nothing just added is removed, nothing just
        // removed comes back.
        const added = new Set(actions.filter((a) => a.kind === 'add').map((a) => a.infoHash));
        for (const a of diffPlan(again, after)) {
          if (a.kind === 'remove') expect(added.has(a.infoHash)).toBe(false);
          else expect(removed.has(a.infoHash)).toBe(false);
        }
      }),
      RUNS,
    );
  });

  it('holds at least half the best possible total need (single budget, nothing held)', () => {
    const items = fc.uniqueArray(
      fc.record({
        n: fc.integer({ min: 1, max: 500 }),
        size: fc.integer({ min: 1, max: 20 }),
        seeders: fc.integer({ min: 0, max: 4 }),
        leechers: fc.integer({ min: 0, max: 50 }),
      }),
      { minLength: 1, maxLength: 11, selector: (x) => x.n },
    );
    fc.assert(
      fc.property(items, fc.integer({ min: 1, max: 60 }), (xs, budget) => {
        const candidates = xs.map((x) => ({
          infoHash: hashOf(x.n),
          name: String(x.n),
          sizeBytes: x.size * GB,
          feedIds: ['a'],
          counts: aCounts({ seeders: x.seeders, leechers: x.leechers }),
        }));
        const plan = planMirror({
          candidates,
          held: [],
          nowMs: FIXED_NOW_MS,
          diskFreeBytes: null,
          policy: {
            maxBytes: budget * GB,
            minFreeBytes: 0,
            feeds: [{ id: 'a', maxBytes: null, maxTorrents: null }],
            scoring: { targetSeeders: 5, leecherWeight: 0.25, replaceMargin: 0.2, minSeedTimeMs: 0 },
            maxAddsPerTick: 1000,
          },
        });
        const needOf = new Map(plan.decisions.map((d) => [d.infoHash, d.need]));
        const got = plan.desired.reduce((s, h) => s + (needOf.get(h) ?? 0), 0);
        let best = 0;
        for (let mask = 0; mask < 1 << xs.length; mask++) {
          let size = 0;
          let need = 0;
          xs.forEach((x, i) => {
            if ((mask >> i) & 1) {
              size += x.size;
              need += needOf.get(hashOf(x.n)) ?? 0;
            }
          });
          if (size <= budget) best = Math.max(best, need);
        }
        expect(got).toBeGreaterThanOrEqual(best / 2 - 1e-9);
      }),
      { numRuns: 200 },
    );
  });
});
