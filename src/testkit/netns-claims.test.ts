import { describe, expect, it } from 'vitest';
import { overlapsAny, rangeOf, usedRangesFrom } from './netns-claims.js';

describe('usedRangesFrom', () => {
  const addr = [
    '1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever',
    '2: eth0    inet 10.200.7.42/20 brd 10.200.15.255 scope global eth0',
  ].join('\n');
  const route = [
    'default via 10.200.0.1 dev eth0',
    '10.150.0.0/16 via 10.200.0.1 dev eth0',
    '192.0.2.9 dev tun0 scope link',
    'broadcast 10.200.15.255 dev eth0 table local proto kernel scope link src 10.200.7.42',
    'unreachable 172.20.0.0/14',
  ].join('\n');
  const used = usedRangesFrom(addr, route);

  it('counts interface subnets and routed ranges, but not the default route', () => {
    expect(overlapsAny(rangeOf('10.200.9.0', 24), used)).toBe(true);
    expect(overlapsAny(rangeOf('10.200.16.0', 24), used)).toBe(false);
    expect(overlapsAny(rangeOf('10.150.99.0', 24), used)).toBe(true);
    expect(overlapsAny(rangeOf('172.23.1.0', 24), used)).toBe(true);
    expect(overlapsAny(rangeOf('172.24.1.0', 24), used)).toBe(false);
    expect(overlapsAny(rangeOf('192.0.2.0', 24), used)).toBe(true);
    expect(overlapsAny(rangeOf('10.140.0.0', 24), used)).toBe(false);
  });
});
