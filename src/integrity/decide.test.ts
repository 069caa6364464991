import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toInfoHash, type InfoHash } from '../shared/index.js';
import { decideIntegrity, digestRetryDelayMs, isBusyWindow, type IntegrityTorrent } from './decide.js';
import { compareDigests, judgeDigest } from './judge.js';
import { hashContent } from './digest.js';
import { freshIntegrityRecord, type IntegrityRecord } from './record.js';

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;
const A = toInfoHash('a'.repeat(40));
const B = toInfoHash('b'.repeat(40));
const C = toInfoHash('c'.repeat(40));

function aTorrent(infoHash: InfoHash, over: Partial<IntegrityTorrent> = {}): IntegrityTorrent {
  return {
    infoHash,
    name: `t-${infoHash.slice(0, 4)}`,
    status: 'seeding',
    percentDone: 1,
    leftUntilDoneBytes: 0,
    sizeBytes: 1_000_000,
    error: 0,
    errorString: '',
    desired: true,
    inOwnDir: true,
    presence: 'present',
    hasExpectedDigest: false,
    ...over,
  };
}
const completed = (verifiedAgoMs: number, over: Partial<IntegrityRecord> = {}): IntegrityRecord => ({
  ...freshIntegrityRecord(),
  completedAtMs: NOW - 100 * DAY,
  lastVerifiedAtMs: NOW - verifiedAgoMs,
  ...over,
});
const schedule = { reverifyEveryMs: 30 * DAY, readRateBytesPerSec: 1_000_000, busy: false };

