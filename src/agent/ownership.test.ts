import { describe, expect, it } from 'vitest';
import type { DaemonTorrent } from '../daemon/index.js';
import { toInfoHash } from '../shared/index.js';
import { isInsideDir, needsDaemonStart, reconcileOwnership } from './ownership.js';
import type { OwnedRecord } from './state.js';

const A = toInfoHash('a'.repeat(40));
const B = toInfoHash('b'.repeat(40));
const DIR = '/srv/smartnode';

function torrent(over: Partial<DaemonTorrent>): DaemonTorrent {
  return {
    infoHash: A,
    name: 'x',
    status: 'seeding',
    percentDone: 1,
    sizeWhenDoneBytes: 10,
    leftUntilDoneBytes: 0,
    rateDownloadBytesPerSec: 0,
    rateUploadBytesPerSec: 0,
    uploadedEverBytes: 0,
    downloadedEverBytes: 0,
    peersConnected: 0,
    labels: [],
    downloadDir: `${DIR}/${A}`,
    addedDate: 1000,
    doneDate: 0,
    secondsSeeding: 0,
    error: 0,
    errorString: '',
    trackerStats: [],
    ...over,
  };
}
function record(over: Partial<OwnedRecord>): OwnedRecord {
  return {
    infoHash: A,
    name: 'x',
    sizeBytes: 10,
    feedIds: ['f'],
    phase: 'owned',
    intentAtMs: 1_000_000,
    downloadDir: `${DIR}/${A}`,
    ...over,
  };
}

describe('reconcileOwnership', () => {
  it('confirms an interrupted add the daemon holds, and asks for the label', () => {
    const view = reconcileOwnership({
      records: [record({ phase: 'adding' })],
      torrents: [torrent({ addedDate: 1000 })],
      label: 'smartnode',
      downloadDir: DIR,
    });
    expect([...view.owned]).toEqual([A]);
    expect(view.ops).toEqual([{ kind: 'confirm', record: record({ phase: 'adding' }), needsLabel: true }]);
  });
  it('never takes over a torrent the daemon had before our intent', () => {
    const view = reconcileOwnership({
      records: [record({ phase: 'adding', intentAtMs: 5_000_000 })],
      torrents: [torrent({ addedDate: 1000, downloadDir: '/home/owner' })],
      label: 'smartnode',
      downloadDir: DIR,
    });
    expect(view.owned.size).toBe(0);
    expect(view.ops).toEqual([{ kind: 'forget', infoHash: A, why: 'not-ours', where: '/home/owner' }]);
  });
  it('never adopts a copy the owner added around our add time outside our directory', () => {
    // The owner's add lands a second before ours; our answer (torrent-duplicate) was lost.
    const view = reconcileOwnership({
      records: [record({ phase: 'adding', intentAtMs: 1_001_000 })],
      torrents: [torrent({ addedDate: 1000, downloadDir: '/var/lib/transmission/downloads' })],
      label: 'smartnode',
      downloadDir: DIR,
      daemonStartedAtMs: null,
    });
    expect(view.owned.size).toBe(0);
    expect(view.ops).toEqual([{ kind: 'forget', infoHash: A, why: 'unproven', where: '/var/lib/transmission/downloads' }]);
    expect(needsDaemonStart([record({ phase: 'adding' })], [torrent({ downloadDir: '/elsewhere' })])).toBe(true);
    expect(needsDaemonStart([record({ phase: 'adding' })], [torrent({})])).toBe(false);
  });
  it('takes back an add a daemon restart reloaded into its default directory, and points it home', () => {
    const view = reconcileOwnership({
      records: [record({ phase: 'adding', intentAtMs: 1_000_000 })],
      torrents: [torrent({ addedDate: 1010, downloadDir: '/var/lib/transmission/downloads' })],
      label: 'smartnode',
      downloadDir: DIR,
      daemonStartedAtMs: 1_009_000,
    });
    expect([...view.owned]).toEqual([A]);
    expect(view.ops.map((o) => o.kind)).toEqual(['confirm', 'relocate']);
  });
  it('takes back an add a daemon restarted within a second reloaded, by the recorded start of the daemon that took it', () => {
    // The uptime of the new daemon allows a start as early as 2.5 s before our intent; the
    // daemon that took the add had started by 940 s at the latest: a different process.
    const restarted = {
      records: [record({ phase: 'adding', intentAtMs: 1_000_000, daemonStartLatestMs: 940_000 })],
      torrents: [torrent({ addedDate: 1001, downloadDir: '/var/lib/transmission/downloads' })],
      label: 'smartnode',
      downloadDir: DIR,
      daemonStartedAtMs: 997_500,
    };
    const view = reconcileOwnership(restarted);
    expect([...view.owned]).toEqual([A]);
    expect(view.ops.map((o) => o.kind)).toEqual(['confirm', 'relocate']);
    // Without the record, or when the daemon's start is the same one: not proven.
    const { daemonStartLatestMs: _, ...unrecorded } = record({ phase: 'adding', intentAtMs: 1_000_000 });
    expect(reconcileOwnership({ ...restarted, records: [unrecorded] }).ops.map((o) => o.kind === 'forget' && o.why)).toEqual(['unproven']);
    const same = { ...restarted, records: [record({ phase: 'adding', intentAtMs: 1_000_000, daemonStartLatestMs: 998_000 })] };
    expect(reconcileOwnership(same).ops.map((o) => o.kind === 'forget' && o.why)).toEqual(['unproven']);
  });
  it('leaves a copy alone that predates the daemon restart, even after our intent', () => {
    const view = reconcileOwnership({
      records: [record({ phase: 'adding', intentAtMs: 1_000_000 })],
      torrents: [torrent({ addedDate: 1001, downloadDir: '/var/lib/transmission/downloads' })],
      label: 'smartnode',
      downloadDir: DIR,
      daemonStartedAtMs: 1_200_000,
    });
    expect(view.owned.size).toBe(0);
    expect(view.ops.map((o) => o.kind === 'forget' && o.why)).toEqual(['unproven']);
  });
  it('leaves alone a copy the owner added after the daemon restarted, outside our directory', () => {
    // Our add was interrupted, the daemon restarted without it, and ten minutes later the
    // owner added the same torrent into the default directory.
    const view = reconcileOwnership({
      records: [record({ phase: 'adding', intentAtMs: 1_000_000 })],
      torrents: [torrent({ addedDate: 1_609, downloadDir: '/var/lib/transmission/downloads' })],
      label: 'smartnode',
      downloadDir: DIR,
      daemonStartedAtMs: 1_009_000,
    });
    expect(view.owned.size).toBe(0);
    expect(view.ops).toEqual([{ kind: 'forget', infoHash: A, why: 'unproven', where: '/var/lib/transmission/downloads' }]);
  });
  it('forgets adds that never reached the daemon and finishes interrupted removals', () => {
    const view = reconcileOwnership({
      records: [record({ phase: 'adding' }), record({ infoHash: B, phase: 'removing' })],
      torrents: [torrent({ infoHash: B, labels: ['smartnode'] })],
      label: 'smartnode',
      downloadDir: DIR,
    });
    expect(view.owned.size).toBe(0);
    expect(view.ops.map((o) => o.kind)).toEqual(['forget', 'finish-remove']);
  });
  it('adopts labelled torrents inside our directory only', () => {
    const view = reconcileOwnership({
      records: [],
      torrents: [
        torrent({ labels: ['smartnode'], downloadDir: `${DIR}/${A}` }),
        torrent({ infoHash: B, labels: ['smartnode'], downloadDir: '/home/owner' }),
      ],
      label: 'smartnode',
      downloadDir: DIR,
    });
    expect([...view.owned]).toEqual([A]);
  });
  it('leaves unlabelled, unrecorded torrents alone even inside our directory', () => {
    const view = reconcileOwnership({
      records: [],
      torrents: [torrent({ downloadDir: `${DIR}/${A}` })],
      label: 'smartnode',
      downloadDir: DIR,
    });
    expect(view.owned.size).toBe(0);
    expect(view.ops).toEqual([]);
  });
});

