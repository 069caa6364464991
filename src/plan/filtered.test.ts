import { describe, expect, it } from 'vitest';
import { planMirror } from './select.js';
import { aCandidate, aCounts, aPlanInput, hashOf } from './testing.js';

// The volunteer's feed filters reach the planner as a sentence on the candidate.
describe('planMirror: candidates the feed filters turn away', () => {
  it('skips one with the FILTERED reason where it would otherwise be added', () => {
    const candidate = aCandidate({ infoHash: hashOf(1), counts: aCounts({ seeders: 0, leechers: 3 }) });
    const wanted = planMirror(aPlanInput({ candidates: [candidate] })).decisions.find((d) => d.infoHash === hashOf(1));
    expect(wanted?.action).toBe('add');
    const filtered = planMirror(aPlanInput({ candidates: [{ ...candidate, filteredOut: 'feed f: too new' }] })).decisions.find(
      (d) => d.infoHash === hashOf(1),
    );
    expect(filtered?.action).toBe('skip');
    expect(filtered?.reason).toMatchObject({ code: 'FILTERED', text: 'not wanted: feed f: too new' });
  });
});