describe('decideIntegrity', () => {
  it('verifies one due torrent, the longest unverified, and none when off, busy or a check runs', () => {
    const torrents = [aTorrent(A), aTorrent(B), aTorrent(C)];
    const records = new Map([
      [A, completed(40 * DAY)],
      [B, completed(60 * DAY)],
      [C, completed(10 * DAY)],
    ]);
    const d = decideIntegrity({ nowMs: NOW, torrents, records, schedule });
    expect(d.steps).toEqual([{ kind: 'verify', infoHash: B, why: 'scheduled' }]);
    expect(d.records.get(B)?.verifying).toEqual({ startedAtMs: NOW, why: 'scheduled' });
    expect(decideIntegrity({ nowMs: NOW, torrents, records, schedule: { ...schedule, reverifyEveryMs: 0 } }).steps).toEqual([]);
    expect(decideIntegrity({ nowMs: NOW, torrents, records, schedule: { ...schedule, busy: true } }).steps).toEqual([]);
    const checking = [aTorrent(A), aTorrent(B), aTorrent(C, { status: 'checking' })];
    expect(decideIntegrity({ nowMs: NOW, torrents: checking, records, schedule }).steps).toEqual([]);
  });

  it('spaces verifies by the read budget: S bytes at R bytes/s hold the disk S / R', () => {
    const records = new Map([
      [A, completed(40 * DAY, { lastVerifyStart: { atMs: NOW - 500, sizeBytes: 1_000_000 } })],
      [B, completed(60 * DAY)],
    ]);
    expect(decideIntegrity({ nowMs: NOW, torrents: [aTorrent(A), aTorrent(B)], records, schedule }).steps).toEqual([]);
    expect(decideIntegrity({ nowMs: NOW + 500, torrents: [aTorrent(A), aTorrent(B)], records, schedule }).steps).toHaveLength(1);
  });

  it('reads a finished verify: all good, bad pieces under repair, then repaired', () => {
    const started = new Map([[A, completed(40 * DAY, { verifying: { startedAtMs: NOW - 1000, why: 'scheduled' } })]]);
    const good = decideIntegrity({ nowMs: NOW, torrents: [aTorrent(A)], records: started, schedule });
    expect(good.records.get(A)).toMatchObject({ verifying: null, lastVerifiedAtMs: NOW, last: { code: 'VERIFIED' } });
    const bad = decideIntegrity({
      nowMs: NOW,
      torrents: [aTorrent(A, { status: 'downloading', percentDone: 0.9, leftUntilDoneBytes: 100_000 })],
      records: started,
      schedule,
    });
    expect(bad.records.get(A)).toMatchObject({
      repairing: true,
      last: { code: 'BAD_PIECES', text: expect.stringContaining('100000 of 1000000 bytes') },
    });
    const fixed = decideIntegrity({ nowMs: NOW + 1, torrents: [aTorrent(A)], records: bad.records, schedule });
    expect(fixed.records.get(A)).toMatchObject({ repairing: false, lastVerifiedAtMs: NOW + 1, last: { code: 'REPAIRED' } });
  });

  it('files gone from disk: verify now; none found by the daemon: fetched afresh, only if kept and in our dir', () => {
    const gone = decideIntegrity({
      nowMs: NOW,
      torrents: [aTorrent(A, { presence: 'missing' })],
      records: new Map([[A, completed(DAY)]]),
      schedule,
    });
    expect(gone.steps.filter((s) => s.kind !== 'report')).toEqual([{ kind: 'verify', infoHash: A, why: 'vanished' }]);
    const noData = { status: 'stopped', error: 3, errorString: 'No data found! Ensure your drives are connected or use "Set Location".' };
    const refetch = decideIntegrity({ nowMs: NOW + 1, torrents: [aTorrent(A, noData)], records: gone.records, schedule });
    expect(refetch.steps.filter((s) => s.kind !== 'report')).toEqual([
      { kind: 'refetch', infoHash: A, why: 'vanished', deleteData: false },
    ]);
    // 4.1's words for the same error begin so (seen on a real 4.1.x daemon in the contract suite).
    const noData41 = { ...noData, errorString: 'Paused torrent as no data was found!' };
    expect(
      decideIntegrity({ nowMs: NOW + 1, torrents: [aTorrent(A, noData41)], records: gone.records, schedule }).steps.filter(
        (s) => s.kind !== 'report',
      ),
    ).toEqual([{ kind: 'refetch', infoHash: A, why: 'vanished', deleteData: false }]);
    for (const over of [{ desired: false }, { inOwnDir: false }]) {
      const left = decideIntegrity({ nowMs: NOW + 1, torrents: [aTorrent(A, { ...noData, ...over })], records: gone.records, schedule });
      expect(left.steps.map((s) => s.kind)).toEqual(['report']);
      expect(left.records.get(A)?.last?.code).toBe('DATA_VANISHED');
    }
  });

  it('on completion asks for a digest check only when the feed states one', () => {
    const done = decideIntegrity({
      nowMs: NOW,
      torrents: [aTorrent(A, { hasExpectedDigest: true }), aTorrent(B)],
      records: new Map(),
      schedule,
    });
    expect(done.steps).toEqual([{ kind: 'digest', infoHash: A }]);
    expect(done.records.get(B)).toMatchObject({ completedAtMs: NOW, lastVerifiedAtMs: NOW });
    // Not verified until the content check passes, and never re-verified on schedule meanwhile.
    expect(done.records.get(A)).toMatchObject({ completedAtMs: NOW, lastVerifiedAtMs: null, digestCheck: { failures: 0 } });
    const later = decideIntegrity({
      nowMs: NOW + 365 * DAY,
      torrents: [aTorrent(A, { hasExpectedDigest: true, status: 'stopped', digest: { state: 'running' } })],
      records: done.records,
      schedule,
    });
    expect(later.steps).toEqual([]);
  });

  it('one content check at a time: the next starts once the running one is over', () => {
    const pending = { ...freshIntegrityRecord(), completedAtMs: NOW - 1, digestCheck: { failures: 0, retryAtMs: NOW - 1 } };
    const records = new Map([
      [A, pending],
      [B, pending],
    ]);
    const running = decideIntegrity({
      nowMs: NOW,
      torrents: [aTorrent(A, { hasExpectedDigest: true }), aTorrent(B, { hasExpectedDigest: true, digest: { state: 'running' } })],
      records,
      schedule,
    });
    expect(running.steps).toEqual([]);
    const free = decideIntegrity({
      nowMs: NOW,
      torrents: [aTorrent(A, { hasExpectedDigest: true }), aTorrent(B, { hasExpectedDigest: true })],
      records,
      schedule,
    });
    expect(free.steps).toEqual([{ kind: 'digest', infoHash: A }]);
  });

  it('a content check that could not run is retried after a doubling, bounded pause, and counts as no verify', () => {
    const done = decideIntegrity({ nowMs: NOW, torrents: [aTorrent(A, { hasExpectedDigest: true })], records: new Map(), schedule });
    const failed = (records: typeof done.records, nowMs: number) =>
      decideIntegrity({
        nowMs,
        torrents: [aTorrent(A, { hasExpectedDigest: true, status: 'stopped', digest: { state: 'failed', error: 'ECONNREFUSED' } })],
        records,
        schedule,
      });
    const once = failed(done.records, NOW + 10);
    expect(once.records.get(A)).toMatchObject({
      lastVerifiedAtMs: null,
      digestCheck: { failures: 1, retryAtMs: NOW + 10 + 60_000 },
      last: { code: 'CHECK_FAILED', text: expect.stringContaining('ECONNREFUSED') },
    });
    expect(once.steps.map((s) => s.kind)).toEqual(['report']);
    const waiting = (nowMs: number) =>
      decideIntegrity({ nowMs, torrents: [aTorrent(A, { hasExpectedDigest: true, status: 'stopped' })], records: once.records, schedule });
    expect(waiting(NOW + 10 + 59_999).steps).toEqual([]);
    expect(waiting(NOW + 10 + 60_000).steps).toEqual([{ kind: 'digest', infoHash: A }]);
    expect(failed(once.records, NOW + 70_010).records.get(A)?.digestCheck).toEqual({ failures: 2, retryAtMs: NOW + 70_010 + 120_000 });
    expect(digestRetryDelayMs(40)).toBe(6 * 3_600_000);
    const ok = decideIntegrity({
      nowMs: NOW + DAY,
      torrents: [
        aTorrent(A, {
          hasExpectedDigest: true,
          status: 'stopped',
          digest: { state: 'done', comparisons: [{ ok: true, expected: 'md5:aa', actual: 'md5:aa', where: 'content' }] },
        }),
      ],
      records: once.records,
      schedule,
    });
    expect(ok.records.get(A)).toMatchObject({ digestCheck: null, lastVerifiedAtMs: NOW + DAY, last: { code: 'DIGEST_OK' } });
  });

  it('"No data found" again after an earlier vanish was repaired and completed is a new vanish, handled again', () => {
    const noData = { status: 'stopped', error: 3, errorString: 'No data found! Ensure your drives are connected or use "Set Location".' };
    const refetched = completed(DAY, {
      completedAtMs: NOW - 2 * DAY,
      last: { atMs: NOW - 3 * DAY, code: 'REFETCHED', text: 'earlier episode' },
    });
    const again = decideIntegrity({ nowMs: NOW, torrents: [aTorrent(A, noData)], records: new Map([[A, refetched]]), schedule });
    expect(again.steps.filter((s) => s.kind !== 'report')).toEqual([{ kind: 'refetch', infoHash: A, why: 'vanished', deleteData: false }]);
    expect(again.records.get(A)?.last).toMatchObject({ atMs: NOW, code: 'REFETCHED' });
    // The same episode still under way (not complete since) is not fetched a second time.
    const same = decideIntegrity({ nowMs: NOW + 1, torrents: [aTorrent(A, noData)], records: again.records, schedule });
    expect(same.steps).toEqual([]);
    const leftVanished = completed(DAY, { completedAtMs: NOW - 2 * DAY, last: { atMs: NOW - 3 * DAY, code: 'DATA_VANISHED', text: 'x' } });
    expect(
      decideIntegrity({ nowMs: NOW, torrents: [aTorrent(A, noData)], records: new Map([[A, leftVanished]]), schedule }).steps.map(
        (s) => s.kind,
      ),
    ).toEqual(['report', 'refetch']);
  });
});

