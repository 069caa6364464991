/** ISO 3166 alpha-2 country codes and their continents (AF, AN, AS, EU, NA, OC, SA). Pure. */
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

