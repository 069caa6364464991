/** ISO 3166 alpha-2 country codes and their continents (AF, AN, AS, EU, NA, OC, SA). Pure. */
const CONTINENT_MEMBERS: Readonly<Record<string, string>> = {
  AF:
    'DZ AO BJ BW BF BI CV CM CF TD KM CG CD CI DJ EG GQ ER SZ ET GA GM GH GN GW KE LS LR LY ' +
    'MG MW ML MR MU YT MA MZ NA NE NG RE RW SH ST SN SC SL SO ZA SS SD TZ TG TN UG EH ZM ZW',
  AN: 'AQ BV GS HM TF',
  AS:
    'AF AM AZ BH BD BT IO BN KH CN CX CC CY GE HK IN ID IR IQ IL JP JO KZ KP KR KW KG ' +
    'LA LB MO MY MV MN MM NP OM PK PS PH QA SA SG LK SY TW TJ TH TL TR TM AE UZ VN YE AP',
  EU:
    'AX AL AD AT BY BE BA BG HR CZ DK EE FO FI FR DE GI GR GG VA HU IS IE IM IT JE ' +
    'XK LV LI LT LU MT MD MC ME NL MK NO PL PT RO RU SM RS SK SI ES SJ SE CH UA GB EU',
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

/** Continents in a fixed order: bit i of a continent mask is CONTINENTS[i]. */
export const CONTINENTS = Object.keys(CONTINENT_MEMBERS);

/** Index of a two-letter upper-case ASCII code in 0..675, or -1. */
export function countrySlot(code: string): number {
  if (code.length !== 2) return -1;
  const a = code.charCodeAt(0) - 65;
  const b = code.charCodeAt(1) - 65;
  return a >= 0 && a < 26 && b >= 0 && b < 26 ? a * 26 + b : -1;
}

/** Continent bit (1 << index in CONTINENTS) by country slot; 0 for an unknown code. */
const CONTINENT_BIT = new Uint8Array(26 * 26);
for (const [code, continent] of CONTINENT_OF) {
  const slot = countrySlot(code);
  if (slot >= 0) CONTINENT_BIT[slot] = 1 << CONTINENTS.indexOf(continent);
}

/** The continent bit of a country code (upper case), 0 when unknown: for masks of continents. */
export function continentBit(code: string): number {
  const slot = countrySlot(code);
  return slot < 0 ? 0 : (CONTINENT_BIT[slot] ?? 0);
}
