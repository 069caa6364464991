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

describe('bounds on what one feed may cost', () => {
  const base = { feedId: 'big', feedUrl: 'https://academictorrents.com/x', nowMs: 0 };
  const header = 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED';
  const row = (i: number, hash = i.toString(16).padStart(40, '0')): string => `Dataset,set ${i},${hash},1000,1,1,1,1700000000,1700000000`;
  const csv = (rows: string[]): string => [header, ...rows].join('\n');
  const rss = (n: number): string =>
    `<rss version="2.0"><channel>${Array.from(
      { length: n },
      (_, i) => `<item><title>set ${i}</title><infohash>${(i + 1).toString(16).padStart(40, '0')}</infohash><size>1000</size></item>`,
    ).join('')}</channel></rss>`;
  const json = (n: number): string =>
    JSON.stringify(
      Array.from({ length: n }, (_, i) => ({ btih: (i + 1).toString(16).padStart(40, '0'), display_name: `s${i}`, data_size: 1 })),
    );

  it('refuses a feed that lists more items than maxItems, in every format, and takes one at the limit', async () => {
    const texts = { 'at-csv': csv(Array.from({ length: 4 }, (_, i) => row(i + 1))), rss: rss(4), json: json(4) } as const;
    for (const [format, text] of Object.entries(texts) as Array<[keyof typeof texts, string]>) {
      await expect(parseFeed(text, { ...base, format, maxItems: 3 })).rejects.toMatchObject({
        code: 'FEED_TOO_LARGE',
        message: expect.stringMatching(/feed big lists more than 3 items.*limits\.feedMaxItems/),
      });
      expect((await parseFeed(text, { ...base, format, maxItems: 4 })).items).toHaveLength(4);
    }
  });

  it('keeps the first 1000 warnings of a feed of bad rows, and one that counts the rest', async () => {
    const bad = Array.from({ length: 1500 }, (_, i) => row(i, 'not-a-hash'));
    const parsed = await parseFeed(csv([...bad, row(1)]), { ...base, format: 'at-csv' });
    expect(parsed.items).toHaveLength(1);
    expect(parsed.warnings).toHaveLength(1001);
    expect(parsed.warnings[1000]?.message).toBe('500 more items were dropped or flagged; the first 1000 are listed');
  });
});
