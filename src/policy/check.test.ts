import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPolicyFile, summarizePolicy } from './check.js';
import { policySchema } from './schema.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartnode-check-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('checkPolicyFile', () => {
  it('returns the policy and a summary for the default policy', async () => {
    const result = await checkPolicyFile(new URL('../../policies/default.yaml', import.meta.url).pathname, { env: {} });
    if (!result.ok) throw result.error;
    expect(result.policy.feeds[0]?.id).toBe('at-datasets');
    expect(result.summary).toContain('storage: up to 2 TB in /srv/smartnode, keeping 50 GB free; owned torrents are labelled "smartnode"');
    expect(result.summary).toContain(
      '  at-datasets: auto https://academictorrents.com/collection/foo.csv, ' +
        'up to 500 GB, at most 20 torrents, cookie from the environment (cookieEnv)',
    );
    expect(result.summary).toContain('intervals: tick every 15m, feeds every 1h, scrape every 30m');
    expect(result.summary).toContain('requests: 5/s to a site, one at a time, academictorrents.com 0.5/s');
    expect(result.summary.filter((line) => line.startsWith('warning:'))).toEqual([
      'warning: the environment variable named by daemon.passwordEnv is not set here; the agent needs it where it runs',
      'warning: the environment variable named by the cookieEnv of feed at-datasets is not set here; the agent needs it where it runs',
    ]);
  });

  it('never prints the value of an *Env key (it may be a secret typed where a name belongs)', async () => {
    const path = join(dir, 'secret-in-env.yaml');
    const text = await readFile(new URL('../../policies/default.yaml', import.meta.url).pathname, 'utf8');
    await writeFile(path, text.replace(/passwordEnv: \S+/, 'passwordEnv: hunter2').replace(/cookieEnv: \S+/, 'cookieEnv: uid1234pass5678'));
    const result = await checkPolicyFile(path, { env: {} });
    if (!result.ok) throw result.error;
    const shown = result.summary.join('\n');
    expect(shown).not.toContain('hunter2');
    expect(shown).not.toContain('uid1234pass5678');
    expect(shown).toContain('named by daemon.passwordEnv is not set');
  });

  it('returns the error, not a throw, for an invalid or missing file', async () => {
    const path = join(dir, 'typo.yaml');
    await writeFile(
      path,
      'daemon:\n  url: http://127.0.0.1:9091/\nstorage:\n  downloadDir: /srv\n  maxBytes: 1 TB\n' +
        'feeds:\n  - id: a\n    url: https://x.org/\nintervals:\n  tik: 5m\n',
    );
    const invalid = await checkPolicyFile(path);
    expect(invalid.ok).toBe(false);
    if (invalid.ok) return;
    expect(invalid.error.code).toBe('POLICY_INVALID');
    expect(invalid.error.message).toBe(`${path}:10 intervals.tik: unknown key (did you mean "tick"?)`);

    const missing = await checkPolicyFile(join(dir, 'absent.yaml'));
    expect(missing.ok ? 'ok' : missing.error.code).toBe('POLICY_NOT_FOUND');
  });
});

describe('summarizePolicy warnings', () => {
  it('warns about settings that cannot work as written', () => {
    const policy = policySchema.parse({
      daemon: { url: 'http://127.0.0.1:9091/', passwordEnv: 'PW' },
      storage: { downloadDir: '/srv', maxBytes: '100 GB' },
      feeds: [{ id: 'big', url: 'https://x.org/', maxBytes: '1 TB', enabled: false }],
      intervals: { tick: '1h', feedRefresh: '10m' },
    });
    expect(summarizePolicy(policy, { PW: 'set' }).filter((l) => l.startsWith('warning:'))).toEqual([
      'warning: no feed is enabled, so nothing will be mirrored',
      'warning: feed big maxBytes 1 TB is more than storage.maxBytes 100 GB; the storage budget wins',
      'warning: a daemon password is set but no daemon.username; Transmission checks both',
      'warning: intervals.feedRefresh (10m) is shorter than intervals.tick (1h); feeds are fetched at most once per tick',
    ]);
  });

  it('never prints an environment value, only whether it is set', () => {
    const policy = policySchema.parse({
      daemon: { url: 'http://127.0.0.1:9091/', username: 'u', passwordEnv: 'PW' },
      storage: { downloadDir: '/srv', maxBytes: '100 GB' },
      feeds: [{ id: 'a', url: 'https://x.org/?apikey=abc123', cookieEnv: 'C' }],
    });
    const text = summarizePolicy(policy, { PW: 'hunter2-value', C: 'uid=1;pass=zzz' }).join('\n');
    expect(text).not.toContain('hunter2-value');
    expect(text).not.toContain('pass=zzz');
    expect(text).not.toContain('abc123');
    expect(text).not.toContain('warning');
  });
});
