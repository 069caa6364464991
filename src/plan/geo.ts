/**
 * Geographic spread of a swarm. Pure: country codes in, numbers out.
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
import { continentBit, countrySlot } from '../shared/index.js';
import type { GeoFactor, GeoObservation, SignalScoring } from './types.js';

export { continentOf, isCountryCode } from '../shared/index.js';

export interface SpreadMetrics {
  knownPeers: number;
  countries: number;
  continents: number;
  concentration: number;
  continentGap: number;
  topCountry: string;
  topShare: number;
  /** Bit i set: a peer on CONTINENTS[i] (shared/countries.ts). */
  continentMask: number;
}

/** Spread of the known peers; null when no peer resolved to a country. */
export function measureSpread(
  countries: readonly string[],
  peers: readonly number[],
  targetCountries: number,
  targetContinents: number,
): SpreadMetrics | null {
  let known = 0;
  let present = 0;
  let topCountry = '';
  let top = 0;
  let mask = 0;
  for (let i = 0; i < countries.length; i++) {
    const n = peers[i] ?? 0;
    if (!(n > 0) || !Number.isFinite(n)) continue;
    const country = countries[i] as string;
    known += n;
    present++;
    if (n > top || (n === top && country < topCountry)) {
      top = n;
      topCountry = country;
    }
    mask |= continentBit(country);
  }
  if (known === 0) return null;
  let entropy = 0;
  for (let i = 0; i < countries.length; i++) {
    const n = peers[i] ?? 0;
    if (!(n > 0) || !Number.isFinite(n)) continue;
    const p = n / known;
    entropy -= p * Math.log(p);
  }
  const reachable = Math.min(known, Math.max(1, Math.floor(targetCountries)));
  const concentration = reachable <= 1 ? 1 : clamp01(1 - entropy / Math.log(reachable));
  const tc = Math.max(1, Math.floor(targetContinents));
  const continents = popCount(mask);
  return {
    knownPeers: known,
    countries: present,
    continents,
    concentration,
    continentGap: Math.max(0, tc - continents) / tc,
    topCountry,
    topShare: top / known,
    continentMask: mask,
  };
}

/** The geography factor of one swarm (see the module comment); null when geography is unknown. */
export function geoFactor(obs: GeoObservation | null, geo: SignalScoring['geo']): GeoFactor | null {
  if (!geo.enabled || obs === null) return null;
  const spread = measureSpread(obs.countries, obs.peers, geo.targetCountries, geo.targetContinents);
  if (spread === null) return null;
  let newRegion: GeoFactor['newRegion'] = null;
  let bonus = 0;
  const self = geo.selfCountry;
  if (self !== null) {
    const selfBit = continentBit(self);
    if (selfBit !== 0 && (spread.continentMask & selfBit) === 0) {
      newRegion = 'continent';
      bonus = geo.newContinentBonus;
    } else if (!obs.countries.includes(self)) {
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

/** Reused across calls: peers per country slot (countrySlot); all zero between calls. */
const scratch = new Int32Array(26 * 26);

/**
 * Counts country codes (upper-case ISO alpha-2, as the resolver gives them) into parallel
 * arrays, in first-seen order; null, empty and malformed codes count as unknown. Indexed
 * loops and a reused table: it runs once per peer of every scored swarm.
 */
export function countCountries(codes: readonly (string | null)[]): { countries: string[]; peers: number[]; unknownPeers: number } {
  let unknownPeers = 0;
  const countries: string[] = [];
  const slots: number[] = [];
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i];
    const slot = code === null || code === undefined ? -1 : countrySlot(code);
    if (slot < 0) {
      unknownPeers++;
      continue;
    }
    const n = scratch[slot] as number;
    if (n === 0) {
      slots.push(slot);
      countries.push(code as string);
    }
    scratch[slot] = n + 1;
  }
  const peers = new Array<number>(slots.length);
  for (let k = 0; k < slots.length; k++) {
    const slot = slots[k] as number;
    peers[k] = scratch[slot] as number;
    scratch[slot] = 0;
  }
  return { countries, peers, unknownPeers };
}

/** A histogram as a plain record (for tests and JSON readers). */
export function countryHistogram(obs: Pick<GeoObservation, 'countries' | 'peers'>): Record<string, number> {
  const out: Record<string, number> = {};
  obs.countries.forEach((c, i) => {
    out[c] = obs.peers[i] ?? 0;
  });
  return out;
}

function popCount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : Math.min(x, 1);
}
