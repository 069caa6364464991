import { describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { parsePolicyText } from './parse.js';

const FILE = 'policies/local.yaml';

/** Runs the parser and returns the thrown SmartnodeError (fails the test if nothing throws). */
function errorOf(text: string): SmartnodeError {
  try {
    parsePolicyText(text, FILE);
  } catch (error) {
    if (error instanceof SmartnodeError) return error;
    throw error;
  }
  throw new Error('expected parsePolicyText to throw');
}

const VALID = `version: 1
daemon:
  url: http://127.0.0.1:9091/transmission/rpc
storage:
  downloadDir: /srv/smartnode
  maxBytes: 2 TB
feeds:
  - id: at-datasets
    url: https://academictorrents.com/collection/foo.csv
  - id: sciop
    url: https://sciop.net/rss/seeds/unseeded.rss
    format: rss
`;

describe('parsePolicyText', () => {
  it('returns the policy for valid text', () => {
    const policy = parsePolicyText(VALID, FILE);
    expect(policy.storage.maxBytes).toBe(2e12);
    expect(policy.feeds.map((f) => f.id)).toEqual(['at-datasets', 'sciop']);
  });

  it('reports a bad value as file:line path: message, on the line of the key', () => {
    const error = errorOf(VALID.replace('maxBytes: 2 TB', 'maxBytes: lots'));
    expect(error.code).toBe('POLICY_INVALID');
    expect(error.message).toBe('policies/local.yaml:6 storage.maxBytes: expected a size like "500 GB", got "lots"');
    expect(error.hint).toContain('smartnode policy check');
  });

  it('points a typo in a nested key at that key, with a suggestion', () => {
    const error = errorOf(VALID.replace('  downloadDir: /srv/smartnode', '  downloadDir: /srv/smartnode\n  minFreeByte: 10 GB'));
    expect(error.message).toBe('policies/local.yaml:6 storage.minFreeByte: unknown key (did you mean "minFreeBytes"?)');
  });

  it('points a typo in a feed list item at the line of that key in that item', () => {
    const error = errorOf(VALID.replace('    format: rss', '    formt: rss'));
    expect(error.message).toBe('policies/local.yaml:12 feeds[1].formt: unknown key (did you mean "format"?)');
  });

  it('lists every problem, one per line, in file order', () => {
    const text = VALID.replace(
      '  url: http://127.0.0.1:9091/transmission/rpc',
      '  url: http://127.0.0.1:9091/transmission/rpc\n  password: hunter2',
    )
      .replace('maxBytes: 2 TB', 'maxBytes: 500 G')
      .replace('  - id: sciop', '  - id: at-datasets');
    const lines = errorOf(text).message.split('\n');
    expect(lines).toEqual([
      expect.stringMatching(/^policies\/local\.yaml:4 daemon\.password: inline passwords are not allowed/),
      'policies/local.yaml:7 storage.maxBytes: expected a size like "500 GB", ' +
        'got "500 G": "G" is ambiguous, write "GB" (powers of 1000) or "GiB" (powers of 1024)',
      'policies/local.yaml:11 feeds[1].id: duplicate feed id "at-datasets": ids must be unique',
    ]);
    expect(lines.join('\n')).not.toContain('hunter2');
  });

  it('points a missing required key at its parent', () => {
    const error = errorOf(VALID.replace('  maxBytes: 2 TB\n', ''));
    expect(error.message).toBe('policies/local.yaml:4 storage.maxBytes: missing (required)');
  });

  it('points a wrong list item at the item', () => {
    const error = errorOf(VALID.replace('feeds:\n', 'feeds:\n  - just-a-url\n'));
    expect(error.message).toBe('policies/local.yaml:8 feeds[0]: expected a mapping of keys, got text');
  });

  it('gives YAML syntax errors a file and line', () => {
    const tab = errorOf('daemon:\n  url: http://127.0.0.1:9091/\nstorage:\n\tdownloadDir: /srv\n');
    expect(tab.code).toBe('POLICY_INVALID');
    expect(tab.message).toBe('policies/local.yaml:4 yaml: Tabs are not allowed as indentation');
    const junk = errorOf('version: 1\ndaemon:\n  url: "http://127.0.0.1:9091/" x\n');
    expect(junk.message).toMatch(/^policies\/local\.yaml:3 yaml: /);
  });

  it('refuses duplicate keys', () => {
    const error = errorOf(VALID.replace('  maxBytes: 2 TB', '  maxBytes: 2 TB\n  maxBytes: 3 TB'));
    expect(error.message).toMatch(/^policies\/local\.yaml:7 yaml: .*unique/i);
  });

  it('says what is wrong with an empty file or a non-mapping', () => {
    expect(errorOf('').message).toBe(
      'policies/local.yaml:1 policy: the file is empty: expected a policy mapping (see policies/default.yaml)',
    );
    expect(errorOf('# only a comment\n').message).toContain('the file is empty');
    expect(errorOf('- a\n- b\n').message).toBe('policies/local.yaml:1 policy: expected a mapping of keys, got a list');
  });

  it('keeps the problems as data in details for --json output', () => {
    const error = errorOf(VALID.replace('maxBytes: 2 TB', 'maxBytes: lots'));
    expect(error.details).toEqual({
      file: FILE,
      problems: [{ line: 6, path: 'storage.maxBytes', message: 'expected a size like "500 GB", got "lots"' }],
    });
  });
});
