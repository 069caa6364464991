import { describe, expect, it } from 'vitest';
import { describePolicyIssues, editDistance, formatPolicyPath, policyErrorMap, suggestKey } from './issues.js';
import { policySchema, type PolicyInput } from './schema.js';

/** The smallest valid policy; tests override one thing at a time. */
function aPolicyInput(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const base: PolicyInput = {
    daemon: { url: 'http://127.0.0.1:9091/transmission/rpc' },
    storage: { downloadDir: '/srv/smartnode', maxBytes: '2 TB' },
    feeds: [{ id: 'at-datasets', url: 'https://academictorrents.com/collection/foo.csv' }],
  };
  return { ...base, ...overrides };
}

/** Problems as "path: message" lines, the way a person reads them. */
function problemsOf(input: unknown): string[] {
  const result = policySchema.safeParse(input, { error: policyErrorMap });
  if (result.success) return [];
  return describePolicyIssues(result.error.issues, policySchema).map((p) => `${formatPolicyPath(p.path)}: ${p.message}`);
}

describe('policySchema defaults', () => {
  it('fills every optional key, sizes in bytes and durations in ms', () => {
    const policy = policySchema.parse(aPolicyInput());
    expect(policy).toEqual({
      version: 1,
      node: { label: 'smartnode' },
      daemon: { client: 'transmission', url: 'http://127.0.0.1:9091/transmission/rpc', timeout: 10_000, protocol: 'auto' },
      storage: { downloadDir: '/srv/smartnode', maxBytes: 2e12, minFreeBytes: 50e9, spareFill: 0.9, pins: [] },
      feeds: [
        {
          id: 'at-datasets',
          url: 'https://academictorrents.com/collection/foo.csv',
          format: 'auto',
          trackers: [],
          weight: 1,
          enabled: true,
        },
      ],
      scoring: {
        targetSeeders: 5,
        leecherWeight: 0.5,
        replaceMargin: 0.2,
        minSeedTime: 3 * 86_400_000,
        geography: { enabled: true, weight: 0.5, targetCountries: 5, targetContinents: 3, newCountryBonus: 0.1, newContinentBonus: 0.2 },
        slowDownloads: { enabled: true, weight: 0.5, targetRate: 1e6, window: 2 * 86_400_000, minSpan: 3_600_000, peerPollsPerTick: 50 },
        herd: { enabled: true, expectedNodes: 1, jitter: 0.02, redrawInterval: 21_600_000, adaptive: true, slowStartAdds: 4 },
        availability: { noSourceShare: 0.1, stalledAfter: 86_400_000, backoff: 259_200_000 },
      },
      intervals: { tick: 900_000, feedRefresh: 3_600_000, scrape: 1_800_000 },
      limits: {
        feedMaxBytes: 50e6,
        feedMaxItems: 50_000,
        torrentFileMaxBytes: 10e6,
        rpcAnswerMaxBytes: 64 * 1024 * 1024,
        fetchTimeout: 30_000,
        maxAddsPerTick: 10,
        maxEvictFraction: 0.5,
      },
      scrape: { enabled: true, requestsPerSecond: 2 },
      requestBudget: { perSite: 5, sites: { 'academictorrents.com': 0.5 } },
      bandwidth: { scope: 'owned', schedule: [] },
      geo: { country: 'auto', overrides: [] },
      announceProbe: { enabled: true, interval: 21_600_000, maxPerTick: 50, requestsPerSecond: 2, numwant: 50 },
      integrity: { reverifyEvery: 90 * 86_400_000 },
      publish: { title: 'smartnode datasets', announce: [], webSeeds: [] },
      metrics: { enabled: false, address: '127.0.0.1', port: 9477, perTorrent: { enabled: false, max: 100 } },
      notify: { webhooks: [], feedFailingAfter: 6 * 3_600_000, groupWindow: 30_000, retries: 5 },
    });
  });

  it('requires daemon.url, storage.downloadDir, storage.maxBytes and at least one feed', () => {
    expect(problemsOf({ daemon: {}, storage: {}, feeds: [] })).toEqual([
      'daemon.url: missing (required)',
      'storage.downloadDir: missing (required)',
      'storage.maxBytes: missing (required)',
      'feeds: expected at least one feed',
    ]);
    expect(problemsOf({})).toEqual(['daemon: missing (required)', 'storage: missing (required)', 'feeds: missing (required)']);
  });
});

