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
import type { GeoFactor, GeoObservation, SignalScoring } from './types.js';

/** ISO 3166 alpha-2 codes by continent (AF, AN, AS, EU, NA, OC, SA). */
const CONTINENT_MEMBERS: Readonly<Record<string, string>> = {
  AF: 'DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY MG MW ML MR MU YT MA MZ NA NE NG RE RW SH ST SN SC SL SO ZA SS SD TZ TG TN UG EH ZM ZW',
  AN: 'AQ BV GS HM TF',
  AS: 'AF AM AZ BH BD BT IO BN KH CN CX CC CY GE HK IN ID IR IQ IL JP JO KZ KP KR KW KG LA LB MO MY MV MN MM NP OM PK PS PH QA SA SG LK SY TW TJ TH TL TR TM AE UZ VN YE AP',
  EU: 'AX AL AD AT BY BE BA BG HR CZ DK EE FO FI FR DE GI GR GG VA HU IS IE IM IT JE XK LV LI LT LU MT MD MC ME NL MK NO PL PT RO RU SM RS SK SI ES SJ SE CH UA GB EU',
  NA: 'AI AG AW BS BB BZ BM BQ VG CA KY CR CU CW DM DO SV GL GD GP GT HT HN JM MQ MX MS NI PA PR BL KN LC MF PM VC SX TT TC US VI UM',
  OC: 'AS AU CK FJ PF GU KI MH FM NR NC NZ NU NF MP PW PG PN WS SB TK TO TV VU WF',
  SA: 'AR BO BR CL CO EC FK GF GY PY PE SR UY VE',
};

const CONTINENT_OF = new Map<string, string>();
for (const [continent, members] of Object.entries(CONTINENT_MEMBERS)) {
  for (const code of members.split(' ')) CONTINENT_OF.set(code, continent);
}

/** The continent of an ISO alpha-2 country code, or null for an unknown code. */
export function continentOf(country: string): string | null {
  return CONTINENT_OF.get(country.toUpperCase()) ?? null;
}

/** Whether a string is an ISO alpha-2 code this table knows. */
export function isCountryCode(code: string): boolean {
  return CONTINENT_OF.has(code);
}

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
    const continent = CONTINENT_OF.get(country);
    if (continent !== undefined) continentSet.add(continent);
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
    const selfContinent = CONTINENT_OF.get(self);
    if (selfContinent !== undefined && !spread.continentSet.has(selfContinent)) {
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
