import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { escapeStrayAmpersands, parseRssFeed } from './rss.js';

const NOW = Date.UTC(2024, 2, 10);
const fixture = (name: string): string => readFileSync(new URL(`../../test/fixtures/feeds/${name}`, import.meta.url), 'utf8');
const opts = (feedUrl = 'https://academictorrents.com/rss.xml') => ({ format: 'rss' as const, feedId: 'at-latest', feedUrl, nowMs: NOW });
const H1 = 'a'.repeat(40);
const H2 = 'b'.repeat(40);
const H3 = 'c'.repeat(40);

function atItem(hash: string, title: string, size = '1000'): string {
  return (
    `<item><title>${title}</title><infohash>${hash}</infohash><guid>${hash}</guid>` +
    `<link>https://academictorrents.com/details/${hash}</link><size>${size}</size></item>`
  );
}
function rss(items: string, rootAttrs = 'version="2.0"'): string {
  return `<?xml version="1.0"?><rss ${rootAttrs}><channel><title>t</title>${items}</channel></rss>`;
}

describe('parseRssFeed: Academic Torrents rss.xml', () => {
  it('reads unprefixed infohash and size and derives the .torrent URL from the feed origin', async () => {
    const feed = await parseRssFeed(fixture('at-rss.xml'), opts());
    expect(feed.warnings).toEqual([]);
    expect(feed.items).toHaveLength(4);
    const first = feed.items[0];
    expect(first?.name).toBe('ImageNet LSVRC 2012 Validation Set (Object Detection)');
    expect(first?.sizeBytes).toBe(6744924160);
    expect(first?.torrentUrl).toBe(`https://academictorrents.com/download/${first?.infoHash}.torrent`);
    expect(first?.counts).toBeNull();
    expect(first?.publishedAtMs).toBe(Date.UTC(2024, 2, 4, 10, 12, 45));
    expect(feed.items[3]?.name).toBe('arXiv bulk PDFs & sources (2023 Q4) <subset>');
    expect(feed.items[2]?.sizeBytes).toBe(2691459584512);
  });

  it('uses the origin of a mirror feed URL, not academictorrents.com', async () => {
    const feed = await parseRssFeed(rss(atItem(H1, 'x')), opts('http://127.0.0.1:8080/sub/rss.xml?k=1'));
    expect(feed.items[0]?.torrentUrl).toBe(`http://127.0.0.1:8080/download/${H1}.torrent`);
  });
});

describe('parseRssFeed: BEP 36 and the torrent: namespace', () => {
  it('reads infoHash, contentLength, seeds/peers, magnet trackers and nested tracker lists', async () => {
    const feed = await parseRssFeed(fixture('bep36-torrent-ns.xml'), opts('https://torrents.example.org/rss'));
    expect(feed.warnings).toEqual([]);
    expect(feed.items).toHaveLength(3);
    const item = feed.items[0];
    expect(item?.infoHash).toMatch(/^[0-9a-f]{40}$/); // upper case in the feed, normalised
    expect(item?.sizeBytes).toBe(2104408064); // contentLength, not enclosure length 48213
    expect(item?.torrentUrl).toBe('https://torrents.example.org/files/ubuntu-22.04.4-live-server-amd64.iso.torrent');
    expect(item?.magnetUri).toMatch(/^magnet:\?xt=urn:btih:/);
    expect(item?.counts).toEqual({ seeders: 812, leechers: 37, completed: null, source: 'feed', observedAtMs: NOW, origin: 'at-latest' });
    expect(item?.trackers).toEqual([
      'http://tracker.example.com:6969/announce', // torrent:trackers first, then the magnet's tr=
      'udp://tracker.example.org:1337/announce',
      'https://tracker.example.net/announce',
    ]);
  });

  it('finds the info-hash in a magnet enclosure when there is no explicit field', async () => {
    const text = rss(
      `<item><title>only magnet</title><enclosure url="magnet:?xt=urn:btih:${H2.toUpperCase()}&amp;dn=x" ` +
        `type="application/x-bittorrent" length="0"/></item>`,
    );
    const feed = await parseRssFeed(text, opts());
    expect(feed.items[0]?.infoHash).toBe(H2);
    expect(feed.items[0]?.torrentUrl).toBeNull();
    expect(feed.items[0]?.magnetUri).toContain(H2.toUpperCase());
  });

  it('reads feeds whose <rss> has no version attribute', async () => {
    const feed = await parseRssFeed(rss(atItem(H1, 'no version'), 'xmlns:x="y"'), opts());
    expect(feed.items.map((i) => i.name)).toEqual(['no version']);
  });
});

describe('parseRssFeed: SciOp-like need feed', () => {
  it('takes the hash from the enclosure URL and leaves size and counts unknown', async () => {
    const feed = await parseRssFeed(fixture('sciop-need.rss'), opts('https://sciop.example.net/rss/seeds/1-10.rss'));
    expect(feed.warnings).toEqual([]);
    expect(feed.items).toHaveLength(3);
    for (const item of feed.items) {
      expect(item.torrentUrl).toBe(`https://sciop.example.net/torrents/${item.infoHash}.torrent`);
      expect(item.sizeBytes).toBeNull(); // BEP 36: enclosure length is the .torrent's size
      expect(item.counts).toBeNull();
    }
  });
});

