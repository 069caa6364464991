import { describe, expect, it } from 'vitest';
import { md5FromTorrentName, readDigests } from './digests.js';
import { parseJsonTorrentList } from './json.js';
import { parseRssFeed } from './rss.js';

const H = 'a'.repeat(40);
const MD5 = 'd9da5ce947c6f1c127dfcdc2ede63320';
const SHA = 'ab'.repeat(32);
const opts = (format: 'rss' | 'json') => ({ format, feedId: 'lab', feedUrl: 'https://lab.example/feed.xml', nowMs: 0 });

describe('feed content digests', () => {
  it('reads whole-content and per-file digests from RSS items', async () => {
    const feed = await parseRssFeed(
      `<rss version="2.0"><channel><title>t</title>
      <item><title>set</title><infohash>${H}</infohash><size>10</size><sha256>${SHA.toUpperCase()}</sha256>
        <file path="dir/a.csv" md5="${MD5}"/><file path="../escape" sha256="${SHA}"/></item>
    </channel></rss>`,
      opts('rss'),
    );
    expect(feed.items[0]?.digests).toEqual({
      content: { sha256: SHA },
      files: [{ path: 'dir/a.csv', digests: { md5: MD5 } }],
      source: 'feed',
    });
    expect(feed.warnings.map((w) => w.message)).toEqual([expect.stringContaining('not a relative path inside the torrent')]);
  });

  it('reads digests from a JSON list and drops a malformed one with a warning, keeping the item', () => {
    const feed = parseJsonTorrentList(
      JSON.stringify([
        {
          infohash: H,
          name: 'set',
          size: 10,
          url: 'https://lab.example/t/x.torrent',
          md5: 'xyz',
          sha256: SHA,
          files: [{ path: 'x.bin', sha1: 'c'.repeat(40) }, 7],
        },
      ]),
      opts('json'),
    );
    expect(feed.items).toHaveLength(1);
    expect(feed.items[0]?.digests).toEqual({
      content: { sha256: SHA },
      files: [{ path: 'x.bin', digests: { sha1: 'c'.repeat(40) } }],
      source: 'feed',
    });
    expect(feed.warnings.map((w) => w.message)).toEqual([expect.stringMatching(/md5 "xyz" is not 32 hex digits; ignored/)]);
  });

  it("takes owmeta's .torrent named by the MD5 of its file as a content MD5, never AT's info-hash names", () => {
    expect(md5FromTorrentName(`https://drive.example/files/${MD5}.torrent`)).toBe(MD5);
    expect(md5FromTorrentName(`https://academictorrents.com/download/${H}.torrent`)).toBeNull();
    expect(readDigests(null, `https://drive.example/${MD5.toUpperCase()}.torrent`).digests).toEqual({
      content: { md5: MD5 },
      files: [],
      source: 'torrent-name',
    });
    expect(readDigests(null, null).digests).toBeNull();
  });

  it('a feed item without digests has none', async () => {
    const feed = await parseRssFeed(
      `<rss version="2.0"><channel><title>t</title><item><title>s</title><infohash>${H}</infohash></item></channel></rss>`,
      opts('rss'),
    );
    expect(feed.items[0]?.digests).toBeUndefined();
  });
});
