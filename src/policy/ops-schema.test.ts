import { describe, expect, it } from 'vitest';
import { describePolicyIssues, formatPolicyPath, policyErrorMap } from './issues.js';
import { resolveOpsSecrets } from './ops-secrets.js';
import { policySchema } from './schema.js';

const base = {
  daemon: { url: 'http://127.0.0.1:9091/transmission/rpc' },
  storage: { downloadDir: '/srv/smartnode', maxBytes: '2 TB' },
  feeds: [{ id: 'at', url: 'https://academictorrents.com/collection/foo.csv' }],
};

function problemsOf(overrides: Record<string, unknown>): string[] {
  const result = policySchema.safeParse({ ...base, ...overrides }, { error: policyErrorMap });
  if (result.success) return [];
  return describePolicyIssues(result.error.issues, policySchema).map((p) => `${formatPolicyPath(p.path)}: ${p.message}`);
}

describe('metrics policy', () => {
  it('is off and on loopback by default', () => {
    const { metrics } = policySchema.parse(base);
    expect(metrics).toMatchObject({ enabled: false, address: '127.0.0.1', port: 9477, perTorrent: { enabled: false, max: 100 } });
  });

  it("refuses Transmission's, the Pushgateway's and Prometheus' default ports, saying which to take", () => {
    expect(problemsOf({ metrics: { enabled: true, port: 9091 } })).toEqual([
      "metrics.port: port 9091 is Transmission's RPC and Prometheus Pushgateway's port: choose another, e.g. 9477",
    ]);
    expect(problemsOf({ metrics: { port: 9090 } })).toEqual(["metrics.port: port 9090 is Prometheus' own port: choose another, e.g. 9477"]);
  });

  it('takes a bearer token or basic auth, not both, and names variables, never values', () => {
    expect(problemsOf({ metrics: { bearerTokenEnv: 'T', basicAuth: { username: 'p', passwordEnv: 'P' } } })).toEqual([
      'metrics.basicAuth: bearerTokenEnv and basicAuth are exclusive: keep one',
    ]);
    expect(problemsOf({ metrics: { bearerTokenEnv: 's3cr3t token!' } })[0]).toMatch(/^metrics.bearerTokenEnv: expected the NAME/);
  });
});

describe('notify policy and the secrets it names', () => {
  const policyWith = (notify: unknown, metrics: unknown = {}) => policySchema.parse({ ...base, notify, metrics });

  it('resolves webhook URLs, headers and the metrics token from the environment', () => {
    const policy = policyWith(
      { webhooks: [{ name: 'ops', urlEnv: 'HOOK', headersEnv: { Authorization: 'HOOK_AUTH' }, events: ['disk.reserve'] }] },
      { enabled: true, basicAuth: { username: 'prom', passwordEnv: 'PW' } },
    );
    const secrets = resolveOpsSecrets(policy, { HOOK: 'https://hooks.example/t0ken', HOOK_AUTH: 'Bearer abc', PW: 'pw' });
    expect(secrets.webhooks).toEqual([
      {
        name: 'ops',
        url: 'https://hooks.example/t0ken',
        headers: { Authorization: 'Bearer abc' },
        format: 'envelope',
        events: ['disk.reserve'],
      },
    ]);
    expect(secrets.metricsAuthorization).toBe(`Basic ${btoa('prom:pw')}`);
    expect(secrets.values).toEqual(expect.arrayContaining(['https://hooks.example/t0ken', 'Bearer abc', 'pw', btoa('prom:pw')]));
  });

  it('reports every missing or unusable secret at once, without any value', () => {
    const policy = policyWith(
      {
        webhooks: [
          { name: 'a', urlEnv: 'HOOK_A' },
          { name: 'b', urlEnv: 'HOOK_B' },
        ],
      },
      { enabled: true, bearerTokenEnv: 'TOKEN' },
    );
    let message = '';
    try {
      resolveOpsSecrets(policy, { HOOK_B: 'ftp://secret-host/secret-path' });
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code: string }).code).toBe('SECRET_MISSING');
    }
    expect(message.split('\n')).toEqual([
      'the environment variable named by metrics.bearerTokenEnv is not set (metrics.bearerTokenEnv holds the NAME of a variable, never the secret itself)',
      'the environment variable named by the urlEnv of webhook a is not set (the urlEnv of webhook a holds the NAME of a variable, never the secret itself)',
      'the URL of webhook b is not an http(s) URL',
    ]);
    expect(message).not.toContain('secret-host');
  });

  it('rejects unknown events', () => {
    expect(problemsOf({ notify: { webhooks: [{ name: 'x', urlEnv: 'U', events: ['torrent.eaten'] }] } })[0]).toMatch(
      /^notify.webhooks\[0\].events\[0\]: /,
    );
  });
});
