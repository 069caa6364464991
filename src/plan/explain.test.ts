import { describe, expect, it } from 'vitest';
import { formatPlanTable, planToJSON } from './explain.js';
import { planMirror } from './select.js';
import { FIXED_NOW_MS, GB, aCandidate, aCounts, aHeld, aPlanInput, aPlanPolicy, hashOf } from './testing.js';

const plan = planMirror(
  aPlanInput({
    held: [aHeld({ infoHash: hashOf(1), name: 'kept-one', sizeBytes: 2 * GB })],
    candidates: [
      aCandidate({
        infoHash: hashOf(1),
        name: 'kept-one',
        sizeBytes: 2 * GB,
        counts: aCounts({ seeders: 2, observedAtMs: FIXED_NOW_MS - 5 * 60_000 }),
      }),
      aCandidate({ infoHash: hashOf(2), name: 'rare', sizeBytes: 1.5 * GB, counts: aCounts({ seeders: 0, leechers: 3, source: 'feed' }) }),
      aCandidate({ infoHash: hashOf(3), name: 'popular', counts: aCounts({ seeders: 40, leechers: 9 }) }),
      aCandidate({ infoHash: hashOf(4), name: 'uncounted', counts: null }),
    ],
    diskFreeBytes: 8 * GB,
    policy: aPlanPolicy({ minFreeBytes: 1 * GB }),
  }),
);

describe('formatPlanTable', () => {
  it('shows the budget, a summary, and ranked rows with counts, feed and reason', () => {
    const table = formatPlanTable(plan, { width: 200 });
    const lines = table.split('\n');
    expect(lines[0]).toBe('budget 9 GB (limited by disk: 8 GB free + 2 GB ours - 0 B still to write - 1 GB kept free); plan holds 4.5 GB');
    expect(lines[1]).toBe('3 torrents desired: +2 add, -0 remove, 1 keep, 1 skipped');
    expect(lines[2]).toMatch(/^ACTION\s+NAME\s+SCORE\/GB\s+SIZE\s+S\/L SOURCE AGE\s+FEED\s+REASON$/);
    expect(lines[3]).toMatch(
      /^add\s+rare\s+1\s+1\.5 GB\s+0\/3 feed 1m\s+feed-a\s+NEEDED: 0 seeders against a target of 5; 3 leechers waiting$/,
    );
    expect(lines[4]).toMatch(/^add\s+uncounted\s+0\.3\s+1 GB\s+\?\/\? none\s+feed-a\s+NEEDED: swarm not counted yet/);
    expect(lines[5]).toMatch(/^keep\s+kept-one\s+0\.2\s+2 GB\s+2\/0 scrape 5m\s+feed-a\s+KEPT: kept: 1 seeder besides us/);
    expect(lines[6]).toMatch(/^skip\s+popular\s+0\s+1 GB\s+40\/9 scrape 1m\s+feed-a\s+WELL_SEEDED: 40 seeders already meet/);
  });

  it('keeps lines within the width and counts the rows left out', () => {
    const table = formatPlanTable(plan, { width: 60, limit: 2 });
    const lines = table.split('\n');
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(60);
    expect(lines.at(-1)).toBe('... and 2 more');
  });

  it('wraps a reason too long for its column below it, word by word, never cutting it', () => {
    for (const width of [60, 100, 140]) {
      const lines = formatPlanTable(plan, { width, limit: 4 }).split('\n');
      for (const l of lines) expect(l.length, `${width}: ${l}`).toBeLessThanOrEqual(width);
      const text = lines.join(' ').replace(/\s+/g, ' ');
      for (const d of plan.decisions) expect(text, `${width}`).toContain(`${d.reason.code}: ${d.reason.text}`);
    }
  });
});

describe('planToJSON', () => {
  it('round-trips through JSON with a schema tag and a summary', () => {
    const json = planToJSON(plan);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.schema).toBe('smartnode.plan/1');
    expect(json.summary).toMatchObject({ add: 2, keep: 1, skip: 1, remove: 0, byReason: { NEEDED: 2, KEPT: 1, WELL_SEEDED: 1 } });
    expect(json.decisions).toHaveLength(4);
  });
});
