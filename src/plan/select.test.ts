import { describe, expect, it } from 'vitest';
import { diffPlan } from './diff.js';
import { planMirror } from './select.js';
import { FIXED_NOW_MS, GB, HOUR_MS, aCandidate, aCounts, aHeld, aPlanInput, aPlanPolicy, hashOf } from './testing.js';
import type { Decision, Plan, PlanInput } from './types.js';

function decisionOf(plan: Plan, n: number): Decision {
  const d = plan.decisions.find((x) => x.infoHash === hashOf(n));
  if (d === undefined) throw new Error(`no decision for ${n}`);
  return d;
}

const needy = (n: number, seeders: number, sizeGB: number, leechers = 0) =>
  aCandidate({
    infoHash: hashOf(n),
    name: `t${n}`,
    sizeBytes: sizeGB * GB,
    counts: aCounts({ seeders, leechers }),
  });

describe('planMirror: filling the budget', () => {
  it('picks the two needing most when the budget fits 2 of 5', () => {
    const plan = planMirror(
      aPlanInput({
        candidates: [needy(1, 4, 10), needy(2, 2, 10), needy(3, 0, 10), needy(4, 3, 10), needy(5, 1, 10)],
        policy: aPlanPolicy({ maxBytes: 20 * GB }),
      }),
    );
    expect(plan.desired).toEqual([hashOf(3), hashOf(5)]);
    expect(decisionOf(plan, 3).action).toBe('add');
    expect(decisionOf(plan, 3).reason.code).toBe('NEEDED');
    expect(decisionOf(plan, 3).reason.text).toBe('0 seeders against a target of 5; 0 leechers waiting');
    for (const n of [1, 2, 4]) {
      expect(decisionOf(plan, n).action).toBe('skip');
      expect(decisionOf(plan, n).reason.code).toBe('NO_DISK_BUDGET');
    }
    expect(plan.committedBytes).toBe(20 * GB);
    expect(plan.decisions.map((d) => d.infoHash).slice(0, 2)).toEqual([hashOf(3), hashOf(5)]);
  });

  it('gives the exact figures when a torrent and the room left would read alike once rounded', () => {
    const MB = 1_000_000;
    const candidate = (n: number, seeders: number, sizeBytes: number) =>
      aCandidate({ infoHash: hashOf(n), name: `t${n}`, sizeBytes, counts: aCounts({ seeders, leechers: 0 }) });
    // 20 MB budget: the neediest 12.05 MB fits, leaving 7.95 MB; an 8 MB torrent does not fit.
    const plan = planMirror(
      aPlanInput({
        candidates: [candidate(1, 0, 12.05 * MB), candidate(2, 1, 8 * MB), candidate(3, 1, 15 * MB)],
        policy: aPlanPolicy({ maxBytes: 20 * MB }),
      }),
    );
    expect(decisionOf(plan, 2).reason).toMatchObject({
      code: 'NO_DISK_BUDGET',
      text: 'higher-scoring torrents fill the 20 MB budget: it needs 8,000,000 bytes and 7,950,000 bytes are left (50,000 bytes short)',
    });
    // Far apart, the rounded figures show the shortfall: one shared sentence.
    expect(decisionOf(plan, 3).reason.text).toBe('higher-scoring torrents fill the 20 MB budget (7.9 MB left)');
  });

  it('beats first-fit: two small very needed torrents over one big medium-needed one', () => {
    // In feed order the big one comes first and would fill the budget alone.
    const plan = planMirror(
      aPlanInput({
        candidates: [needy(1, 1, 10), needy(2, 0, 5), needy(3, 0, 5)],
        policy: aPlanPolicy({ maxBytes: 10 * GB }),
      }),
    );
    expect(plan.desired).toEqual([hashOf(2), hashOf(3)]);
    expect(decisionOf(plan, 1).reason.code).toBe('NO_DISK_BUDGET');
  });

  it('swaps a small pick out for one big torrent that serves much more need', () => {
    const plan = planMirror(
      aPlanInput({
        candidates: [needy(1, 1, 1), needy(2, 0, 10, 255)],
        policy: aPlanPolicy({ maxBytes: 10 * GB }),
      }),
    );
    expect(plan.desired).toEqual([hashOf(2)]);
    expect(decisionOf(plan, 1).reason.code).toBe('OUTSCORED');
    expect(decisionOf(plan, 1).reason.details['byName']).toBe('t2');
  });

  it('skips well seeded, unsized, and larger-than-budget torrents with their reasons', () => {
    const plan = planMirror(
      aPlanInput({
        candidates: [needy(1, 5, 1), { ...needy(2, 0, 1), sizeBytes: null }, needy(3, 0, 200)],
      }),
    );
    expect(plan.desired).toEqual([]);
    expect(decisionOf(plan, 1).reason.code).toBe('WELL_SEEDED');
    expect(decisionOf(plan, 1).reason.text).toBe('5 seeders already meet the target of 5');
    expect(decisionOf(plan, 2).reason.code).toBe('SIZE_UNKNOWN');
    expect(decisionOf(plan, 3).reason).toMatchObject({
      code: 'LARGER_THAN_BUDGET',
      text: '200 GB is larger than the whole 100 GB budget',
    });
  });

  it('counts unwritten bytes and the reserve against free space', () => {
    const held = [
      aHeld({ infoHash: hashOf(1), sizeBytes: 10 * GB }),
      aHeld({ infoHash: hashOf(2), sizeBytes: 5 * GB, leftUntilDoneBytes: 3 * GB }),
      aHeld({ infoHash: hashOf(3), isOwned: false, sizeBytes: 4 * GB, leftUntilDoneBytes: 1 * GB }),
    ];
    const plan = planMirror(aPlanInput({ held, diskFreeBytes: 20 * GB, policy: aPlanPolicy({ minFreeBytes: 2 * GB }) }));
    // 15 GB ours + 20 GB free - 4 GB still to be written - 2 GB reserve
    expect(plan.capacityBytes).toBe(29 * GB);
    expect(plan.capacity.limitedBy).toBe('disk');
  });

  it('stops at maxAddsPerTick, keeping the rest for next tick', () => {
    const plan = planMirror(
      aPlanInput({
        candidates: [needy(1, 0, 1), needy(2, 1, 1), needy(3, 2, 1), needy(4, 3, 1)],
        policy: aPlanPolicy({ maxAddsPerTick: 2 }),
      }),
    );
    expect(plan.desired).toEqual([hashOf(1), hashOf(2)]);
    expect(decisionOf(plan, 3).reason.code).toBe('ADD_LIMIT');
    expect(decisionOf(plan, 4).reason.code).toBe('ADD_LIMIT');
  });

  it('does not evict an incumbent for a candidate the add limit defers', () => {
    const plan = planMirror(
      aPlanInput({
        held: [aHeld({ infoHash: hashOf(1), sizeBytes: 10 * GB })],
        candidates: [needy(1, 4, 10), needy(2, 0, 10)],
        policy: aPlanPolicy({ maxBytes: 10 * GB, maxAddsPerTick: 0 }),
      }),
    );
    expect(plan.desired).toEqual([hashOf(1)]);
    expect(decisionOf(plan, 1).action).toBe('keep');
    expect(decisionOf(plan, 2).reason.code).toBe('ADD_LIMIT');
  });

  it('merges a torrent listed twice into one candidate', () => {
    const plan = planMirror(
      aPlanInput({
        candidates: [needy(1, 0, 1), { ...needy(1, 0, 1), feedIds: ['feed-b'] }],
        policy: aPlanPolicy({ feeds: [{ id: 'feed-a', maxBytes: null, maxTorrents: 0 }] }),
      }),
    );
    expect(plan.decisions).toHaveLength(1);
    expect(decisionOf(plan, 1).feedId).toBe('feed-b');
    expect(plan.desired).toEqual([hashOf(1)]);
  });
});

