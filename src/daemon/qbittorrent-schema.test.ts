import { describe, expect, it } from 'vitest';
import { describeRelease } from './releases.js';
import { readRateLimit, splitTags, toDaemonPeers, toDaemonTorrent, toTrackerCounts } from './qbittorrent-schema.js';

const NOW = 1_800_000_000;
const row = (over: Record<string, unknown> = {}) => ({
  hash: 'ab'.repeat(20),
  name: 'set',
  state: 'stalledUP',
  progress: 1,
  size: 1000,
  amount_left: 0,
  dlspeed: 0,
  upspeed: 5,
  uploaded: 7,
  downloaded: 1000,
  num_seeds: 1,
  num_leechs: 2,
  tags: 'feed:a, smartnode',
  save_path: '/srv/mirror/abab/',
  added_on: NOW - 100,
  completion_on: NOW - 50,
  seeding_time: 50,
  up_limit: -1,
  dl_limit: 0,
  ...over,
});

describe('qBittorrent torrents/info rows', () => {
  it('map to the port: tags as labels, save path without its trailing slash, state as status', () => {
    const read = toDaemonTorrent(row(), NOW);
    expect(read).toEqual({
      torrent: expect.objectContaining({
        status: 'seeding',
        labels: ['feed:a', 'smartnode'],
        downloadDir: '/srv/mirror/abab',
        peersConnected: 3,
        doneDate: NOW - 50,
        percentDone: 1,
        error: 0,
      }),
    });
  });

  it('read 4.x paused and 5.x stopped alike, missing files as a local error, and refuse an unknown state', () => {
    for (const state of ['pausedDL', 'stoppedDL'])
      expect(toDaemonTorrent(row({ state }), NOW)).toMatchObject({ torrent: { status: 'stopped' } });
    expect(toDaemonTorrent(row({ state: 'missingFiles' }), NOW)).toMatchObject({ torrent: { status: 'stopped', error: 3 } });
    expect(toDaemonTorrent(row({ state: 'queuedDL', progress: 0.5, amount_left: 500 }), NOW)).toMatchObject({
      torrent: { status: 'download-wait', percentDone: 0.5, doneDate: 0 },
    });
    expect(toDaemonTorrent(row({ state: 'sideways' }), NOW)).toEqual({ problem: expect.stringContaining('"sideways"') });
    expect(toDaemonTorrent(row({ tags: undefined }), NOW)).toEqual({ problem: expect.stringContaining('tags') });
  });

  it('take an incomplete torrent as never done, whatever completion_on says', () => {
    expect(toDaemonTorrent(row({ progress: 0.2, amount_left: 800, completion_on: -1 }), NOW)).toMatchObject({ torrent: { doneDate: 0 } });
    expect(toDaemonTorrent(row({ completion_on: 4_294_967_295 }), NOW)).toMatchObject({ torrent: { doneDate: 0 } });
  });

  it('split tags and read limits: none as null, 1 B/s (a stopped direction) as 0, else whole kB', () => {
    expect(splitTags('')).toEqual([]);
    expect(splitTags('a,b, c')).toEqual(['a', 'b', 'c']);
    expect([readRateLimit(-1), readRateLimit(0), readRateLimit(1), readRateLimit(2_000), readRateLimit(2_999_296)]).toEqual([
      null,
      null,
      0,
      2_000,
      2_999_000,
    ]);
  });
});

describe('qBittorrent trackers and peers', () => {
  it('leave out the DHT, PeX and LSD pseudo-trackers; no scrape time (0)', () => {
    const rows = [
      { url: '** [DHT] **', num_seeds: 0, num_leeches: 0, num_downloaded: 0, status: 2 },
      { url: 'http://t.example/announce', num_seeds: 4, num_leeches: 2, num_downloaded: 9, status: 2 },
    ];
    expect(toTrackerCounts(rows)).toEqual({
      trackers: [{ announce: 'http://t.example/announce', seederCount: 4, leecherCount: 2, downloadCount: 9, lastScrapeTime: 0 }],
    });
    expect(toTrackerCounts({})).toEqual({ problem: expect.any(String) });
  });

  it("keep qBittorrent's own country code, upper-case, and drop a malformed peer", () => {
    const answer = {
      peers: {
        '10.0.0.1:6881': { ip: '10.0.0.1', port: 6881, progress: 1, dl_speed: 100, up_speed: 0, country_code: 'de' },
        '10.0.0.2:6881': { ip: '10.0.0.2', port: 6881, progress: 0.5, dl_speed: 0, up_speed: 3, country_code: '' },
        bad: { ip: '10.0.0.3', port: 'x' },
      },
    };
    expect(toDaemonPeers(answer)).toEqual({
      peers: [
        { address: '10.0.0.1', port: 6881, progress: 1, rateToClientBytesPerSec: 100, rateToPeerBytesPerSec: 0, countryCode: 'DE' },
        { address: '10.0.0.2', port: 6881, progress: 0.5, rateToClientBytesPerSec: 0, rateToPeerBytesPerSec: 3 },
      ],
    });
    expect(toDaemonPeers({ rid: 1 })).toEqual({ problem: expect.any(String) });
  });

  it('describe the tested qBittorrent lines', () => {
    const v = (version: string, api: string) => ({ version, rpcVersion: 0, rpcVersionSemver: api, protocol: 'webui-v2' as const });
    expect(describeRelease(v('4.5.2', '2.8.19'))).toMatchObject({
      tested: true,
      line: "qBittorrent 4.5.2 (Debian 12's line; tested, WebUI API 2.8.19)",
    });
    expect(describeRelease(v('5.1.0', '2.11.4'))).toMatchObject({ tested: true });
    expect(describeRelease(v('5.3.0', '2.16.2'))).toMatchObject({ tested: true });
    expect(describeRelease(v('4.3.9', '2.8.3'))).toMatchObject({ tested: false, line: expect.stringContaining('older than 4.5') });
  });
});
