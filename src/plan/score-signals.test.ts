import { describe, expect, it } from 'vitest';
import { planMirror } from './select.js';
import { DEFAULT_SIGNALS, NeedCache, composeNeed, countsExcludingSelf, swarmNeed, withSignals } from './score.js';
import { FIXED_NOW_MS, GB, aCandidate, aCounts, aHeld, aPlanInput, aPlanPolicy, hashOf } from './testing.js';
import type { Candidate, GeoObservation, ScoringPolicy, SignalScoring } from './types.js';

const MB = 1_000_000;
const geoObs = (countryCounts: Record<string, number>): GeoObservation => ({
  countries: Object.keys(countryCounts),
  peers: Object.values(countryCounts),
  unknownPeers: 0,
  peersAre: 'seeders',
  source: 'announce',
  observedAtMs: FIXED_NOW_MS - 1000,
});
const signalsFor = (nodeId: string, overrides: Partial<SignalScoring> = {}): SignalScoring => ({
  ...DEFAULT_SIGNALS,
  herd: { ...DEFAULT_SIGNALS.herd, nodeId },
  ...overrides,
});
const scoring = (signals: SignalScoring): ScoringPolicy => ({ ...aPlanPolicy().scoring, signals });

describe('composeNeed', () => {
  it('is version-1 need times the factors, each kept with its inputs', () => {
    const s = scoring(signalsFor('n'));
    const base = swarmNeed({ seeders: 2, leechers: 3 }, s);
    const c = composeNeed({ seeders: 2, leechers: 3 }, s, null, { infoHash: hashOf(1), geo: geoObs({ DE: 2 }), slow: null }, s.signals!);
    expect(c.scarcity).toBe(base.scarcity);
    expect(c.factors?.leechers).toBe(base.demand);
    expect(c.factors?.geo?.concentration).toBe(1);
    expect(c.factors?.slow).toBeNull();
    expect(c.demand).toBeCloseTo(base.demand * c.factors!.geo!.factor * c.factors!.herd!.factor, 12);
  });

  it('is what NeedCache gives for counts carrying signals, and version 1 without', () => {
    const s = scoring(signalsFor('n'));
    const cache = new NeedCache(s);
    const signals = { infoHash: hashOf(1), geo: geoObs({ DE: 2 }), slow: null };
    expect(cache.get({ seeders: 2, leechers: 3, signals })).toEqual(composeNeed({ seeders: 2, leechers: 3 }, s, null, signals, s.signals!));
    expect(cache.get({ seeders: 2, leechers: 3 }).factors).toBeUndefined();
  });

  it('marks what we hold so herd avoidance never applies to it', () => {
    const signals = { infoHash: hashOf(1), geo: null, slow: null };
    const counts = { ...aCounts({ seeders: 3, observedAtMs: FIXED_NOW_MS }), signals };
    const r = countsExcludingSelf(counts, { leftUntilDoneBytes: 0, addedAtMs: FIXED_NOW_MS - 1 });
    expect(r.counts).toMatchObject({ seeders: 2, signals: { held: true } });
  });
});