describe('isInsideDir', () => {
  it.each([
    ['/srv/smartnode/abc', '/srv/smartnode', true],
    ['/srv/smartnode', '/srv/smartnode/', true],
    ['/srv/smartnode-other/x', '/srv/smartnode', false],
    ['/srv/smartnode/../etc', '/srv/smartnode', false],
    ['relative/x', '/srv', false],
    ['/srv//smartnode/./abc', '/srv/smartnode', true],
    ['/srv/smartnode/abc/..', '/srv/smartnode/', true],
    ['/srv/smartnode/..', '/srv/smartnode', false],
    ['/srv/smartnode/.hidden', '/srv/smartnode', true],
    ['/srv/smartnode/..data', '/srv/smartnode', true],
    ['/srv', '/', true],
    ['/', '/srv', false],
  ])('%s in %s -> %s', (child, parent, expected) => {
    expect(isInsideDir(child, parent)).toBe(expected);
  });
});

describe('relocation after a daemon crash', () => {
  it('points an owned torrent that the daemon reloaded elsewhere back at our directory', () => {
    const view = reconcileOwnership({
      records: [record({ phase: 'owned' })],
      torrents: [torrent({ labels: [], downloadDir: '/var/lib/transmission-daemon/downloads' })],
      label: 'smartnode',
      downloadDir: DIR,
    });
    expect([...view.owned]).toEqual([A]);
    expect(view.ops).toEqual([
      { kind: 'relabel', infoHash: A },
      { kind: 'relocate', infoHash: A, downloadDir: `${DIR}/${A}` },
    ]);
  });
  it('relocates before finishing an interrupted removal, so data outside is never deleted', () => {
    const view = reconcileOwnership({
      records: [record({ phase: 'removing' })],
      torrents: [torrent({ downloadDir: '/elsewhere' })],
      label: 'smartnode',
      downloadDir: DIR,
    });
    expect(view.ops.map((o) => o.kind)).toEqual(['relocate', 'finish-remove']);
  });
});