describe('planMirror: feed quotas', () => {
  const twoFeeds = aPlanPolicy({
    feeds: [
      { id: 'feed-a', maxBytes: 10 * GB, maxTorrents: null },
      { id: 'feed-b', maxBytes: 10 * GB, maxTorrents: null },
    ],
  });

  it('stops a candidate at its feed byte quota, naming the feed and the quota', () => {
    const plan = planMirror(aPlanInput({ candidates: [needy(1, 0, 8), needy(2, 1, 5)], policy: twoFeeds }));
    expect(plan.desired).toEqual([hashOf(1)]);
    const d = decisionOf(plan, 2);
    expect(d.reason.code).toBe('OVER_FEED_QUOTA');
    expect(d.reason.details).toMatchObject({ feedId: 'feed-a', quota: 'bytes', limit: 10 * GB });
    expect(d.reason.text).toBe('feed "feed-a" is at its byte quota (8 GB of 10 GB used)');
  });

  it('stops a candidate at its feed torrent-count quota', () => {
    const policy = aPlanPolicy({ feeds: [{ id: 'feed-a', maxBytes: null, maxTorrents: 1 }] });
    const plan = planMirror(aPlanInput({ candidates: [needy(1, 0, 1), needy(2, 1, 1)], policy }));
    expect(decisionOf(plan, 2).reason).toMatchObject({
      code: 'OVER_FEED_QUOTA',
      text: 'feed "feed-a" is at its torrent quota (1 of 1)',
      details: { feedId: 'feed-a', quota: 'count' },
    });
  });

  it('charges a torrent in two feeds to the one with more room', () => {
    const held = [aHeld({ infoHash: hashOf(9), sizeBytes: 8 * GB, feedIds: ['feed-a'] })];
    const plan = planMirror(
      aPlanInput({
        held,
        candidates: [
          { ...needy(9, 2, 8), feedIds: ['feed-a'] },
          { ...needy(1, 0, 5), feedIds: ['feed-a', 'feed-b'] },
          { ...needy(2, 0, 1), feedIds: ['feed-b', 'feed-a'] },
        ],
        policy: twoFeeds,
      }),
    );
    expect(decisionOf(plan, 1).feedId).toBe('feed-b');
    expect(plan.desired).toEqual([hashOf(1), hashOf(2), hashOf(9)]);
    const usage = Object.fromEntries(plan.feeds.map((f) => [f.feedId, f.usedBytes]));
    expect(usage).toEqual({ 'feed-a': 9 * GB, 'feed-b': 5 * GB });
  });
});

