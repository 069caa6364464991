import { describe, expect, it } from 'vitest';
import type { FeedItem } from '../feeds/index.js';
import { freshIntegrityRecord, type IntegrityRecord } from '../integrity/index.js';
import { FIXED_NOW_MS, GB, HOUR_MS, aCounts, hashOf } from '../plan/testing.js';
import type { InfoHash } from '../shared/index.js';
import { planIntegrity } from './integrity-plan.js';
import { observationOf } from './observation-of.js';
import { anAgentConfig } from './testing.js';
import type { DigestJobView, IntegrityObservation, Observation } from './tick-types.js';

const NOW = FIXED_NOW_MS;
const SHA = 'ab'.repeat(32);
const H = hashOf(1);
const config = anAgentConfig({ integrity: { reverifyEveryMs: 0, readRateBytesPerSec: 5e6 } });
const item: FeedItem = {
  infoHash: H,
  name: 'set',
  sizeBytes: GB,
  torrentUrl: 'http://feeds.test/set.torrent',
  magnetUri: null,
  trackers: [],
  counts: aCounts({ seeders: 1, observedAtMs: NOW }),
  publishedAtMs: null,
  digests: { content: { sha256: SHA }, files: [], source: 'feed' },
};

function world(status: 'seeding' | 'stopped', record: IntegrityRecord | null, jobs: DigestJobView[] = []) {
  const base = observationOf({
    nodeId: 'node-a',
    nowMs: NOW,
    downloadDir: config.downloadDir,
    label: config.label,
    feeds: [{ feedId: 'lab', items: [item] }],
    held: [{ infoHash: H, name: 'set', sizeBytes: GB, leftBytes: 0, addedAtMs: NOW - HOUR_MS, feedIds: ['lab'] }],
    diskFreeBytes: null,
    maxCountAgeMs: config.maxCountAgeMs,
  });
  const obs: Observation = { ...base, torrents: base.torrents.map((t) => ({ ...t, status })) };
  const seen: IntegrityObservation = {
    records: new Map<InfoHash, IntegrityRecord>(record === null ? [] : [[H, record]]),
    presence: new Map(),
    fileLists: new Map(),
    checksDigests: true,
    digestJobs: jobs,
    busy: false,
  };
  return planIntegrity(obs, seen, config, new Set([H]), NOW);
}
const pending = (over: Partial<IntegrityRecord> = {}): IntegrityRecord => ({
  ...freshIntegrityRecord(),
  completedAtMs: NOW - 1000,
  digestCheck: { failures: 0, retryAtMs: NOW - 1000 },
  heldForCheck: true,
  ...over,
});

describe('planIntegrity', () => {
  it('a completed torrent with a feed digest is stopped, then its check queued with the source and expected digest', () => {
    const plan = world('seeding', null);
    expect(plan.steps).toEqual([
      { kind: 'stop', infoHash: H },
      {
        kind: 'digest',
        request: {
          infoHash: H,
          name: 'set',
          source: { item, feedId: 'lab' },
          downloadDir: `/srv/mirror/${H}`,
          expected: item.digests,
          algorithms: ['sha256'],
          readRateBytesPerSec: 5e6,
        },
      },
    ]);
    expect(plan.records.get(H)).toMatchObject({ heldForCheck: true, lastVerifiedAtMs: null, digestCheck: { failures: 0 } });
    // Already stopped: not stopped again; a check under way: nothing else to do.
    expect(world('stopped', pending(), [{ jobId: 1, infoHash: H, state: 'running' }]).steps).toEqual([]);
  });

  it('a passed check is recorded, settled and the torrent started; a start lost in a crash is made on the next tick', () => {
    const done: DigestJobView = {
      jobId: 7,
      infoHash: H,
      state: 'done',
      expected: item.digests!,
      content: { sha256: SHA },
      files: new Map(),
      fileList: [{ path: 'set', lengthBytes: GB }],
    };
    const plan = world('stopped', pending(), [done]);
    expect(plan.steps.map((s) => s.kind)).toEqual(['report', 'start', 'settle']);
    expect(plan.steps.at(-1)).toEqual({ kind: 'settle', infoHash: H, jobId: 7 });
    const passed = plan.records.get(H)!;
    expect(passed).toMatchObject({ digestCheck: null, heldForCheck: true, lastVerifiedAtMs: NOW, files: done.fileList });
    // The record written, the start lost: still stopped next tick, so it is started then.
    expect(world('stopped', passed).steps).toEqual([{ kind: 'start', infoHash: H }]);
    // Seeding again: nothing to release any more.
    const released = world('seeding', passed);
    expect(released.steps).toEqual([]);
    expect(released.records.get(H)?.heldForCheck).toBe(false);
    // A torrent stopped by its owner, not by us, is never started.
    expect(world('stopped', { ...passed, heldForCheck: false }).steps).toEqual([]);
  });

  it('a check that could not run is reported with its error as a failed digest-check and settled; the torrent stays stopped', () => {
    const error = { code: 'TORRENT_FETCH', message: 'feed host down', retryable: true };
    const plan = world('stopped', pending(), [{ jobId: 3, infoHash: H, state: 'failed', error }]);
    expect(plan.steps).toEqual([
      expect.objectContaining({ kind: 'report' }),
      { kind: 'check-failed', infoHash: H, name: 'set', error },
      { kind: 'settle', infoHash: H, jobId: 3 },
    ]);
    expect(plan.records.get(H)).toMatchObject({ heldForCheck: true, digestCheck: { failures: 1, retryAtMs: NOW + 60_000 } });
  });
});
