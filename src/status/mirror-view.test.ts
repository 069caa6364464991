import { describe, expect, it } from 'vitest';
import type { DaemonTorrent } from '../daemon/index.js';
import { planMirror } from '../plan/index.js';
import { GB, aCandidate, aCounts, aHeld, aPlanInput, aPlanPolicy, hashOf } from '../plan/testing.js';
import type { InfoHash } from '../shared/index.js';
import { buildMirrorView } from './mirror-view.js';

function aTorrent(hash: InfoHash, overrides: Partial<DaemonTorrent> = {}): DaemonTorrent {
  return {
    infoHash: hash,
    name: `t-${hash.slice(-2)}`,
    status: 'seeding',
    percentDone: 1,
    sizeWhenDoneBytes: 1 * GB,
    leftUntilDoneBytes: 0,
    rateDownloadBytesPerSec: 0,
    rateUploadBytesPerSec: 1000,
    uploadedEverBytes: 2 * GB,
    downloadedEverBytes: GB,
    peersConnected: 1,
    labels: ['smartnode'],
    downloadDir: '/m',
    addedDate: 1,
    doneDate: 2,
    secondsSeeding: 3,
    error: 0,
    errorString: '',
    trackerStats: [],
    ...overrides,
  };
}

describe('buildMirrorView', () => {
  // Budget for 2 of 5: hash 1 held and owned, 2 held but the owner's, 3..5 candidates (3 gets added).
  const candidates = [1, 2, 3, 4, 5].map((n) =>
    aCandidate({ infoHash: hashOf(n), name: `c${n}`, sizeBytes: GB, counts: aCounts({ seeders: n === 5 ? 9 : 1 }) }),
  );
  const held = [aHeld({ infoHash: hashOf(1), name: 'c1' }), aHeld({ infoHash: hashOf(2), name: 'c2', isOwned: false })];
  const plan = planMirror(aPlanInput({ candidates, held, policy: aPlanPolicy({ maxBytes: 2 * GB }) }));
  const torrents = [aTorrent(hashOf(1), { name: 'c1' }), aTorrent(hashOf(2), { name: 'c2', labels: [] })];

  it("owned rows carry the daemon's numbers and the planner's score and reason; the owner's torrents are not shown", () => {
    const view = buildMirrorView({
      result: { plan, torrents },
      appliedAdds: new Set(),
      appliedRemoves: new Set(),
      pins: new Set([hashOf(1)]),
    });
    const row = view.owned.find((o) => o.infoHash === hashOf(1));
    const decision = plan.decisions.find((d) => d.infoHash === hashOf(1))!;
    expect(row).toMatchObject({
      percentDone: 1,
      uploadRateBytesPerSec: 1000,
      ratio: 2,
      pinned: true,
      score: decision.score,
      reason: { code: decision.reason.code, text: decision.reason.text },
    });
    expect([...view.owned, ...view.candidates].some((r) => r.infoHash === hashOf(2))).toBe(false);
    expect(view.uploadRateBytesPerSec).toBe(2000);
  });

  it("candidates are the not-held decisions, best first, each with the planner's reason; the limit caps rows, not the total", () => {
    const view = buildMirrorView({
      result: { plan, torrents },
      appliedAdds: new Set(),
      appliedRemoves: new Set(),
      pins: new Set(),
      candidateLimit: 2,
    });
    expect(view.candidateTotal).toBe(3);
    expect(view.candidates).toHaveLength(2);
    const fromPlan = plan.decisions.filter((d) => !d.isHeld).slice(0, 2);
    expect(view.candidates.map((c) => [c.infoHash, c.reason.text])).toEqual(fromPlan.map((d) => [d.infoHash, d.reason.text]));
  });

  it('what this tick added shows as owned (progress 0); what it removed is gone', () => {
    const added = plan.decisions.find((d) => d.action === 'add')!.infoHash;
    const view = buildMirrorView({
      result: { plan, torrents },
      appliedAdds: new Set([added]),
      appliedRemoves: new Set([hashOf(1)]),
      pins: new Set(),
    });
    expect(view.owned.map((o) => [o.infoHash, o.action, o.percentDone])).toEqual([[added, 'add', 0]]);
    expect(view.candidates.some((c) => c.infoHash === added)).toBe(false);
  });
});