describe('planMirror: assigning torrents in several feeds', () => {
  it('judges room by the share of each quota left, not by raw bytes', () => {
    // feed-b has no byte quota but room for one torrent only; feed-a is a half-used 10 GB.
    const policy = aPlanPolicy({
      feeds: [
        { id: 'feed-a', maxBytes: 10 * GB, maxTorrents: null },
        { id: 'feed-b', maxBytes: null, maxTorrents: 1 },
      ],
    });
    const plan = planMirror(
      aPlanInput({
        policy,
        candidates: [
          { ...needy(1, 0, 1), feedIds: ['feed-a', 'feed-b'] },
          { ...needy(2, 1, 1), feedIds: ['feed-b'] },
        ],
      }),
    );
    expect(decisionOf(plan, 1).feedId).toBe('feed-a');
    expect(plan.desired).toEqual([hashOf(1), hashOf(2)]);
  });

  it('moves a placed two-feed torrent to its other feed to keep a held one', () => {
    const policy = aPlanPolicy({
      feeds: [
        { id: 'feed-a', maxBytes: null, maxTorrents: 1 },
        { id: 'feed-b', maxBytes: null, maxTorrents: 1 },
      ],
    });
    // Held for feed-a and scoring highest, it is placed first, on its own feed...
    const held = [
      aHeld({ infoHash: hashOf(1), feedIds: ['feed-a'] }),
      aHeld({ infoHash: hashOf(2), feedIds: ['feed-a'], addedAtMs: FIXED_NOW_MS - HOUR_MS }),
    ];
    const plan = planMirror(
      aPlanInput({
        policy,
        held,
        candidates: [
          { ...needy(1, 0, 1), feedIds: ['feed-a', 'feed-b'] },
          { ...needy(2, 3, 1), feedIds: ['feed-a'] },
        ],
      }),
    );
    // ...and then moves to feed-b so the one only feed-a lists can stay.
    expect(plan.desired).toEqual([hashOf(1), hashOf(2)]);
    expect(decisionOf(plan, 1).feedId).toBe('feed-b');
    expect(decisionOf(plan, 2).feedId).toBe('feed-a');
  });
});

