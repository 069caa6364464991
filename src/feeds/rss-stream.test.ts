import { describe, expect, it } from 'vitest';
import { parseRssFeed } from './rss.js';
import { generateAtRss } from './testing.js';
import { createRssStreamParser, RSS_WHOLE_DOCUMENT_MAX_CHARS } from './rss-stream.js';

const opts = { format: 'rss' as const, feedId: 'big', feedUrl: 'https://academictorrents.com/database.xml', nowMs: 0 };

async function streamed(text: string, chunkBytes: number) {
  const bytes = new TextEncoder().encode(text);
  const parser = createRssStreamParser(opts, new TextDecoder());
  for (let at = 0; at < bytes.length; at += chunkBytes) await parser.push(bytes.subarray(at, at + chunkBytes));
  return parser.end();
}

describe('RSS chunk by chunk', () => {
  it('past the whole-document size, reads the same items item batch by item batch', async () => {
    const text = generateAtRss(20_000).replace('Dataset 7:', 'Datensatz 7 — 測定データ:');
    expect(text.length).toBeGreaterThan(RSS_WHOLE_DOCUMENT_MAX_CHARS);
    const whole = await parseRssFeed(text, opts);
    const feed = await streamed(text, 65_536);
    expect(feed.warnings).toEqual([]);
    expect(feed.items).toEqual(whole.items);
  });

  it('repairs stray ampersands and drops a broken item, keeping every other item and its index', async () => {
    let text = generateAtRss(20_000);
    text = text.replace('Dataset 5: sensor recordings &amp; labels', 'Dataset 5: sensor recordings & labels');
    text = text.replace(/<item><title>Dataset 9:([\s\S]*?)<size>/, '<item><title>Dataset 9:$1<sizze>');
    const feed = await streamed(text, 100_000);
    expect(feed.items).toHaveLength(19_999);
    expect(feed.items[5]?.name).toMatch(/^Dataset 5: sensor recordings & labels/);
    expect(feed.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/^item 9 "Dataset 9: .*": dropped, invalid XML/),
      "feed big: repaired 1 stray '&' in invalid XML",
      'feed big: invalid XML; recovered 19999 of 20000 items',
    ]);
  });

  it('below the whole-document size, is parseRssFeed itself', async () => {
    const text = generateAtRss(100);
    expect(await streamed(text, 1000)).toEqual(await parseRssFeed(text, opts));
  });
});
