import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../policy/index.js';
import { SUGGESTED_FEEDS } from './feed-choices.js';
import { feedFormatFromUrl, feedIdFromUrl, renderInitPolicy, type InitAnswers } from './policy-text.js';

const answers: InitAnswers = {
  rpcUrl: 'http://127.0.0.1:9091/transmission/rpc',
  username: 'transmission',
  password: { kind: 'file', path: '/etc/smartnode/rpc-password' },
  downloadDir: '/srv/smart node: "x"',
  maxSize: '2 TB',
  minFree: '50 GB',
  feeds: SUGGESTED_FEEDS,
  stateDir: '/var/lib/smartnode',
  settingsPath: '/etc/transmission-daemon/settings.json',
  schemaPath: '/usr/lib/node_modules/smartnode/policies/policy.schema.json',
};

describe('renderInitPolicy', () => {
  it('writes a policy the loader accepts, with the answers in place (odd characters quoted)', () => {
    const policy = parsePolicyText(renderInitPolicy(answers), 'policy.yaml');
    expect(policy.daemon).toMatchObject({ url: answers.rpcUrl, username: 'transmission', passwordFile: '/etc/smartnode/rpc-password' });
    expect(policy.storage).toMatchObject({ downloadDir: '/srv/smart node: "x"', maxBytes: 2e12, minFreeBytes: 50e9 });
    expect(policy.feeds.map((f) => [f.id, f.format])).toEqual(SUGGESTED_FEEDS.map((f) => [f.id, f.format]));
    expect(policy.node.stateDir).toBe('/var/lib/smartnode');
  });

  it('names an environment variable, or no password at all, as asked', () => {
    const env = parsePolicyText(renderInitPolicy({ ...answers, password: { kind: 'env', name: 'RPC_PW' } }), 'p.yaml');
    expect(env.daemon.passwordEnv).toBe('RPC_PW');
    const none = parsePolicyText(
      renderInitPolicy({ ...answers, username: undefined, password: { kind: 'none' }, stateDir: undefined }),
      'p.yaml',
    );
    expect(none.daemon.username).toBeUndefined();
    expect(none.daemon.passwordFile).toBeUndefined();
  });
});

describe('feed ids and formats from URLs', () => {
  it('uses the last path segment, unique within the policy', () => {
    expect(feedIdFromUrl('https://academictorrents.com/collection/datasets.csv')).toBe('datasets');
    expect(feedIdFromUrl('https://sciop.net/rss/seeds/1-10.rss', new Set(['1-10']))).toBe('1-10-2');
    expect(feedIdFromUrl('https://example.org/')).toBe('example');
    expect(feedIdFromUrl('not a url')).toBe('feed');
    expect(feedFormatFromUrl('https://x/a.CSV?k=1')).toBe('at-csv');
    expect(feedFormatFromUrl('https://x/torrents.json')).toBe('json');
    expect(feedFormatFromUrl('https://x/feed')).toBe('auto');
  });
});
