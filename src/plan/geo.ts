/**
 * Geographic spread of a swarm (issue 3). Pure: country codes in, numbers out.
 *
 * Data that sits in one country (one jurisdiction, one backbone, often one institution) is
 * one event away from being lost however many seeders it has, so a concentrated swarm needs a
 * new copy more than a spread one with the same counts:
 *
 *   concentration = 1 - H / ln(min(knownPeers, targetCountries))      (H: Shannon entropy, nats)
 *       0 when the peers are spread evenly over as many countries as they could be (at most
 *       targetCountries), 1 when they all sit in one. A single peer is fully concentrated.
 *   continentGap  = max(0, targetContinents - continents) / targetContinents
 *   geoNeed       = (concentration + continentGap) / 2                           (0..1)
 *   factor        = 1 + weight * geoNeed + bonus
 *       bonus = newContinentBonus when this node's continent has no peer yet, else
 *       newCountryBonus when its country has none, else 0.
 *
 * With no peer resolved to a country there is no geography: the factor is 1 (unknown is
 * never taken for concentrated; private and loopback addresses are unknown).
 */
import { continentOf } from '../shared/countries.js';
import type { GeoFactor, GeoObservation, SignalScoring } from './types.js';

export { continentOf, isCountryCode } from '../shared/countries.js';

export interface SpreadMetrics {
  knownPeers: number;
  countries: number;
  continents: number;
  concentration: number;
  continentGap: number;
  topCountry: string;
  topShare: number;
  continentSet: ReadonlySet<string>;
}

/** Spread of the known peers; null when no peer resolved to a country. */
export function measureSpread(
  countryCounts: Readonly<Record<string, number>>,
  targetCountries: number,
  targetContinents: number,
): SpreadMetrics | null {
  let known = 0;
  let countries = 0;
  let topCountry = '';
  let top = 0;
  const continentSet = new Set<string>();
  for (const country in countryCounts) {
    const n = countryCounts[country] ?? 0;
    if (!(n > 0) || !Number.isFinite(n)) continue;
    known += n;
    countries++;
    if (n > top || (n === top && country < topCountry)) {
      top = n;
      topCountry = country;
    }
    const continent = continentOf(country);
    if (continent !== null) continentSet.add(continent);
  }
  if (known === 0) return null;
  let entropy = 0;
  for (const country in countryCounts) {
    const n = countryCounts[country] ?? 0;
    if (!(n > 0) || !Number.isFinite(n)) continue;
    const p = n / known;
    entropy -= p * Math.log(p);
  }
  const reachable = Math.min(known, Math.max(1, Math.floor(targetCountries)));
  const concentration = reachable <= 1 ? 1 : clamp01(1 - entropy / Math.log(reachable));
  const tc = Math.max(1, Math.floor(targetContinents));
  return {
    knownPeers: known,
    countries,
    continents: continentSet.size,
    concentration,
    continentGap: Math.max(0, tc - continentSet.size) / tc,
    topCountry,
    topShare: top / known,
    continentSet,
  };
}

/** The geography factor of one swarm (see the module comment); null when geography is unknown. */
export function geoFactor(obs: GeoObservation | null, geo: SignalScoring['geo']): GeoFactor | null {
  if (!geo.enabled || obs === null) return null;
  const spread = measureSpread(obs.countryCounts, geo.targetCountries, geo.targetContinents);
  if (spread === null) return null;
  let newRegion: GeoFactor['newRegion'] = null;
  let bonus = 0;
  const self = geo.selfCountry;
  if (self !== null) {
    const selfContinent = continentOf(self);
    if (selfContinent !== null && !spread.continentSet.has(selfContinent)) {
      newRegion = 'continent';
      bonus = geo.newContinentBonus;
    } else if (!((obs.countryCounts[self] ?? 0) > 0)) {
      newRegion = 'country';
      bonus = geo.newCountryBonus;
    }
  }
  const geoNeed = (spread.concentration + spread.continentGap) / 2;
  return {
    factor: 1 + Math.max(0, geo.weight) * geoNeed + Math.max(0, bonus),
    concentration: spread.concentration,
    continentGap: spread.continentGap,
    countries: spread.countries,
    continents: spread.continents,
    knownPeers: spread.knownPeers,
    unknownPeers: obs.unknownPeers,
    topCountry: spread.topCountry,
    topShare: spread.topShare,
    newRegion,
    peersAre: obs.peersAre,
    source: obs.source,
    observedAtMs: obs.observedAtMs,
  };
}

/** Counts country codes into a histogram; null/empty codes are counted as unknown. */
export function countCountries(codes: Iterable<string | null>): { countryCounts: Record<string, number>; unknownPeers: number } {
  const countryCounts: Record<string, number> = {};
  let unknownPeers = 0;
  for (const code of codes) {
    if (code === null || code === '') unknownPeers++;
    else countryCounts[code] = (countryCounts[code] ?? 0) + 1;
  }
  return { countryCounts, unknownPeers };
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}
