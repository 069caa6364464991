/**
 * The monthly transfer cap stops owned torrents with a per-torrent limit of 0 kB/s (src/plan/
 * bandwidth.ts). This proves, on a real swarm, that transmission-daemon 3.00 sends nothing at
 * that limit (it is not "unlimited"), and that lifting the limit resumes the transfer.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startSwarm, type SeededTorrent, type Swarm } from '../../src/testkit/swarm.js';
import { makeDataset } from '../../src/testkit/torrents.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

describe('a 0 kB/s upload limit stops a transfer on a real transmission-daemon', () => {
  let swarm: Swarm;
  let work: { dir: string; cleanup: () => Promise<void> };
  let torrent: SeededTorrent;
  const leecherBytes = async (): Promise<number> => {
    const answer = await rpcCall(swarm.daemons[0]!, 'torrent-get', { ids: [torrent.infoHash], fields: ['downloadedEver'] });
    return Number((answer['torrents'] as { downloadedEver: number }[])[0]?.downloadedEver ?? 0);
  };
  const limitUpload = (kBps: number | null) =>
    rpcCall(swarm.seeders[0]!, 'torrent-set', {
      ids: [torrent.infoHash],
      ...(kBps === null ? { uploadLimited: false } : { uploadLimit: kBps, uploadLimited: true }),
    });

  beforeAll(async () => {
    work = await makeWorkDir('e2e-zero-cap');
    swarm = await startSwarm({ id: 143, seeders: 1, extraDaemons: 1, workDir: work.dir });
    const dataset = await makeDataset({ dir: join(work.dir, 'source'), name: 'capped', files: [{ path: 'c.bin', sizeBytes: 60_000_000 }] });
    torrent = await swarm.seedTorrent([0], dataset);
  }, 120_000);

  afterAll(async () => {
    await swarm?.stop();
    await work?.cleanup();
  }, 60_000);

  it('sends nothing at 0 kB/s and resumes when the limit is lifted', async () => {
    // Flowing first (slowly, so the transfer is still running when the cap hits).
    await limitUpload(500);
    await rpcCall(swarm.daemons[0]!, 'torrent-add', {
      metainfo: Buffer.from(torrent.metainfo).toString('base64'),
      'download-dir': join(work.dir, 'leech'),
    });
    await eventually('the transfer to flow', async () => (await leecherBytes()) > 1_000_000, 90_000, 500);
    await limitUpload(0);
    // Let in-flight blocks land, then nothing more may arrive.
    await new Promise((r) => setTimeout(r, 2000));
    const atCap = await leecherBytes();
    const until = Date.now() + 8000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 1000));
      expect(await leecherBytes()).toBe(atCap);
    }
    await limitUpload(null);
    await eventually('the transfer to resume', async () => (await leecherBytes()) > atCap + 1_000_000, 60_000, 500);
  }, 150_000);
});