describe('parseRssFeed: bad items and broken XML', () => {
  it('drops items with a bad hash, no name, negative or absurd size, and duplicates, one warning each', async () => {
    const text = rss(
      [
        atItem(H1, 'good'),
        atItem('not-a-hash', 'bad hash'),
        atItem(H2, ''),
        atItem(H3, 'negative', '-5'),
        atItem('d'.repeat(40), 'absurd', '99999999999999999999'),
        atItem(H1, 'dup of good'),
      ].join(''),
    );
    const feed = await parseRssFeed(text, opts());
    expect(feed.items.map((i) => i.name)).toEqual(['good']);
    expect(feed.warnings.map((w) => w.index)).toEqual([1, 2, 3, 4, 5]);
    expect(feed.warnings[0]?.message).toContain('"bad hash": dropped, invalid info-hash "not-a-hash"');
    expect(feed.warnings[1]?.message).toContain('no name');
    expect(feed.warnings[2]?.message).toContain('negative');
    expect(feed.warnings[3]?.message).toContain('absurd');
    expect(feed.warnings[4]?.message).toContain('duplicate of item 0');
  });

  it('repairs a stray & and says so, leaving magnet links in CDATA intact', async () => {
    const magnet = `<torrent:magnetURI><![CDATA[magnet:?xt=urn:btih:${H2}&dn=fine&tr=udp%3A%2F%2Ft.example%3A1337]]></torrent:magnetURI>`;
    const text = rss(`${atItem(H1, 'Tom & Jerry')}<item><title>fine</title>${magnet}</item>`);
    const feed = await parseRssFeed(text, opts());
    expect(feed.items.map((i) => i.name)).toEqual(['Tom & Jerry', 'fine']);
    expect(feed.warnings).toHaveLength(1);
    expect(feed.warnings[0]?.index).toBe(-1);
    expect(feed.warnings[0]?.message).toMatch(/repaired 1 stray '&'/);
    expect(feed.items[1]?.trackers).toEqual(['udp://t.example:1337']);
  });

  it('salvages the good items when one item is broken beyond repair', async () => {
    const text = rss(
      `${atItem(H1, 'first')}<item><title>broken</title><infohash>${H2}</infohash><size>1</sizze></item>${atItem(H3, 'third')}`,
    );
    const feed = await parseRssFeed(text, opts());
    expect(feed.items.map((i) => i.name)).toEqual(['first', 'third']);
    const itemWarning = feed.warnings.find((w) => w.index === 1);
    expect(itemWarning?.message).toMatch(/item 1 "broken": dropped, invalid XML \(.*Unexpected close tag/);
    expect(feed.warnings.some((w) => w.index === -1 && /recovered 2 of 3 items/.test(w.message))).toBe(true);
  });

  it("salvages across batches, keeping every item's index", async () => {
    const hex = (i: number): string => i.toString(16).padStart(40, '0');
    const items = Array.from({ length: 1200 }, (_, i) =>
      i === 3 || i === 700
        ? `<item><title>bad ${i}</title><infohash>${hex(i)}</infohash><size><b>1</size></item>`
        : atItem(hex(i), `n${i}`),
    );
    const feed = await parseRssFeed(rss(items.join('')), opts());
    expect(feed.items).toHaveLength(1198);
    expect(feed.items[3]?.name).toBe('n4');
    expect(feed.warnings.filter((w) => w.index >= 0).map((w) => [w.index, w.message.slice(0, 16)])).toEqual([
      [3, 'item 3 "bad 3": '],
      [700, 'item 700 "bad 70'],
    ]);
  });

  it('fails with FEED_PARSE naming the line when nothing can be recovered', async () => {
    const error = await parseRssFeed('<html><body><p>502 Bad Gateway</body></html>', opts()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SmartnodeError);
    expect((error as SmartnodeError).code).toBe('FEED_PARSE');
    expect((error as SmartnodeError).message).toMatch(/feed at-latest: not a readable RSS feed: .*Line: \d+/);
    const truncated = await parseRssFeed(rss(atItem(H1, 'x')).slice(0, 60), opts()).catch((e: unknown) => e);
    expect((truncated as SmartnodeError).code).toBe('FEED_PARSE');
  });

  it('escapes only ampersands that do not start an entity', () => {
    expect(escapeStrayAmpersands('a & b &amp; c &#38; &#x26; &copy;&')).toEqual({
      text: 'a &amp; b &amp; c &#38; &#x26; &copy;&amp;',
      count: 2,
    });
    const cdata = '<![CDATA[magnet:?xt=urn:btih:x&dn=y&tr=z]]><!-- a & b -->';
    expect(escapeStrayAmpersands(`${cdata} & `)).toEqual({ text: `${cdata} &amp; `, count: 1 });
  });
});
