import { describe, expect, it } from 'vitest';
import { POLL_FIELDS, readTable, tableToObjects, toDaemonTorrent } from './transmission-schema.js';

const HASH = 'AB'.repeat(20);

function row(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hashString: HASH,
    name: 'n',
    status: 6,
    percentDone: 1,
    sizeWhenDone: 10,
    leftUntilDone: 0,
    rateDownload: 0,
    rateUpload: 5,
    uploadedEver: 7,
    downloadedEver: 10,
    peersConnected: 2,
    labels: ['smartnode'],
    downloadDir: '/d',
    addedDate: 1,
    doneDate: 2,
    secondsSeeding: 3,
    error: 0,
    errorString: '',
    trackerStats: [],
    ...overrides,
  };
}

describe('torrent-get boundary', () => {
  it('asks for exactly the fields it reads', () => {
    expect(Object.keys(row()).sort()).toEqual([...POLL_FIELDS].sort());
  });

  it('maps status codes 0..6 in RPC spec order and lowercases the hash', () => {
    const names = [0, 1, 2, 3, 4, 5, 6].map((status) => {
      const read = toDaemonTorrent(row({ status }));
      return 'torrent' in read ? read.torrent.status : read.problem;
    });
    expect(names).toEqual(['stopped', 'check-wait', 'checking', 'download-wait', 'downloading', 'seed-wait', 'seeding']);
    const read = toDaemonTorrent(row());
    expect('torrent' in read && read.torrent.infoHash).toBe(HASH.toLowerCase());
  });

  it('gives no field a default: 0 for a list (3.00 on a field it lacks) or a missing one is a problem naming it', () => {
    for (const bad of [0, null, undefined]) {
      expect(toDaemonTorrent(row({ labels: bad }))).toEqual({ problem: expect.stringMatching(/^labels: /) });
      expect(toDaemonTorrent(row({ name: bad }))).toEqual({ problem: expect.stringMatching(/^name: /) });
    }
    for (const bad of ['7', null, undefined]) {
      expect(toDaemonTorrent(row({ uploadedEver: bad }))).toEqual({ problem: expect.stringMatching(/^uploadedEver: /) });
    }
    // trackerStats alone may be left out: a lean poll does not ask for it.
    const { trackerStats: _t, ...lean } = row();
    const read = toDaemonTorrent(lean);
    expect('torrent' in read && read.torrent.trackerStats).toEqual([]);
  });

  it('names the asked-for fields a table answer left out', () => {
    expect(
      readTable(
        [
          ['hashString', 'name'],
          ['x', 'y'],
        ],
        ['hashString', 'name', 'labels', 'group'],
      ),
    ).toEqual({
      problem: 'the daemon did not return the fields "labels", "group"',
    });
    expect(readTable([['hashString'], ['x']], ['hashString'])).toEqual({ rows: [{ hashString: 'x' }] });
  });

  it('keeps only the tracker sub-fields it needs, -1 while unknown', () => {
    const read = toDaemonTorrent(
      row({
        trackerStats: [
          { announce: 'http://t/a', seederCount: 3, leecherCount: -1, downloadCount: 9, lastScrapeTime: 100, tier: 0, host: 'x' },
        ],
      }),
    );
    expect('torrent' in read && read.torrent.trackerStats).toEqual([
      { announce: 'http://t/a', seederCount: 3, leecherCount: -1, downloadCount: 9, lastScrapeTime: 100 },
    ]);
  });

  it('rejects an unknown status and a bad hash with a reason', () => {
    expect(toDaemonTorrent(row({ status: 9 }))).toHaveProperty('problem');
    expect(toDaemonTorrent(row({ hashString: 'xyz' }))).toEqual({ problem: 'hashString "xyz" is not an info-hash' });
  });

  it('zips a table answer into objects and refuses ragged rows', () => {
    expect(
      tableToObjects([
        ['a', 'b'],
        [1, 2],
        [3, 4],
      ]),
    ).toEqual({
      rows: [
        { a: 1, b: 2 },
        { a: 3, b: 4 },
      ],
    });
    expect(tableToObjects([])).toEqual({ rows: [] });
    expect(tableToObjects([['a', 'b'], [1]])).toHaveProperty('problem');
    expect(tableToObjects({})).toHaveProperty('problem');
  });
});
