/**
 * Peer address -> country, for the geographic-spread signal.
 *
 * geoip-lite is loaded lazily (only when geography is scored) and with its COUNTRY tables only:
 * importing it with the bundled city tables blocks ~190 ms and adds ~143 MB RSS; pointing
 * GEODATADIR at a folder holding just geoip-country*.dat (set before the import) loads in
 * ~30-100 ms for ~17 MB (measured on Node 20). That folder is made of links into
 * node_modules/geoip-lite/data (copies where links fail).
 *
 * Private, loopback, link-local, shared (CGNAT), multicast, unspecified and unparsable
 * addresses are unknown, never a country, unless the policy's CIDR override table names them
 * (for private networks, and for the end-to-end tests' namespace hosts). Lookups are cached
 * per address (a swarm's peers change slowly; a lookup costs ~2 µs).
 */
import { copyFile, mkdir, symlink, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { isCountryCode } from '../shared/index.js';
import { SmartnodeError } from '../shared/index.js';

export interface CidrOverride {
  /** "10.231.130.0/24", "2001:db8::/32", or a single address. */
  cidr: string;
  /** ISO 3166 alpha-2. */
  country: string;
}

export interface GeoResolver {
  /** The country of an address ("1.2.3.4", "::ffff:1.2.3.4", "2001:db8::1"), or null when unknown. */
  countryOf(address: string): string | null;
}

interface ParsedCidr {
  version: 4 | 6;
  base: bigint;
  bits: number;
  country: string;
}

/** Checks an override table; throws POLICY_INVALID naming the bad entry. */
export function validateOverrides(overrides: readonly CidrOverride[]): void {
  for (const o of overrides) parseCidr(o);
}

/** An address as a number, or null when it is not an IP address. */
export function parseAddress(address: string): { version: 4 | 6; value: bigint } | null {
  let text = address.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const kind = isIP(text);
  if (kind === 4) {
    const parts = text.split('.').map(Number);
    let value = 0n;
    for (const p of parts) value = (value << 8n) | BigInt(p);
    return { version: 4, value };
  }
  if (kind !== 6) return null;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An IPv4-mapped or -embedded tail becomes two hextets.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4 !== null) {
    const n = (v4[1] ?? '').split('.').map(Number);
    const group = (high: number | undefined, low: number | undefined): string => (((high ?? 0) << 8) | (low ?? 0)).toString(16);
    text = `${text.slice(0, v4.index)}${group(n[0], n[1])}:${group(n[2], n[3])}`;
  }
  const [head = '', tail] = text.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill('0'), ...t];
  let value = 0n;
  for (const g of groups) value = (value << 16n) | BigInt(parseInt(g, 16));
  // ::ffff:a.b.c.d is an IPv4 peer.
  if (value >> 32n === 0xffffn) return { version: 4, value: value & 0xffffffffn };
  return { version: 6, value };
}

function parseCidr(o: CidrOverride, checkCountry = true): ParsedCidr {
  const [addr = '', bitsText] = o.cidr.split('/');
  const parsed = parseAddress(addr);
  const width = parsed?.version === 4 ? 32 : 128;
  const bits = bitsText === undefined ? width : /^\d+$/.test(bitsText) ? Number(bitsText) : NaN;
  const country = o.country.toUpperCase();
  if (parsed === null || !Number.isInteger(bits) || bits < 0 || bits > width || (checkCountry && !isCountryCode(country))) {
    throw new SmartnodeError(
      'POLICY_INVALID',
      `geo override ${o.cidr} -> ${o.country}: expected a CIDR like "10.0.0.0/8" and an ISO country code like "DE"`,
      {
        hint: 'fix geo.overrides in the policy',
      },
    );
  }
  const shift = BigInt(width - bits);
  return { version: parsed.version, base: (parsed.value >> shift) << shift, bits, country };
}

