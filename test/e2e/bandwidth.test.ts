/**
 * Bandwidth caps on a real swarm: with `bandwidth.uploadRate: 1 MB/s`, the volunteer's daemon
 * serves smartnode's torrent to a leecher at 1 MB/s (within 10 %), while the owner's own
 * torrent on the same daemon, to the same leecher at the same time, is not limited.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCappedMirrorAgent, type TickingAgent } from '../helpers/agent.js';
import { rpcCall, type RpcTarget } from '../../src/testkit/rpc.js';
import { createTorrentFile, makeDataset } from '../../src/testkit/torrents.js';
import { startMirrorWorld, type MirrorWorld } from '../../src/testkit/world.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const MB = 1_000_000;
const PASSWORD = 'e2e-bandwidth-secret-7d2';
const ENV = { ...process.env, SMARTNODE_E2E_PASSWORD: PASSWORD };

interface Row {
  hashString: string;
  percentDone: number;
  downloadedEver: number;
  labels: string[];
  uploadLimit: number;
  uploadLimited: boolean;
}

async function list(target: RpcTarget): Promise<Row[]> {
  const answer = await rpcCall(target, 'torrent-get', {
    fields: ['hashString', 'percentDone', 'downloadedEver', 'labels', 'uploadLimit', 'uploadLimited'],
  });
  return answer['torrents'] as Row[];
}

describe('bandwidth caps apply to owned torrents only, on a real swarm', () => {
  let world: MirrorWorld;
  let work: { dir: string; cleanup: () => Promise<void> };
  let ownerHash: string;
  let ownerMetainfo: Uint8Array;
  let agent: TickingAgent;
  const tick = () => agent.tick();

  beforeAll(async () => {
    work = await makeWorkDir('e2e-bandwidth');
    world = await startMirrorWorld({
      id: 141,
      workDir: work.dir,
      seeders: 2,
      rpcPassword: PASSWORD,
      rechokeKicker: true,
      datasets: [{ name: 'mirrored', seeders: 1, files: [{ path: 'm.bin', sizeBytes: 24 * MB }] }],
    });
    // The owner's torrent, seeded by the volunteer's daemon only.
    const ownerDir = join(work.dir, 'owner');
    const ownerSet = await makeDataset({ dir: ownerDir, name: 'owner-big', files: [{ path: 'b.bin', sizeBytes: 60 * MB }], seed: 5 });
    const ownerTorrent = await createTorrentFile({
      contentPath: ownerSet.contentPath,
      announceUrl: world.swarm.tracker.announceUrl,
      outFile: join(work.dir, 'owner.torrent'),
    });
    ownerHash = ownerTorrent.infoHash;
    ownerMetainfo = ownerTorrent.metainfo;
    await rpcCall(world.volunteer, 'torrent-add', { metainfo: Buffer.from(ownerMetainfo).toString('base64'), 'download-dir': ownerDir });
    await eventually(
      "the owner's torrent to verify",
      async () => (await list(world.volunteer)).find((t) => t.hashString === ownerHash)?.percentDone === 1,
    );

    agent = await startCappedMirrorAgent(world, work.dir, ENV);
  }, 240_000);

  afterAll(async () => {
    await world?.stop();
    await work?.cleanup();
  }, 60_000);

  it("mirrors the torrent and caps its upload at 1 MB/s, leaving the owner's torrent unlimited", async () => {
    const result = await tick();
    expect(result.actions.map((a) => `${a.kind} ${a.name}`)).toEqual(['add mirrored']);
    const mirrored = world.dataset('mirrored').infoHash;
    await eventually(
      'the mirror to complete',
      async () => (await list(world.volunteer)).find((t) => t.hashString === mirrored)?.percentDone === 1,
      90_000,
    );
    await tick();
    const rows = await list(world.volunteer);
    expect(rows.find((t) => t.hashString === mirrored)).toMatchObject({ uploadLimited: true, uploadLimit: 1000 });
    expect(rows.find((t) => t.hashString === ownerHash)).toMatchObject({ uploadLimited: false });
  }, 150_000);

  it("a leecher gets the owned torrent at 1 MB/s (within 10 %) while the owner's torrent runs faster", async () => {
    const [source, seeder] = world.swarm.seeders;
    if (source === undefined || seeder === undefined) throw new Error('the world has two seeders');
    const mirrored = world.dataset('mirrored');
    // The only other seed of the mirrored torrent stops: the volunteer's daemon becomes its only
    // source. The second seeder daemon (which never had either torrent) is the leecher.
    await rpcCall(source, 'torrent-stop', { ids: [mirrored.infoHash] });
    const leechDir = join(work.dir, 'swarm', 'leech');
    await mkdir(leechDir, { recursive: true });
    await rpcCall(seeder, 'session-set', { 'download-dir': leechDir });
    for (const metainfo of [mirrored.torrent.metainfo, ownerMetainfo]) {
      await rpcCall(seeder, 'torrent-add', { metainfo: Buffer.from(metainfo).toString('base64'), 'download-dir': leechDir });
    }
    // A daemon that just removed a torrent may queue the next announce for tens of seconds:
    // ask for one now (and again below while nothing flows).
    const hashes = [mirrored.infoHash, ownerHash];
    await rpcCall(seeder, 'torrent-reannounce', { ids: hashes });
    let reannouncedAt = Date.now();
    const samples: { atMs: number; owned: number; owner: number; ownerDone: boolean }[] = [];
    const sample = async (): Promise<void> => {
      const rows = await list(seeder);
      const o = rows.find((t) => t.hashString === mirrored.infoHash);
      const n = rows.find((t) => t.hashString === ownerHash);
      samples.push({ atMs: Date.now(), owned: o?.downloadedEver ?? 0, owner: n?.downloadedEver ?? 0, ownerDone: n?.percentDone === 1 });
    };
    // Wait for the owned transfer to run, then measure it over 10 s.
    await eventually(
      'the owned torrent to start flowing',
      async () => {
        await sample();
        if ((samples[samples.length - 1]?.owned ?? 0) === 0 && Date.now() - reannouncedAt > 6000) {
          await rpcCall(seeder, 'torrent-reannounce', { ids: hashes });
          reannouncedAt = Date.now();
        }
        return (samples[samples.length - 1]?.owned ?? 0) > 2 * MB;
      },
      90_000,
      200,
    ).catch(async (error: unknown) => {
      const peers = await rpcCall(seeder, 'torrent-get', {
        fields: ['hashString', 'status', 'percentDone', 'peersConnected', 'peers', 'trackerStats', 'error', 'errorString', 'downloadDir'],
      });
      const vol = await rpcCall(world.volunteer, 'torrent-get', {
        fields: ['hashString', 'status', 'peersConnected', 'trackerStats', 'uploadLimit', 'uploadLimited'],
      });
      throw new Error(
        `${String(error)}\nleecher: ${JSON.stringify(peers).slice(0, 3000)}\nvolunteer: ` +
          `${JSON.stringify(vol).slice(0, 3000)}\nsamples ${JSON.stringify(samples.slice(-3))}`,
      );
    });
    // Measure over 16 s in windows of 5 s or more. The cap is a ceiling, so no window may pass
    // 1.1 MB/s; a loaded machine can slow any one window, so the best window must reach 0.9 MB/s.
    const from = samples.length - 1;
    const until = Date.now() + 16_000;
    while (Date.now() < until) {
      await new Promise((r) => setTimeout(r, 500));
      await sample();
    }
    const windows: number[] = [];
    for (let i = from; i < samples.length; i++) {
      const a = samples[i]!;
      const b = samples.slice(i + 1).find((s) => s.atMs - a.atMs >= 5000);
      if (b !== undefined) windows.push((b.owned - a.owned) / ((b.atMs - a.atMs) / 1000));
    }
    if (windows.length === 0) throw new Error('no 5 s window was sampled');
    const ownedRate = Math.max(...windows);
    expect(ownedRate).toBeGreaterThan(0.9 * MB);
    expect(ownedRate).toBeLessThan(1.1 * MB);

    // The owner's torrent: its best rate over any second or more while it ran (it may already
    // be done). Its start is slow (the rechoke timer), so a whole-run average would say more
    // about the machine's load than about a cap.
    if (!samples.some((s) => s.owner > 0)) throw new Error("the owner's torrent never started");
    let ownerRate = 0;
    for (let i = 0; i < samples.length; i++) {
      const a = samples[i]!;
      const b = samples.slice(i + 1).find((s) => s.atMs - a.atMs >= 1000);
      if (b !== undefined && !a.ownerDone) ownerRate = Math.max(ownerRate, (b.owner - a.owner) / ((b.atMs - a.atMs) / 1000));
    }
    console.info(
      `bandwidth e2e: owned torrent ${Math.round(ownedRate)} B/s to the leecher (cap 1,000,000), ` +
        `owner's torrent ${Math.round(ownerRate)} B/s`,
    );
    expect(ownerRate).toBeGreaterThan(1.5 * MB);
    const volunteerRows = await list(world.volunteer);
    expect(volunteerRows.find((t) => t.hashString === ownerHash)).toMatchObject({ uploadLimited: false });
  }, 150_000);
});