describe('content digests', () => {
  it('a mismatch is CORRUPT with expected and actual: fetched again once, then banned', () => {
    const comparisons = compareDigests(
      { content: { sha256: 'aa', md5: 'bb' }, files: [] },
      { content: { sha256: 'cc', md5: 'bb' }, files: new Map() },
    );
    expect(comparisons).toEqual([{ ok: false, expected: 'sha256:aa', actual: 'sha256:cc', where: 'content' }]);
    const first = judgeDigest(completed(0), comparisons, NOW);
    expect(first.verdict).toBe('refetch');
    expect(first.record).toMatchObject({
      corruptRefetches: 1,
      completedAtMs: null,
      last: { code: 'CORRUPT', expected: 'sha256:aa', actual: 'sha256:cc' },
    });
    expect(judgeDigest(first.record, comparisons, NOW).verdict).toBe('ban');
    expect(judgeDigest(completed(0), [{ ok: true, expected: 'md5:bb', actual: 'md5:bb', where: 'x.csv' }], NOW)).toMatchObject({
      verdict: 'ok',
      record: { last: { code: 'DIGEST_OK' } },
    });
  });

  it('hashes files streamed, per file and as one concatenated content, as node:crypto does whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'smartnode-digest-'));
    try {
      const one = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
      const two = Buffer.from('second file');
      await writeFile(join(dir, '1'), one);
      await writeFile(join(dir, '2'), two);
      const out = await hashContent(
        [
          { absolutePath: join(dir, '1'), key: 'a/1', lengthBytes: one.length },
          { absolutePath: join(dir, '2'), key: 'a/2', lengthBytes: two.length },
        ],
        ['sha256', 'md5'],
        { chunkBytes: 1024 * 1024 },
      );
      const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
      expect(out.content.sha256).toBe(sha(Buffer.concat([one, two])));
      expect(out.files.get('a/1')).toEqual({ sha256: sha(one), md5: createHash('md5').update(one).digest('hex') });
      expect(out.bytesRead).toBe(one.length + two.length);
      await expect(hashContent([{ absolutePath: join(dir, '2'), key: '2', lengthBytes: 99 }], ['md5'])).rejects.toMatchObject({
        code: 'INTEGRITY_IO',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('busy hours are windows that lower a rate below its base', () => {
    expect(
      isBusyWindow(
        { uploadBytesPerSec: null, downloadBytesPerSec: null },
        { window: 0, uploadBytesPerSec: 200_000, downloadBytesPerSec: null },
      ),
    ).toBe(true);
    expect(
      isBusyWindow(
        { uploadBytesPerSec: 1000, downloadBytesPerSec: null },
        { window: 1, uploadBytesPerSec: null, downloadBytesPerSec: null },
      ),
    ).toBe(false);
    expect(
      isBusyWindow(
        { uploadBytesPerSec: 1000, downloadBytesPerSec: null },
        { window: null, uploadBytesPerSec: 10, downloadBytesPerSec: null },
      ),
    ).toBe(false);
  });
});