describe('planMirror: incumbents (hysteresis)', () => {
  const replaceInput = (candidate: ReturnType<typeof needy>, heldForMs: number): PlanInput =>
    aPlanInput({
      // 3 seeders counted after we added it, one of them us: 2 others -> scarcity 0.2.
      held: [aHeld({ infoHash: hashOf(1), sizeBytes: 10 * GB, addedAtMs: FIXED_NOW_MS - heldForMs })],
      candidates: [needy(1, 3, 10), candidate],
      policy: aPlanPolicy({ maxBytes: 10 * GB }),
    });

  it('keeps an incumbent against a slightly better candidate (within the replace margin)', () => {
    // 0.2 need in 9 GB = 0.0222/GB against the incumbent's 0.02/GB: 11% better, margin 20%.
    const plan = planMirror(replaceInput(needy(2, 2, 9), 1000 * HOUR_MS));
    expect(plan.desired).toEqual([hashOf(1)]);
    expect(decisionOf(plan, 1).reason.code).toBe('KEPT');
    expect(decisionOf(plan, 1).reason.text).toBe('kept: 2 seeders besides us against a target of 5; 0 leechers waiting');
    expect(decisionOf(plan, 2).reason).toMatchObject({ code: 'OUTSCORED', details: { blocker: 'margin' } });
  });

  it('replaces an incumbent with a much better candidate once it has seeded the minimum time', () => {
    const plan = planMirror(replaceInput(needy(2, 0, 10), 100 * HOUR_MS));
    expect(plan.desired).toEqual([hashOf(2)]);
    expect(decisionOf(plan, 1).action).toBe('remove');
    expect(decisionOf(plan, 1).reason.code).toBe('REPLACED');
    expect(diffPlan(plan, replaceInput(needy(2, 0, 10), 100 * HOUR_MS).held).map((a) => a.kind)).toEqual(['remove', 'add']);
  });

  it('does not replace it before the minimum seed time', () => {
    const plan = planMirror(replaceInput(needy(2, 0, 10), 10 * HOUR_MS));
    expect(plan.desired).toEqual([hashOf(1)]);
    expect(decisionOf(plan, 1).reason).toMatchObject({
      code: 'MIN_SEED_TIME',
      details: { situation: 'would-be-replaced', heldMs: 10 * HOUR_MS },
    });
    expect(decisionOf(plan, 2).reason).toMatchObject({ code: 'OUTSCORED', details: { blocker: 'seed-time' } });
  });

  it('judges an incumbent without counting our own copy as a seeder', () => {
    // Counts say 5 seeders, but one is us: 4 others, still below the target, so it is kept.
    const plan = planMirror(aPlanInput({ held: [aHeld({ infoHash: hashOf(1) })], candidates: [needy(1, 5, 1)] }));
    const d = decisionOf(plan, 1);
    expect(d.components.seeders).toBe(4);
    expect(d.need).toBeGreaterThan(0);
  });

  it('never removes a pinned torrent, even outside every feed and over budget', () => {
    const held = [aHeld({ infoHash: hashOf(1), pinned: true, sizeBytes: 50 * GB, feedIds: [] })];
    const plan = planMirror(aPlanInput({ held, candidates: [needy(2, 0, 1)], policy: aPlanPolicy({ maxBytes: 10 * GB }) }));
    expect(plan.desired).toEqual([hashOf(1)]);
    expect(decisionOf(plan, 1).reason.code).toBe('PINNED');
    expect(decisionOf(plan, 2).reason.code).toBe('NO_DISK_BUDGET');
  });

  it('removes the lowest-value incumbents first when the budget shrinks, even within min seed time', () => {
    const recent = FIXED_NOW_MS - HOUR_MS;
    const held = [1, 2, 3].map((n) => aHeld({ infoHash: hashOf(n), sizeBytes: 10 * GB, addedAtMs: recent }));
    // Counts observed before we added them, so nothing is subtracted.
    const old = (n: number, seeders: number) => ({
      ...needy(n, seeders, 10),
      counts: aCounts({ seeders, observedAtMs: recent - 1 }),
    });
    const plan = planMirror(
      aPlanInput({ held, candidates: [old(1, 0), old(2, 3), old(3, 1)], policy: aPlanPolicy({ maxBytes: 20 * GB }) }),
    );
    expect(plan.desired).toEqual([hashOf(1), hashOf(3)]);
    expect(decisionOf(plan, 2)).toMatchObject({ action: 'remove', reason: { code: 'NO_DISK_BUDGET' } });
  });

  it('removes a torrent no feed lists once it has seeded the minimum time, keeps it before', () => {
    const held = [
      aHeld({ infoHash: hashOf(1), addedAtMs: FIXED_NOW_MS - 100 * HOUR_MS }),
      aHeld({ infoHash: hashOf(2), addedAtMs: FIXED_NOW_MS - 10 * HOUR_MS }),
    ];
    const plan = planMirror(aPlanInput({ held }));
    expect(plan.desired).toEqual([hashOf(2)]);
    expect(decisionOf(plan, 1).reason.code).toBe('NO_LONGER_IN_FEED');
    expect(decisionOf(plan, 1).reason.text).toBe('no feed lists it any more and it has been held 4.2d (minimum 3d)');
    expect(decisionOf(plan, 2).reason).toMatchObject({ code: 'MIN_SEED_TIME', details: { situation: 'not-in-feed' } });
  });

  it('never touches or re-adds a torrent the daemon holds without our label', () => {
    const held = [aHeld({ infoHash: hashOf(1), isOwned: false }), aHeld({ infoHash: hashOf(2), isOwned: false })];
    const input = aPlanInput({ held, candidates: [needy(1, 0, 1)] });
    const plan = planMirror(input);
    expect(plan.desired).toEqual([]);
    expect(decisionOf(plan, 1).reason.code).toBe('HELD_NOT_OWNED');
    expect(plan.decisions.some((d) => d.infoHash === hashOf(2))).toBe(false);
    expect(diffPlan(plan, held)).toEqual([]);
  });

  it('is deterministic whatever the input order', () => {
    const candidates = [needy(3, 1, 2), needy(1, 1, 2), needy(2, 1, 2), needy(4, 0, 7)];
    const policy = aPlanPolicy({ maxBytes: 5 * GB });
    const a = planMirror(aPlanInput({ candidates, policy }));
    const b = planMirror(aPlanInput({ candidates: [...candidates].reverse(), policy }));
    expect(b).toEqual(a);
    expect(a.desired).toEqual([hashOf(1), hashOf(2)]);
  });
});
