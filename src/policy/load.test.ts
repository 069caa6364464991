import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { loadPolicyFile, resolveSecrets } from './load.js';
import { policySchema, type Policy } from './schema.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartnode-policy-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const PASSWORD = 'correct-horse-battery-staple';
const COOKIE = 'uid=4242;pass=0123456789abcdef';

function aPolicy(daemon: Record<string, unknown>, feeds?: Record<string, unknown>[]): Policy {
  return policySchema.parse({
    daemon: { url: 'http://127.0.0.1:9091/transmission/rpc', username: 'transmission', ...daemon },
    storage: { downloadDir: '/srv/smartnode', maxBytes: '1 TB' },
    feeds: feeds ?? [{ id: 'at', url: 'https://academictorrents.com/collection/foo.csv' }],
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<SmartnodeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SmartnodeError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** Everything a person or a log could see of an error. */
function everythingShown(error: SmartnodeError): string {
  return [error.message, error.hint ?? '', JSON.stringify(error.toJSON()), String(error.cause ?? '')].join('\n');
}

const readSecretFile = (path: string) => readFile(path, 'utf8');

describe('loadPolicyFile', () => {
  it('reads, validates and returns the policy with its absolute path', async () => {
    const path = join(dir, 'ok.yaml');
    await writeFile(
      path,
      'daemon:\n  url: http://127.0.0.1:9091/transmission/rpc\nstorage:\n  downloadDir: /srv\n  maxBytes: 3 TB\n' +
        'feeds:\n  - id: a\n    url: https://x.org/a.csv\n',
    );
    const loaded = await loadPolicyFile(path);
    expect(loaded.path).toBe(path);
    expect(loaded.policy.storage.maxBytes).toBe(3e12);
  });

  it('names the file in validation errors as it was given', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(
      path,
      'daemon:\n  url: http://127.0.0.1:9091/\nstorage:\n  downloadDir: /srv\n  maxBytes: lots\n' +
        'feeds:\n  - id: a\n    url: https://x.org/\n',
    );
    const error = await rejectionOf(loadPolicyFile(path));
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toBe(`${path}:5 storage.maxBytes: expected a size like "500 GB", got "lots"`);
  });

  it('says POLICY_NOT_FOUND with a hint for a missing file or a directory', async () => {
    const missing = await rejectionOf(loadPolicyFile(join(dir, 'nope.yaml')));
    expect(missing.code).toBe('POLICY_NOT_FOUND');
    expect(missing.message).toBe(`policy file ${join(dir, 'nope.yaml')}: no such file`);
    expect(missing.hint).toContain('policies/default.yaml');
    const directory = await rejectionOf(loadPolicyFile(dir));
    expect(directory.code).toBe('POLICY_NOT_FOUND');
    expect(directory.message).toContain('it is a directory');
  });
});

describe('resolveSecrets', () => {
  it('reads the RPC password and feed cookies from the environment', async () => {
    const policy = aPolicy({ passwordEnv: 'RPC_PW' }, [
      { id: 'at', url: 'https://x.org/a.csv', cookieEnv: 'AT_COOKIE' },
      { id: 'open', url: 'https://x.org/b.rss' },
    ]);
    const secrets = await resolveSecrets(policy, { RPC_PW: PASSWORD, AT_COOKIE: COOKIE }, readSecretFile);
    expect(secrets.rpcPassword).toBe(PASSWORD);
    expect([...secrets.feedCookies]).toEqual([['at', COOKIE]]);
  });

  it('needs nothing when the policy names no secret', async () => {
    const secrets = await resolveSecrets(aPolicy({}), {}, readSecretFile);
    expect(secrets).toEqual({ rpcPassword: undefined, feedCookies: new Map() });
  });

  it('reports every missing variable at once, by name', async () => {
    const policy = aPolicy({ passwordEnv: 'RPC_PW' }, [
      { id: 'at', url: 'https://x.org/a.csv', cookieEnv: 'AT_COOKIE' },
      { id: 'off', url: 'https://x.org/b.csv', cookieEnv: 'OFF_COOKIE', enabled: false },
    ]);
    const error = await rejectionOf(resolveSecrets(policy, { AT_COOKIE: '' }, readSecretFile));
    expect(error.code).toBe('SECRET_MISSING');
    expect(error.message.split('\n')).toEqual([
      'the environment variable named by daemon.passwordEnv is not set ' +
        '(daemon.passwordEnv holds the NAME of a variable, never the secret itself)',
      'the environment variable named by the cookieEnv of feed at is empty',
    ]);
    expect(error.hint).toContain('EnvironmentFile=');
  });

  it('reads the password file, without its final line break', async () => {
    const path = join(dir, 'rpc-password');
    await writeFile(path, `${PASSWORD}\n`);
    const secrets = await resolveSecrets(aPolicy({ passwordFile: path }), {}, readSecretFile);
    expect(secrets.rpcPassword).toBe(PASSWORD);
  });

  it('names a missing or unreadable password file and why', async () => {
    const missing = join(dir, 'no-such-password');
    const error = await rejectionOf(resolveSecrets(aPolicy({ passwordFile: missing }), {}, readSecretFile));
    expect(error.code).toBe('SECRET_MISSING');
    expect(error.message).toBe(`password file ${missing} (daemon.passwordFile) cannot be read (ENOENT)`);
    // A directory cannot be read as a file, even by root (EACCES would not show as root).
    const directory = await rejectionOf(resolveSecrets(aPolicy({ passwordFile: dir }), {}, readSecretFile));
    expect(directory.message).toBe(`password file ${dir} (daemon.passwordFile) cannot be read (EISDIR)`);
  });

  it('never shows a secret value in any error', async () => {
    const multiline = join(dir, 'two-lines');
    await writeFile(multiline, `${PASSWORD}\nsecond-line-${PASSWORD}\n`);
    const cases = [
      () => resolveSecrets(aPolicy({ passwordFile: multiline }), {}, readSecretFile),
      () => resolveSecrets(aPolicy({ passwordEnv: 'RPC_PW' }), { RPC_PW: `${PASSWORD}\r\n${PASSWORD}` }, readSecretFile),
      () =>
        resolveSecrets(
          aPolicy({ passwordEnv: 'RPC_PW' }, [{ id: 'at', url: 'https://x.org/', cookieEnv: 'AT_COOKIE' }]),
          { AT_COOKIE: `${COOKIE}\nX-Injected: 1`, OTHER: PASSWORD },
          readSecretFile,
        ),
      // A reader whose own error text carries the content must not leak it either.
      () => resolveSecrets(aPolicy({ passwordFile: '/etc/pw' }), {}, () => Promise.reject(new Error(`bad content ${PASSWORD}`))),
    ];
    const messages: string[] = [];
    for (const run of cases) {
      const error = await rejectionOf(run());
      expect(error.code).toBe('SECRET_MISSING');
      const shown = everythingShown(error);
      expect(shown).not.toContain(PASSWORD);
      expect(shown).not.toContain(COOKIE);
      messages.push(error.message);
    }
    expect(messages).toEqual([
      `password file ${multiline} (daemon.passwordFile) has more than one line`,
      'the environment variable named by daemon.passwordEnv contains a line break',
      'the environment variable named by daemon.passwordEnv is not set ' +
        '(daemon.passwordEnv holds the NAME of a variable, never the secret itself)\n' +
        'the environment variable named by the cookieEnv of feed at contains a line break',
      'password file /etc/pw (daemon.passwordFile) cannot be read (unknown error)',
    ]);
  });
});
