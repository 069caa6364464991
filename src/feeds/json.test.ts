import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { createJsonListParser, parseJsonTorrentList } from './json.js';

const NOW = Date.UTC(2025, 7, 20);
const opts = { format: 'json' as const, feedId: 'aa', feedUrl: 'https://annas.example/dyn/torrents.json', nowMs: NOW };
const fixture = readFileSync(new URL('../../test/fixtures/feeds/annas-torrents.json', import.meta.url), 'utf8');

describe('parseJsonTorrentList', () => {
  it("reads Anna's-Archive-style items with counts dated by stats_scraped_at", () => {
    const feed = parseJsonTorrentList(fixture, opts);
    expect(feed.items.map((i) => i.name)).toEqual(['sm_00200000-00299999.torrent', 'r_3100000.torrent']);
    const first = feed.items[0];
    expect(first?.sizeBytes).toBe(77059309159);
    expect(first?.torrentUrl).toBe('https://annas.example/dyn/small_file/torrents/external/scihub/sm_00200000-00299999.torrent');
    expect(first?.trackers).toEqual(['udp://tracker.opentrackr.org:1337/announce']);
    expect(first?.counts).toEqual({
      seeders: 9,
      leechers: 1,
      completed: 158,
      source: 'feed',
      observedAtMs: Date.UTC(2025, 7, 14, 12, 11, 10),
      origin: 'aa',
    });
    expect(first?.publishedAtMs).toBe(Date.UTC(2023, 11, 21));
  });

  it('skips obsolete and embargoed items and drops malformed ones, with warnings', () => {
    const feed = parseJsonTorrentList(fixture, opts);
    expect(feed.warnings.map((w) => w.index)).toEqual([2, 3, 4]);
    expect(feed.warnings[0]?.message).toMatch(/"old.torrent": skipped, marked obsolete/);
    expect(feed.warnings[1]?.message).toMatch(/"embargoed.torrent": skipped, under embargo/);
    expect(feed.warnings[2]?.message).toMatch(/item 4: dropped, btih: /);
  });

  it('accepts {torrents: [...]}, stamps undated counts now, and drops non-objects', () => {
    const text = JSON.stringify({ torrents: [{ btih: 'A'.repeat(40), name: 'x', seeders: '3', leechers: 0 }, 'nope', null] });
    const feed = parseJsonTorrentList(text, opts);
    expect(feed.items[0]?.counts).toMatchObject({ seeders: 3, leechers: 0, completed: null, observedAtMs: NOW });
    expect(feed.warnings.map((w) => w.index)).toEqual([1, 2]);
  });

  it('reads the same items chunk by chunk, whatever the boundaries', () => {
    const whole = parseJsonTorrentList(fixture, opts);
    const wrapped = `{"meta": {"torrents": 1}, "torrents": ${fixture}, "tail": [1, {"a": "]"}]}`;
    for (const text of [fixture, wrapped]) {
      const bytes = new TextEncoder().encode(text);
      for (const size of [1, 2, 3, 7, 64]) {
        const parser = createJsonListParser(opts);
        for (let at = 0; at < bytes.length; at += size) parser.push(bytes.subarray(at, at + size));
        expect(parser.end()).toEqual(whole);
      }
    }
  });

  it('fails with FEED_PARSE on invalid JSON or the wrong shape', () => {
    expect(() => parseJsonTorrentList('[{"btih": 1} {"btih": 2}]', opts)).toThrow(/not valid JSON/);
    expect(() => parseJsonTorrentList('[{"btih": 1}] trailing', opts)).toThrow(/not valid JSON/);
    expect(() => parseJsonTorrentList('[{"btih": 1}}', opts)).toThrow(/not valid JSON/);
    expect(() => parseJsonTorrentList('"just a string"', opts)).toThrow(/expected a JSON array/);
    expect(() => parseJsonTorrentList('{"torrents": [', opts)).toThrow(SmartnodeError);
    expect(() => parseJsonTorrentList('{"torrents": [', opts)).toThrow(/feed aa: not valid JSON/);
    expect(() => parseJsonTorrentList('{"error": "rate limited"}', opts)).toThrow(
      /expected a JSON array of torrents .* got an object with keys error/,
    );
  });
});
