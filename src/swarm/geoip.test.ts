import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { createGeoResolver, isNonPublicAddress, loadCountryLookup, parseAddress, validateOverrides } from './geoip.js';

describe('addresses', () => {
  it('parses IPv4, IPv6, bracketed, zoned and v4-mapped addresses; rejects garbage', () => {
    expect(parseAddress('1.2.3.4')).toEqual({ version: 4, value: 0x01020304n });
    expect(parseAddress('::ffff:1.2.3.4')).toEqual({ version: 4, value: 0x01020304n });
    expect(parseAddress('[2001:db8::1]')?.version).toBe(6);
    expect(parseAddress('fe80::1%eth0')?.version).toBe(6);
    for (const bad of ['', 'x', '1.2.3', '1.2.3.4.5', '256.1.1.1', 'a.b.c.d', '1.2.3.4:80', ':::', '1.2.3.4/8', '\u0000']) {
      expect(parseAddress(bad)).toBeNull();
    }
  });

  it('knows private, loopback, link-local, CGNAT and documentation ranges', () => {
    for (const a of [
      '10.1.2.3',
      '127.0.0.1',
      '192.168.1.1',
      '172.16.5.5',
      '100.64.0.1',
      '169.254.1.1',
      '::1',
      'fd00::1',
      'fe80::1',
      '0.0.0.0',
      'garbage',
    ]) {
      expect(isNonPublicAddress(a), a).toBe(true);
    }
    expect(isNonPublicAddress('8.8.8.8')).toBe(false);
    expect(isNonPublicAddress('172.32.0.1')).toBe(false);
  });
});

describe('createGeoResolver', () => {
  const table: Record<string, string> = { '8.8.8.8': 'US', '2001:4860:4860::8888': 'US', '5.5.5.5': '' };
  let calls = 0;
  const lookup = (a: string): string | null => {
    calls++;
    return table[a] ?? null;
  };

  it('gives overrides first (longest prefix), non-public as unknown, then the lookup; caches', () => {
    const r = createGeoResolver(lookup, [
      { cidr: '10.231.130.0/24', country: 'de' },
      { cidr: '10.231.130.12', country: 'FR' },
      { cidr: 'fd00::/8', country: 'JP' },
    ]);
    expect(r.countryOf('10.231.130.11')).toBe('DE');
    expect(r.countryOf('10.231.130.12')).toBe('FR');
    expect(r.countryOf('fd00::5')).toBe('JP');
    expect(r.countryOf('10.231.131.11')).toBeNull();
    expect(r.countryOf('127.0.0.1')).toBeNull();
    calls = 0;
    expect(r.countryOf('8.8.8.8')).toBe('US');
    expect(r.countryOf('8.8.8.8')).toBe('US');
    expect(calls).toBe(1);
    expect(r.countryOf('5.5.5.5')).toBeNull(); // geoip-lite sometimes answers country ''
    expect(r.countryOf('not an address')).toBeNull();
  });

  it('refuses a bad override table, naming the entry', () => {
    expect(() => validateOverrides([{ cidr: '10.0.0.0/33', country: 'DE' }])).toThrow(/10\.0\.0\.0\/33/);
    expect(() => validateOverrides([{ cidr: '10.0.0.0/8', country: 'XX' }])).toThrow(SmartnodeError);
    expect(() => validateOverrides([{ cidr: 'nope/8', country: 'DE' }])).toThrow(/expected a CIDR/);
  });
});

describe('geoip-lite, country tables only', () => {
  let dir = '';
  afterAll(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('loads lazily from a folder holding just the country tables, and resolves public addresses', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sn-geoip-'));
    const before = process.memoryUsage().rss;
    const lookup = await loadCountryLookup(dir);
    const grown = process.memoryUsage().rss - before;
    expect((await readdir(join(dir, 'geoip-country'))).sort()).toEqual(['geoip-country.dat', 'geoip-country6.dat']);
    expect(process.env['GEODATADIR']).toBe(join(dir, 'geoip-country'));
    // Well below the ~143 MB the city tables add.
    expect(grown).toBeLessThan(80 * 1024 * 1024);
    const r = createGeoResolver(lookup);
    // Public resolvers of well-known operators (resolved here, never contacted).
    expect(r.countryOf('8.8.8.8')).toBe('US');
    expect(r.countryOf('2001:4860:4860::8888')).toBe('US');
    expect(r.countryOf('193.0.14.129')).toMatch(/^[A-Z]{2}$/);
    expect(r.countryOf('10.0.0.1')).toBeNull();
    expect(await loadCountryLookup(dir)).toBe(lookup);
  });
});
