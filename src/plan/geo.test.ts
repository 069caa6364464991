import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { continentOf, countCountries, countryHistogram, geoFactor, measureSpread as measureArrays } from './geo.js';
import { DEFAULT_SIGNALS } from './score.js';
import type { GeoObservation } from './types.js';

const geo = DEFAULT_SIGNALS.geo;
const arrays = (rec: Record<string, number>) => ({ countries: Object.keys(rec), peers: Object.values(rec) });
const measureSpread = (rec: Record<string, number>, targetCountries: number, targetContinents: number) =>
  measureArrays(arrays(rec).countries, arrays(rec).peers, targetCountries, targetContinents);
const obs = (countryCounts: Record<string, number>, unknownPeers = 0): GeoObservation => ({
  ...arrays(countryCounts),
  unknownPeers,
  peersAre: 'seeders',
  source: 'daemon',
  observedAtMs: 0,
});

describe('measureSpread', () => {
  it('is fully concentrated in one country and fully spread over as many countries as peers', () => {
    expect(measureSpread({ DE: 3 }, 5, 3)?.concentration).toBe(1);
    expect(measureSpread({ DE: 1, US: 1, JP: 1 }, 5, 3)?.concentration).toBeCloseTo(0, 10);
    expect(measureSpread({ DE: 1 }, 5, 3)?.concentration).toBe(1);
  });

  it('normalises by the target: 50 peers over 3 countries are not fully spread against 5', () => {
    const m = measureSpread({ DE: 17, US: 17, JP: 16 }, 5, 3);
    expect(m?.concentration).toBeGreaterThan(0.25);
    expect(m?.concentration).toBeLessThan(0.35);
    expect(m?.continents).toBe(3);
    expect(m?.continentGap).toBe(0);
  });

  it('is null without a known country, and ignores zero, negative and NaN entries', () => {
    expect(measureSpread({}, 5, 3)).toBeNull();
    expect(measureSpread({ DE: 0, US: -2, FR: Number.NaN }, 5, 3)).toBeNull();
  });

  it('stays within 0..1 and falls when a peer moves to a new country (generated)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 8 }), (ns) => {
        const codes = ['DE', 'US', 'JP', 'BR', 'ZA', 'AU', 'FR', 'CA'];
        const counts: Record<string, number> = {};
        ns.forEach((n, i) => {
          counts[codes[i] as string] = n;
        });
        const m = measureSpread(counts, 5, 3);
        expect(m).not.toBeNull();
        expect(m!.concentration).toBeGreaterThanOrEqual(0);
        expect(m!.concentration).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe('geoFactor', () => {
  it('ranks a one-country swarm above a three-country one with the same peers', () => {
    const one = geoFactor(obs({ DE: 3 }), geo);
    const three = geoFactor(obs({ DE: 1, US: 1, JP: 1 }), geo);
    expect(one!.factor).toBeGreaterThan(three!.factor);
    expect(one!.topCountry).toBe('DE');
    expect(one!.topShare).toBe(1);
    expect(one!.factor).toBeLessThan(2);
  });

  it('adds the new-continent bonus over the new-country bonus, and none when ours is there', () => {
    const base = { ...geo, selfCountry: null };
    const f = (self: string | null) => geoFactor(obs({ DE: 2, FR: 1 }), { ...base, selfCountry: self });
    expect(f('JP')!.newRegion).toBe('continent');
    expect(f('IT')!.newRegion).toBe('country');
    expect(f('DE')!.newRegion).toBeNull();
    expect(f('JP')!.factor - f(null)!.factor).toBeCloseTo(geo.newContinentBonus, 10);
    expect(f('IT')!.factor - f(null)!.factor).toBeCloseTo(geo.newCountryBonus, 10);
  });

  it('is null (factor 1) when every peer is unknown or geography is off', () => {
    expect(geoFactor(obs({}, 7), geo)).toBeNull();
    expect(geoFactor(null, geo)).toBeNull();
    expect(geoFactor(obs({ DE: 3 }), { ...geo, enabled: false })).toBeNull();
  });
});

describe('countries and continents', () => {
  it('maps countries to continents and counts unknowns', () => {
    expect(continentOf('de')).toBe('EU');
    expect(continentOf('BR')).toBe('SA');
    expect(continentOf('ZZ')).toBeNull();
    expect(countCountries(['DE', null, '', 'DE', 'US', 'de', 'DEU'])).toEqual({ countries: ['DE', 'US'], peers: [2, 1], unknownPeers: 4 });
    // The scratch table is reset between calls.
    expect(countryHistogram(countCountries(['US']))).toEqual({ US: 1 });
  });
});
