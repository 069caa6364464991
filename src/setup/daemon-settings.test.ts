import { describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { adviseSettings, parseDaemonSettings, rpcUrlFor, whitelistAllows } from './daemon-settings.js';

// The keys Debian bookworm's transmission-daemon 3.00 writes (values as its package ships them).
const debian = {
  'download-dir': '/var/lib/transmission-daemon/downloads',
  'rpc-authentication-required': true,
  'rpc-bind-address': '0.0.0.0',
  'rpc-enabled': true,
  'rpc-host-whitelist': '',
  'rpc-host-whitelist-enabled': true,
  'rpc-password': '{62b16db87b89a91dd49a5110a7cafc06d20eb4f2wtK6kqPj',
  'rpc-port': 9091,
  'rpc-url': '/transmission/',
  'rpc-username': 'transmission',
  'rpc-whitelist': '127.0.0.1',
  'rpc-whitelist-enabled': true,
};

describe('parseDaemonSettings', () => {
  it('reads what init needs from a Debian settings.json, never the password', () => {
    const s = parseDaemonSettings(JSON.stringify(debian, null, 4), 'settings.json');
    expect(s).toEqual({
      rpcEnabled: true,
      rpcPort: 9091,
      rpcPath: '/transmission/',
      bindAddress: '0.0.0.0',
      authRequired: true,
      username: 'transmission',
      whitelistEnabled: true,
      whitelist: ['127.0.0.1'],
      hostWhitelistEnabled: true,
      downloadDir: '/var/lib/transmission-daemon/downloads',
      antiBruteForceEnabled: false,
      keyStyle: 'kebab',
    });
    expect(JSON.stringify(s)).not.toContain('wtK6kqPj');
    expect(rpcUrlFor(s)).toBe('http://127.0.0.1:9091/transmission/rpc');
    expect(adviseSettings(s, '/etc/transmission-daemon/settings.json')).toEqual([]);
  });

  it('reads a 4.1 settings.json written with snake_case keys the same, and names keys in advice as the file does', () => {
    const snake = Object.fromEntries(Object.entries(debian).map(([k, v]) => [k.replace(/-/g, '_'), v]));
    const s = parseDaemonSettings(
      JSON.stringify({ ...snake, rpc_port: 9092, rpc_whitelist: '10.0.0.*', anti_brute_force_enabled: true }),
      'settings.json',
    );
    expect(s).toMatchObject({
      rpcPort: 9092,
      authRequired: true,
      username: 'transmission',
      whitelist: ['10.0.0.*'],
      antiBruteForceEnabled: true,
      keyStyle: 'snake',
    });
    expect(rpcUrlFor(s)).toBe('http://127.0.0.1:9092/transmission/rpc');
    const [advice] = adviseSettings(s, '/etc/transmission-daemon/settings.json');
    expect(advice?.problem).toContain('rpc_whitelist (10.0.0.*) does not let 127.0.0.1 in');
    expect(advice?.steps.join('\n')).toContain('"rpc_whitelist": "10.0.0.*,127.0.0.1"');
    expect(advice?.steps[0]).toContain('systemctl stop transmission-daemon');
  });

  it('derives the URL from a specific bind address, another port and a path without slashes', () => {
    const s = parseDaemonSettings(JSON.stringify({ 'rpc-bind-address': '::1', 'rpc-port': 9999, 'rpc-url': 'tr' }), 'f');
    expect(rpcUrlFor(s)).toBe('http://[::1]:9999/tr/rpc');
  });

  it('refuses text that is not JSON, naming the file', () => {
    expect(() => parseDaemonSettings('{"rpc-port": 9091,', '/etc/x.json')).toThrow(SmartnodeError);
    expect(() => parseDaemonSettings('{"rpc-port": "ninety"}', '/etc/x.json')).toThrow(/\/etc\/x\.json: rpc-port/);
  });
});

describe('whitelistAllows', () => {
  it('matches addresses and * wildcards as Transmission does', () => {
    expect(whitelistAllows(['127.0.0.1'], '127.0.0.1')).toBe(true);
    expect(whitelistAllows(['192.168.*.*', '127.0.0.*'], '127.0.0.1')).toBe(true);
    expect(whitelistAllows(['192.168.1.*'], '127.0.0.1')).toBe(false);
    expect(whitelistAllows(['127.0.0.10'], '127.0.0.1')).toBe(false);
    expect(whitelistAllows(['127.0.0.1'], '127a0b0c1')).toBe(false); // "." is literal
  });
});

describe('adviseSettings', () => {
  it('prints stop-edit-start steps for each needed change, the daemon stopped first', () => {
    const s = parseDaemonSettings(
      JSON.stringify({ ...debian, 'rpc-enabled': false, 'rpc-whitelist': '10.0.0.*', 'rpc-authentication-required': false }),
      'f',
    );
    const advice = adviseSettings(s, '/etc/transmission-daemon/settings.json');
    expect(advice.map((a) => a.problem)).toEqual([
      "the daemon's RPC is off (rpc-enabled is false)",
      'rpc-whitelist (10.0.0.*) does not let 127.0.0.1 in',
      'the RPC needs no password (rpc-authentication-required is false): anyone who can reach it controls the daemon',
    ]);
    for (const a of advice) {
      expect(a.steps[0]).toMatch(/^sudo systemctl stop transmission-daemon/);
      expect(a.steps[2]).toBe('sudo systemctl start transmission-daemon');
    }
    expect(advice[1]?.steps[1]).toContain('"rpc-whitelist": "10.0.0.*,127.0.0.1"');
  });
});
