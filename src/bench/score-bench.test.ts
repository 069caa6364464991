import { describe, expect, it } from 'vitest';
import { DEFAULT_SIGNALS } from '../plan/index.js';
import { agentTicks, generateScoringInput, scoreAll } from './score-bench.js';

describe('score benchmark', () => {
  it('generates the same input every time, 50 peers a candidate, and scores it', () => {
    const a = generateScoringInput(500);
    expect(generateScoringInput(500)).toEqual(a);
    expect(a.peerCountries.every((p) => p.length === 50)).toBe(true);
    const scoring = { targetSeeders: 5, leecherWeight: 0.5, replaceMargin: 0.2, minSeedTimeMs: 0, signals: DEFAULT_SIGNALS };
    const sum = scoreAll(a, scoring);
    expect(sum).toBeGreaterThan(0);
    expect(scoreAll(a, scoring)).toBe(sum);
  });

  it('runs real agent ticks with geography on (small, in this process)', async () => {
    const figures = await agentTicks(300, 20, 2);
    expect(figures).toMatchObject({ agentCandidates: 300, agentHeld: 20, agentTicks: 2 });
    expect(figures['agentScoredGeo']).toBeGreaterThan(20);
    expect(figures['agentHistoryTorrents']).toBe(300);
  }, 60_000);
});
