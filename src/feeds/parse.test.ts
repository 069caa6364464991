import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { detectFeedFormat, parseFeed } from './parse.js';

const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/feeds/${name}`, import.meta.url), 'utf8');

describe('detectFeedFormat', () => {
  it('recognises each fixture from its body alone, whatever the content type says', () => {
    expect(detectFeedFormat(fixture('at-rss.xml'), 'text/plain', 'https://x/feed')).toBe('rss');
    expect(detectFeedFormat(fixture('sciop-need.rss'), null, 'https://x/feed')).toBe('rss');
    expect(detectFeedFormat(fixture('at-collection.csv'), 'text/html', 'https://x/feed')).toBe('at-csv');
    expect(detectFeedFormat(fixture('annas-torrents.json'), 'text/plain', 'https://x/feed')).toBe('json');
    expect(detectFeedFormat('\uFEFF  <!-- hi --><rss version="2.0">', null, 'https://x/')).toBe('rss');
  });

  it('falls back to the content type, then the URL extension', () => {
    expect(detectFeedFormat('garbage', 'application/rss+xml; charset=utf-8', 'https://x/a')).toBe('rss');
    expect(detectFeedFormat('garbage', 'application/json', 'https://x/a')).toBe('json');
    expect(detectFeedFormat('garbage', 'text/csv', 'https://x/a')).toBe('at-csv');
    expect(detectFeedFormat('garbage', null, 'https://x/collection/a.csv?x=1')).toBe('at-csv');
    expect(detectFeedFormat('garbage', null, 'https://x/torrents.json')).toBe('json');
  });

  it('refuses an HTML page and the unknowable, with FEED_UNSUPPORTED and no query string', () => {
    const html = () => detectFeedFormat('<!DOCTYPE html><html><body>Login</body></html>', 'text/html', 'https://x/feed?passkey=secret');
    expect(html).toThrow(SmartnodeError);
    expect(html).toThrow(/sent an HTML page/);
    expect(html).not.toThrow(/secret/);
    expect(() => detectFeedFormat('garbage', null, 'https://x/feed')).toThrow(/cannot tell the format/);
  });
});

describe('parseFeed', () => {
  it('dispatches on the format', async () => {
    const base = { feedId: 'f', feedUrl: 'https://academictorrents.com/x', nowMs: 0 };
    expect((await parseFeed(fixture('at-rss.xml'), { ...base, format: 'rss' })).items).toHaveLength(4);
    expect((await parseFeed(fixture('at-collection.csv'), { ...base, format: 'at-csv' })).format).toBe('at-csv');
    expect((await parseFeed(fixture('annas-torrents.json'), { ...base, format: 'json' })).items).toHaveLength(2);
  });
});
