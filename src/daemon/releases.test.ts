import { describe, expect, it } from 'vitest';
import type { DaemonVersion } from './port.js';
import { describeRelease } from './releases.js';

const v = (version: string, rpcVersion: number, semver: string | null, protocol: DaemonVersion['protocol'] = 'legacy'): DaemonVersion => ({
  version,
  rpcVersion,
  rpcVersionSemver: semver,
  protocol,
});

describe('describeRelease', () => {
  it('names every line a volunteer may run, whether it is tested, and its known defects', () => {
    expect(describeRelease(v('3.00 (bb6b5a062e)', 16, '5.2.0'))).toMatchObject({
      tested: true,
      line: expect.stringContaining("3.00 (Debian 12's line"),
    });
    expect(describeRelease(v('4.0.5 (a6fe2a64aa)', 17, '5.3.0'))).toMatchObject({
      tested: false,
      line: expect.stringContaining('Ubuntu 24.04'),
      defects: [],
    });
    const beta = describeRelease(v('4.1.0-beta.2 (ac5c9e082d)', 18, '5.4.0'));
    expect(beta).toMatchObject({ tested: true, line: expect.stringContaining("Debian 13's line") });
    expect(beta.defects.join(' ')).toMatch(/no JSON-RPC 2\.0.*floats/);
    const zero = describeRelease(v('4.1.0 (a1b2c3)', 18, '6.0.0', 'json-rpc'));
    expect(zero).toMatchObject({ tested: false });
    expect(zero.defects.join(' ')).toContain('floats');
    expect(describeRelease(v('4.1.4 (a6d907d9ea)', 19, '6.0.1', 'json-rpc'))).toEqual({
      line: "4.1.4 (Debian unstable's line; tested, JSON-RPC 2.0)",
      tested: true,
      defects: [],
    });
    expect(describeRelease(v('5.0.0 (x)', 20, '7.0.0', 'json-rpc')).tested).toBe(false);
    expect(describeRelease(v('2.94 (x)', 15, null)).defects.length).toBe(1);
  });
});