/** Ranges that are never a country on their own (RFC 1918, 6598, 3927, 4193, loopback...). */
const NOT_PUBLIC: readonly ParsedCidr[] = [
  ['0.0.0.0/8'],
  ['10.0.0.0/8'],
  ['100.64.0.0/10'],
  ['127.0.0.0/8'],
  ['169.254.0.0/16'],
  ['172.16.0.0/12'],
  ['192.0.0.0/24'],
  ['192.0.2.0/24'],
  ['192.168.0.0/16'],
  ['198.18.0.0/15'],
  ['198.51.100.0/24'],
  ['203.0.113.0/24'],
  ['224.0.0.0/3'],
  ['::/127'],
  ['fc00::/7'],
  ['fe80::/10'],
  ['ff00::/8'],
  ['2001:db8::/32'],
].map(([cidr]) => parseCidr({ cidr: cidr as string, country: '' }, false));

function matches(r: ParsedCidr, a: { version: 4 | 6; value: bigint }): boolean {
  if (r.version !== a.version) return false;
  const shift = BigInt((a.version === 4 ? 32 : 128) - r.bits);
  return (a.value >> shift) << shift === r.base;
}

/** Whether an address is private, loopback or otherwise not on the public internet. */
export function isNonPublicAddress(address: string): boolean {
  const a = parseAddress(address);
  return a === null || NOT_PUBLIC.some((r) => matches(r, a));
}

export type CountryLookup = (address: string) => string | null;

/**
 * A resolver over a lookup function (geoip-lite's, or a table in tests): overrides first
 * (longest prefix wins), then non-public -> unknown, then the lookup; cached per address.
 */
export function createGeoResolver(lookup: CountryLookup, overrides: readonly CidrOverride[] = [], cacheSize = 200_000): GeoResolver {
  const table = overrides.map((o) => parseCidr(o)).sort((a, b) => b.bits - a.bits);
  const cache = new Map<string, string | null>();
  return {
    countryOf(address) {
      const hit = cache.get(address);
      if (hit !== undefined || cache.has(address)) return hit ?? null;
      const result = resolve(address);
      if (cache.size >= cacheSize) cache.delete(cache.keys().next().value as string);
      cache.set(address, result);
      return result;
    },
  };

  function resolve(address: string): string | null {
    const a = parseAddress(address);
    if (a === null) return null;
    for (const r of table) if (matches(r, a)) return r.country;
    if (NOT_PUBLIC.some((r) => matches(r, a))) return null;
    const country = lookup(a.version === 4 ? formatV4(a.value) : address);
    return country !== null && isCountryCode(country) ? country : null;
  }
}

function formatV4(v: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
}

let loaded: Promise<CountryLookup> | undefined;

/**
 * geoip-lite's lookup with country tables only; loaded once per process. `dataDir` is where
 * the folder of links to the country tables is made (the agent's state directory).
 */
export function loadCountryLookup(dataDir: string): Promise<CountryLookup> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const source = join(dirname(require.resolve('geoip-lite/package.json')), 'data');
    const folder = join(dataDir, 'geoip-country');
    try {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      for (const file of ['geoip-country.dat', 'geoip-country6.dat']) {
        const to = join(folder, file);
        if (await exists(to)) continue;
        await symlink(join(source, file), to).catch(() => copyFile(join(source, file), to));
      }
    } catch (error) {
      throw new SmartnodeError(
        'GEOIP_UNAVAILABLE',
        `cannot prepare the country tables in ${folder}: ${error instanceof Error ? error.message : String(error)}`,
        {
          hint: 'check that the state directory is writable; geography is then left out of the score',
          cause: error,
        },
      );
    }
    process.env['GEODATADIR'] = folder;
    const mod: unknown = await import('geoip-lite');
    const lookup = findLookup(mod);
    return (address: string) => {
      const r: unknown = lookup(address);
      if (typeof r !== 'object' || r === null || !('country' in r) || typeof r.country !== 'string' || r.country === '') return null;
      return r.country;
    };
  })();
  loaded.catch(() => {
    loaded = undefined;
  });
  return loaded;
}

function findLookup(mod: unknown): (address: string) => unknown {
  const candidates = [mod, typeof mod === 'object' && mod !== null && 'default' in mod ? mod.default : undefined];
  for (const c of candidates) {
    if (typeof c === 'object' && c !== null && 'lookup' in c && typeof c.lookup === 'function') {
      const fn = c.lookup as (address: string) => unknown;
      return (address) => fn.call(c, address);
    }
  }
  throw new SmartnodeError('GEOIP_UNAVAILABLE', 'geoip-lite has no lookup function', { hint: 'reinstall dependencies (npm ci)' });
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
