import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildMetainfo } from '../daemon/index.js';
import type { FeedItem } from '../feeds/index.js';
import { hashContent } from '../integrity/index.js';
import type { InfoHash } from '../shared/index.js';
import { createDigestJobs, type DigestJobs } from './digest-jobs.js';
import type { DigestJobRequest } from './tick-types.js';

interface Made {
  request: DigestJobRequest;
  sha256: string;
  metainfo: Uint8Array;
}

describe('background content checks', () => {
  let dir: string;
  let jobs: DigestJobs | undefined;
  const made = new Map<InfoHash, Made>();

  const dataset = async (name: string, sizeBytes: number, readRateBytesPerSec: number | null = null): Promise<Made> => {
    const data = randomBytes(sizeBytes);
    const built = buildMetainfo({ name, data, pieceLengthBytes: 256 * 1024 });
    const hash = built.infoHash as InfoHash;
    await mkdir(join(dir, hash), { recursive: true });
    await writeFile(join(dir, hash, name), data);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const m: Made = {
      sha256,
      metainfo: built.metainfo,
      request: {
        infoHash: hash,
        name,
        source: { item: { infoHash: hash } as FeedItem, feedId: 'lab' },
        downloadDir: join(dir, hash),
        expected: { content: { sha256 }, files: [], source: 'feed' },
        algorithms: ['sha256'],
        readRateBytesPerSec,
      },
    };
    made.set(hash, m);
    return m;
  };
  const torrents = {
    readTorrent: async (item: FeedItem) => {
      const m = made.get(item.infoHash)!;
      return { infoHash: item.infoHash, name: m.request.name, totalSizeBytes: 0, trackers: [], metainfo: m.metainfo };
    },
  };
  const until = async (what: string, ok: () => boolean): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(jobs?.views())}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-digest-jobs-'));
  });
  afterEach(async () => {
    await jobs?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs one check at a time in order, keeps each result until settled, and queues a torrent once', async () => {
    let running = 0;
    let most = 0;
    jobs = createDigestJobs({
      torrents,
      hash: async (...args) => {
        most = Math.max(most, ++running);
        try {
          return await hashContent(...args);
        } finally {
          running--;
        }
      },
    });
    const a = await dataset('a.bin', 600_000);
    const b = await dataset('b.bin', 400_000);
    jobs.start(a.request);
    jobs.start(b.request);
    jobs.start(a.request);
    expect(jobs.views().map((v) => [v.infoHash, v.state])).toEqual([
      [a.request.infoHash, 'running'],
      [b.request.infoHash, 'queued'],
    ]);
    await until('both checks', () => jobs!.views().every((v) => v.state === 'done'));
    expect(most).toBe(1);
    const [doneA, doneB] = jobs.views();
    expect(doneA).toMatchObject({ state: 'done', content: { sha256: a.sha256 }, fileList: [{ path: 'a.bin', lengthBytes: 600_000 }] });
    expect(doneB).toMatchObject({ state: 'done', content: { sha256: b.sha256 } });
    // Another job id is not settled; the right one is, and the torrent may be queued again.
    jobs.settle(a.request.infoHash, doneA!.jobId + 100);
    expect(jobs.views()).toHaveLength(2);
    jobs.settle(a.request.infoHash, doneA!.jobId);
    expect(jobs.views().map((v) => v.infoHash)).toEqual([b.request.infoHash]);
  });

  it('a check that cannot read its data fails with the reason, as a result like every other', async () => {
    jobs = createDigestJobs({ torrents });
    const a = await dataset('gone.bin', 10_000);
    await rm(join(a.request.downloadDir, 'gone.bin'));
    jobs.start(a.request);
    await until('the check to fail', () => jobs!.views()[0]?.state === 'failed');
    expect(jobs.views()[0]).toMatchObject({
      state: 'failed',
      error: { code: 'INTEGRITY_IO', message: expect.stringContaining('gone.bin') },
    });
  });

  it('close cancels a long check at the read budget at once and starts nothing after', async () => {
    jobs = createDigestJobs({ torrents });
    // 4 MB at 100 kB/s would read for 40 s.
    const slow = await dataset('slow.bin', 4_000_000, 100_000);
    const next = await dataset('next.bin', 1000);
    jobs.start(slow.request);
    jobs.start(next.request);
    await until('the check to start', () => jobs!.views()[0]?.state === 'running');
    const startedAt = Date.now();
    await jobs.close();
    expect(Date.now() - startedAt).toBeLessThan(2000);
    expect(jobs.views()).toEqual([
      expect.objectContaining({ state: 'failed', error: expect.objectContaining({ code: 'INTEGRITY_CANCELLED' }) }),
    ]);
    jobs.start(next.request);
    expect(jobs.views()).toHaveLength(1);
  });
});