describe('unknown keys', () => {
  it('names the key and suggests the closest known one', () => {
    const input = aPolicyInput({ storage: { downloadDir: '/srv', maxBytes: '1 TB', maxByte: '2 TB' } });
    expect(problemsOf(input)).toEqual(['storage.maxByte: unknown key (did you mean "maxBytes"?)']);
  });

  it('reports each unknown key, in list items and at the top level too', () => {
    const input = {
      ...aPolicyInput({ feeds: [{ id: 'a', url: 'https://x.org/f.rss', formt: 'rss', cookiEnv: 'X' }] }),
      intervalls: {},
    };
    expect(problemsOf(input)).toEqual([
      'feeds[0].formt: unknown key (did you mean "format"?)',
      'feeds[0].cookiEnv: unknown key (did you mean "cookieEnv"?)',
      'intervalls: unknown key (did you mean "intervals"?)',
    ]);
  });

  it('lists the known keys when nothing is close', () => {
    const [problem] = problemsOf(aPolicyInput({ scrape: { banana: 1 } }));
    expect(problem).toBe('scrape.banana: unknown key (known keys here: enabled, requestsPerSecond)');
  });

  it('suggests only near misses', () => {
    expect(suggestKey('maxByte', ['maxBytes', 'minFreeBytes'])).toBe('maxBytes');
    expect(suggestKey('TICK', ['tick', 'scrape'])).toBe('tick');
    expect(suggestKey('xyz', ['tick', 'scrape'])).toBeUndefined();
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
});

describe('secrets stay out of the file', () => {
  it('rejects an inline daemon password and says what to use, without echoing it', () => {
    const problems = problemsOf(aPolicyInput({ daemon: { url: 'http://127.0.0.1:9091/transmission/rpc', password: 'hunter2-secret' } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^daemon\.password: inline passwords are not allowed: .*passwordEnv.*passwordFile/);
    expect(problems.join('\n')).not.toContain('hunter2-secret');
  });

  it('rejects an inline feed cookie and points to cookieEnv', () => {
    const problems = problemsOf(aPolicyInput({ feeds: [{ id: 'a', url: 'https://x.org/f.csv', cookie: 'uid=1;pass=topsecret' }] }));
    expect(problems).toEqual([expect.stringMatching(/^feeds\[0\]\.cookie: inline cookies are not allowed: .*cookieEnv/)]);
    expect(problems.join('\n')).not.toContain('topsecret');
  });

  it('does not echo a password written where an environment variable name belongs', () => {
    const problems = problemsOf(aPolicyInput({ daemon: { url: 'http://127.0.0.1:9091/', passwordEnv: 'p@ss w0rd!' } }));
    expect(problems).toEqual(['daemon.passwordEnv: expected the NAME of an environment variable (letters, digits and _), not its value']);
  });

  it('refuses credentials in URLs and redacts them in the message', () => {
    const problems = problemsOf(aPolicyInput({ daemon: { url: 'http://admin:sekrit@127.0.0.1:9091/transmission/rpc' } }));
    expect(problems).toEqual([expect.stringMatching(/^daemon\.url: credentials in the URL are not allowed/)]);
    const ftp = problemsOf(aPolicyInput({ daemon: { url: 'ftp://admin:sekrit@127.0.0.1/' } }));
    expect(ftp).toEqual(['daemon.url: expected an http(s) URL, got "ftp://***@127.0.0.1/"']);
  });

  it('makes passwordEnv and passwordFile exclusive', () => {
    const daemon = { url: 'http://127.0.0.1:9091/', passwordEnv: 'PW', passwordFile: '/etc/pw' };
    expect(problemsOf(aPolicyInput({ daemon }))).toEqual(['daemon.passwordFile: passwordEnv and passwordFile are exclusive: keep one']);
  });
});

describe('validation', () => {
  it('rejects duplicate feed ids at the second one', () => {
    const feeds = [
      { id: 'a', url: 'https://x.org/1.csv' },
      { id: 'b', url: 'https://x.org/2.csv' },
      { id: 'a', url: 'https://x.org/3.csv' },
    ];
    expect(problemsOf(aPolicyInput({ feeds }))).toEqual(['feeds[2].id: duplicate feed id "a": ids must be unique']);
  });

  it('still finds duplicate ids when another feed is also wrong', () => {
    const feeds = [
      { id: 'a', url: 'https://x.org/1.csv' },
      { id: 'a', url: 'gopher://x.org/' },
    ];
    expect(problemsOf(aPolicyInput({ feeds }))).toEqual([
      'feeds[1].url: expected an http(s) URL, got "gopher://x.org/"',
      'feeds[1].id: duplicate feed id "a": ids must be unique',
    ]);
  });

  it.each([
    [{ feeds: [{ id: 'Bad Id', url: 'https://x.org/' }] }, 'feeds[0].id: expected an id of 1-64 lowercase letters, digits, "-" or "_"'],
    [{ feeds: [{ id: 'a', url: 'file:///etc/passwd' }] }, 'feeds[0].url: expected an http(s) URL, got "file:///etc/passwd"'],
    [
      { feeds: [{ id: 'a', url: 'https://x.org/', format: 'xml' }] },
      'feeds[0].format: expected one of "auto", "rss", "at-csv", "json", got "xml"',
    ],
    [
      { feeds: [{ id: 'a', url: 'https://x.org/', trackers: ['wss://t.org/'] }] },
      'feeds[0].trackers[0]: expected a tracker URL (http, https or udp), got "wss://t.org/"',
    ],
    [{ feeds: [{ id: 'a', url: 'https://x.org/', maxTorrents: 2.5 }] }, 'feeds[0].maxTorrents: expected a whole number, got 2.5'],
    [
      { storage: { downloadDir: 'srv', maxBytes: '1 TB' } },
      'storage.downloadDir: expected an absolute path like "/srv/smartnode" (no ".."), got "srv"',
    ],
    [{ storage: { downloadDir: '/srv', maxBytes: 'lots' } }, 'storage.maxBytes: expected a size like "500 GB", got "lots"'],
    [{ storage: { downloadDir: '/srv', maxBytes: 0 } }, 'storage.maxBytes: must be more than 0 bytes'],
    [{ storage: { downloadDir: '/srv', maxBytes: true } }, 'storage.maxBytes: expected a size like "500 GB", got true'],
    [{ intervals: { tick: '100ms' } }, 'intervals.tick: must be at least 1s'],
    [
      { intervals: { tick: 15 } },
      'intervals.tick: expected a duration like "15m", "1h30m" or "7d", ' +
        'got 15: a bare number is ambiguous, add a unit (ms, s, m, h, d or w)',
    ],
    [{ scoring: { replaceMargin: -1 } }, 'scoring.replaceMargin: must be at least 0, got -1'],
    [{ scrape: { enabled: 'yes' } }, 'scrape.enabled: expected true or false, got text'],
    [{ version: 2 }, 'version: expected 1, the only policy version this smartnode reads'],
    [
      { daemon: { url: 'http://127.0.0.1:9091/', timeout: 'forever' } },
      'daemon.timeout: expected a duration like "15m", "1h30m" or "7d", got "forever"',
    ],
  ])('%j -> %s', (override, problem) => {
    expect(problemsOf(aPolicyInput(override))).toEqual([problem]);
  });

  it('accepts plain byte counts and every unit family', () => {
    const policy = policySchema.parse(
      aPolicyInput({
        storage: { downloadDir: '/srv', maxBytes: 1_000_000, minFreeBytes: '1 GiB' },
        feeds: [{ id: 'a', url: 'https://x.org/', maxBytes: '1.5 TB', trackers: ['udp://tracker.example:1337/announce'] }],
      }),
    );
    expect(policy.storage).toEqual({ downloadDir: '/srv', maxBytes: 1_000_000, minFreeBytes: 1024 ** 3, spareFill: 0.9, pins: [] });
    expect(policy.feeds[0]?.maxBytes).toBe(1.5e12);
  });
});
