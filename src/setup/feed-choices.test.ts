import { describe, expect, it } from 'vitest';
import { parsePolicyText } from '../policy/index.js';
import {
  AT_COOKIE_ENV,
  AT_FEEDS,
  checkAtApiKey,
  feedsFromFlags,
  isAcademicTorrentsUrl,
  readFeedInput,
  SUGGESTED_FEEDS,
  withAtCookieEnv,
  withEnvironmentVariable,
} from './feed-choices.js';
import { renderInitPolicy } from './policy-text.js';

describe('the feeds init offers', () => {
  it('lists Academic Torrents feeds as the site names them, every id unique and valid', () => {
    expect(AT_FEEDS.map((f) => f.url)).toEqual([
      'https://academictorrents.com/rss.xml',
      'https://academictorrents.com/database.xml',
      'https://academictorrents.com/collection/medical.csv',
      'https://academictorrents.com/collection/deep-learning.csv',
      'https://academictorrents.com/collection/computer-vision.csv',
      'https://academictorrents.com/collection/video-lectures.csv',
      'https://academictorrents.com/collection/joes-small-mirror-list.csv',
    ]);
    const ids = SUGGESTED_FEEDS.map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9_-]{1,64}$/);
  });

  it('reads a collection name as its CSV and a URL as itself; a feed already listed is named, not added', () => {
    expect(readFeedInput(' physics ', AT_FEEDS)).toEqual({
      kind: 'new',
      feed: {
        id: 'at-physics',
        url: 'https://academictorrents.com/collection/physics.csv',
        format: 'at-csv',
        title: 'Academic Torrents collection: physics',
      },
    });
    expect(readFeedInput('medical', AT_FEEDS)).toEqual({ kind: 'known', feed: AT_FEEDS[2] });
    expect(readFeedInput('https://academictorrents.com/collection/medical.csv', AT_FEEDS)).toEqual({ kind: 'known', feed: AT_FEEDS[2] });
    // The site serves https, and its key travels only over https.
    expect(readFeedInput('http://academictorrents.com/collection/medical.csv', AT_FEEDS)).toEqual({ kind: 'known', feed: AT_FEEDS[2] });
    const other = readFeedInput('https://example.org/feeds/medical.csv', AT_FEEDS);
    expect(other).toMatchObject({ kind: 'new', feed: { id: 'medical', url: 'https://example.org/feeds/medical.csv', format: 'at-csv' } });
    expect(readFeedInput('https://example.org/x/at-medical.csv', AT_FEEDS)).toMatchObject({ kind: 'new', feed: { id: 'at-medical-2' } });
    expect(readFeedInput('ftp://example.org/feed', [])).toMatchObject({ kind: 'invalid' });
    expect(readFeedInput('two words', [])).toMatchObject({ kind: 'invalid', message: expect.stringContaining('"two words"') });
  });

  it('takes each --feed once, however often it is given', () => {
    const url = 'https://example.org/rss/unseeded.rss';
    expect(feedsFromFlags([url, url, 'medical', 'https://academictorrents.com/collection/medical.csv'])).toEqual({
      feeds: [expect.objectContaining({ id: 'unseeded', url }), expect.objectContaining({ id: 'at-medical' })],
      problems: [],
    });
    expect(feedsFromFlags(['not a url']).problems).toEqual([expect.stringContaining('--feed: expected')]);
  });
});

describe('the Academic Torrents API key', () => {
  it('is checked for shape, and the message never repeats what was typed', () => {
    expect(checkAtApiKey('uid=1234;pass=0123456789abcdef0123456789abcdef')).toBeUndefined();
    expect(checkAtApiKey('uid=1234; pass=0123456789ABCDEF0123')).toBeUndefined();
    for (const bad of ['pass=0123456789abcdef', 'uid=x;pass=0123456789abcdef', 'uid=1;pass=nothexnothexnothex', 'uid=1;pass=abc']) {
      const message = checkAtApiKey(bad);
      expect(message).toContain('uid=NUMBER;pass=HEX');
      expect(message).not.toContain(bad);
    }
  });

  it('is named only on https feeds of Academic Torrents hosts', () => {
    expect(isAcademicTorrentsUrl('https://academictorrents.com/rss.xml')).toBe(true);
    expect(isAcademicTorrentsUrl('https://www.academictorrents.com/x.csv')).toBe(true);
    expect(isAcademicTorrentsUrl('http://academictorrents.com/rss.xml')).toBe(false);
    expect(isAcademicTorrentsUrl('https://academictorrents.com.example.org/rss.xml')).toBe(false);
    expect(isAcademicTorrentsUrl('https://notacademictorrents.com/rss.xml')).toBe(false);
    const feeds = withAtCookieEnv(
      [...SUGGESTED_FEEDS, { id: 'plain', url: 'http://academictorrents.com/x.csv', format: 'at-csv', title: 'x', cookieEnv: 'OLD' }],
      AT_COOKIE_ENV,
    );
    expect(feeds.filter((f) => f.cookieEnv !== undefined).map((f) => f.id)).toEqual(AT_FEEDS.map((f) => f.id));

    const text = renderInitPolicy({
      rpcUrl: 'http://127.0.0.1:9091/transmission/rpc',
      username: undefined,
      password: { kind: 'none' },
      downloadDir: '/srv/smartnode',
      maxSize: '1 TB',
      minFree: '50 GB',
      feeds,
      stateDir: undefined,
      settingsPath: undefined,
      schemaPath: undefined,
    });
    const policy = parsePolicyText(text, 'policy.yaml');
    expect(policy.feeds.filter((f) => f.cookieEnv === AT_COOKIE_ENV).map((f) => f.id)).toEqual(AT_FEEDS.map((f) => f.id));
    expect(policy.feeds.find((f) => f.id === 'sciop-unseeded')?.cookieEnv).toBeUndefined();
  });

  it('goes into an environment file with the other lines kept', () => {
    const before = '# set by hand\nRPC_PW="x"\nSMARTNODE_AT_COOKIE="uid=1;pass=00"\n';
    expect(withEnvironmentVariable(before, AT_COOKIE_ENV, 'uid=2;pass=ff')).toBe(
      '# set by hand\nRPC_PW="x"\nSMARTNODE_AT_COOKIE="uid=2;pass=ff"\n',
    );
    expect(withEnvironmentVariable('', AT_COOKIE_ENV, 'uid=2;pass=ff')).toBe('SMARTNODE_AT_COOKIE="uid=2;pass=ff"\n');
  });
});