describe('planMirror with signals', () => {
  const concentrated = aCandidate({
    infoHash: hashOf(1),
    name: 'one-country',
    sizeBytes: 2 * MB,
    counts: aCounts({ seeders: 3 }),
    signals: { infoHash: hashOf(1), geo: geoObs({ DE: 3 }), slow: null },
  });
  const spread = aCandidate({
    infoHash: hashOf(2),
    name: 'three-countries',
    sizeBytes: 2 * MB,
    counts: aCounts({ seeders: 3 }),
    signals: { infoHash: hashOf(2), geo: geoObs({ DE: 1, US: 1, JP: 1 }), slow: null },
  });

  it('picks the swarm whose seeders sit in one country over an equal one spread over three', () => {
    for (const order of [
      [concentrated, spread],
      [spread, concentrated],
    ]) {
      const plan = planMirror(
        aPlanInput({
          candidates: withSignals(order),
          policy: aPlanPolicy({ maxBytes: 3 * MB, scoring: scoring(signalsFor('node-x')) }),
        }),
      );
      expect(plan.desired).toEqual([hashOf(1)]);
      const d = plan.decisions.find((x) => x.infoHash === hashOf(1));
      expect(d?.components.factors?.geo).toMatchObject({ countries: 1, topCountry: 'DE', concentration: 1 });
      expect(d?.reason.code).toBe('NEEDED');
      expect(d?.reason.text).toContain('seeders all in one country (DE)');
      expect(plan.decisions.find((x) => x.infoHash === hashOf(2))?.reason.text).not.toContain('one country');
    }
  });

  it('with default signals, a lone node picks the one-seeder swarms over 2-3-seeder ones whatever its id', () => {
    // The end-to-end mirror world: target 4, 2 MB each, room for two.
    const world: Candidate[] = [
      ['crowded-a', 3],
      ['crowded-b', 3],
      ['medium', 2],
      ['rare-a', 1],
      ['rare-b', 1],
    ].map(([name, seeders], i) =>
      aCandidate({
        infoHash: hashOf(i + 1),
        name: String(name),
        sizeBytes: 2 * MB,
        counts: aCounts({ seeders: Number(seeders), leechers: 1 }),
        signals: { infoHash: hashOf(i + 1), geo: null, slow: null },
      }),
    );
    for (let n = 0; n < 200; n++) {
      const plan = planMirror(
        aPlanInput({
          candidates: withSignals(world),
          policy: aPlanPolicy({ maxBytes: 4.5 * MB, scoring: { ...scoring(signalsFor(`node-${n}`)), targetSeeders: 4 } }),
        }),
      );
      expect(plan.desired).toEqual([hashOf(4), hashOf(5)]);
    }
  });

  it('says why a needy torrent is left to others: copies on their way, slow start, or the draw', () => {
    const two = signalsFor('node-q', { herd: { ...DEFAULT_SIGNALS.herd, nodeId: 'node-q', expectedNodes: 2 } });
    const leftFor = (population: { onTheirWay: number; slowStart: 'designated' | 'waiting' | null }) => {
      const c = aCandidate({ counts: aCounts({ seeders: 3 }), signals: { infoHash: hashOf(1), geo: null, slow: null, population } });
      const plan = planMirror(
        aPlanInput({ candidates: withSignals([c]), policy: aPlanPolicy({ scoring: { ...scoring(two), targetSeeders: 4 } }) }),
      );
      expect(plan.desired).toEqual([]);
      return plan.decisions[0]?.reason;
    };
    expect(leftFor({ onTheirWay: 1, slowStart: null })).toMatchObject({ code: 'LEFT_TO_OTHERS', details: { cause: 'coming' } });
    expect(leftFor({ onTheirWay: 1, slowStart: 'waiting' })?.text).toMatch(/1 download under way .* cover the deficit/);
    expect(leftFor({ onTheirWay: 0, slowStart: 'waiting' })).toMatchObject({ details: { cause: 'slow-start' } });
    expect(leftFor({ onTheirWay: 0, slowStart: 'waiting' })?.text).toMatch(/slow start/);
  });

  it('leaves a needy torrent to other nodes when it is not designated, and keeps what it holds', () => {
    const many = signalsFor('node-q', { herd: { ...DEFAULT_SIGNALS.herd, nodeId: 'node-q', expectedNodes: 1_000_000 } });
    const c = aCandidate({ counts: aCounts({ seeders: 1 }), signals: { infoHash: hashOf(1), geo: null, slow: null } });
    const fresh = planMirror(aPlanInput({ candidates: withSignals([c]), policy: aPlanPolicy({ scoring: scoring(many) }) }));
    expect(fresh.desired).toEqual([]);
    expect(fresh.decisions[0]?.components.factors?.herd).toMatchObject({ designated: false, factor: 0 });
    expect(fresh.decisions[0]?.reason.code).toBe('LEFT_TO_OTHERS');
    expect(fresh.decisions[0]?.reason.text).toMatch(/herd avoidance leaves it to others for now/);
    const held = planMirror(
      aPlanInput({
        candidates: withSignals([{ ...c, counts: aCounts({ seeders: 2, observedAtMs: FIXED_NOW_MS - 1 }) }]),
        held: [aHeld({ infoHash: hashOf(1), addedAtMs: FIXED_NOW_MS - 10 * 24 * 3_600_000 })],
        policy: aPlanPolicy({ scoring: scoring(many) }),
      }),
    );
    expect(held.desired).toEqual([hashOf(1)]);
    expect(held.decisions[0]?.components.factors?.herd?.held).toBe(true);
  });

  it('scores crawling downloads above fast ones with the same counts', () => {
    const slowObs = {
      kind: 'little' as const,
      leechers: 10,
      completionsPerHour: 0.1,
      meanDownloadMs: 100 * 3_600_000,
      meanLeecherRateBytesPerSec: 2_800,
      samples: 3,
      spanMs: 7_200_000,
      observedAtMs: FIXED_NOW_MS,
    };
    const fastObs = { ...slowObs, completionsPerHour: 100, meanDownloadMs: 360_000, meanLeecherRateBytesPerSec: 2.8e6 };
    const a = aCandidate({
      infoHash: hashOf(1),
      counts: aCounts({ seeders: 2 }),
      signals: { infoHash: hashOf(1), geo: null, slow: fastObs },
    });
    const b = aCandidate({
      infoHash: hashOf(2),
      counts: aCounts({ seeders: 2 }),
      signals: { infoHash: hashOf(2), geo: null, slow: slowObs },
    });
    const plan = planMirror(
      aPlanInput({ candidates: withSignals([a, b]), policy: aPlanPolicy({ maxBytes: 1.5 * GB, scoring: scoring(signalsFor('n')) }) }),
    );
    expect(plan.desired).toEqual([hashOf(2)]);
    expect(plan.decisions[0]?.components.factors?.slow?.slowness).toBeGreaterThan(0.99);
    expect(plan.decisions[0]?.reason.text).toMatch(/downloads take 4.2d on average \(2.8 kB\/s\)/);
  });
});
