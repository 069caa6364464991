/**
 * The disk reserve, for real: smartnode's download directory sits on a 200 MB tmpfs the test
 * mounts, next to the owner's own seeding torrent. Once the agent has mirrored, another
 * process fills the filesystem below storage.minFreeBytes; the next tick adds nothing and
 * evicts the owned torrent the swarm needs least, exactly enough to restore the reserve, and
 * every byte that is not smartnode's (the owner's data, the filler) survives, hash for hash.
 */
import { execFile } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTickingAgent, type TickingAgent } from '../helpers/agent.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { createTorrentFile, makeDataset, sha256File, sha256Tree } from '../../src/testkit/torrents.js';
import { startMirrorWorld, type MirrorWorld } from '../../src/testkit/world.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const run = promisify(execFile);
const MB = 1_000_000;
const PASSWORD = 'e2e-disk-secret-41c';
const ENV = { ...process.env, SMARTNODE_E2E_PASSWORD: PASSWORD };

describe('the disk reserve on a small real filesystem', () => {
  let world: MirrorWorld;
  let work: { dir: string; cleanup: () => Promise<void> };
  let mnt: string;
  let mounted = false;
  let ownerTree: Record<string, string>;
  let ownerDir: string;
  let ownerHash: string;
  let downloadDir: string;
  let agent: TickingAgent;
  const tick = () => agent.tick();
  const freeBytes = async (): Promise<number> => {
    const { stdout } = await run('df', ['--output=avail', '-B1', mnt]);
    return Number(stdout.trim().split('\n')[1]);
  };
  const listVolunteer = async () =>
    (await rpcCall(world.volunteer, 'torrent-get', { fields: ['hashString', 'name', 'percentDone', 'labels'] }))['torrents'] as {
      hashString: string;
      name: string;
      percentDone: number;
      labels: string[];
    }[];

  beforeAll(async () => {
    work = await makeWorkDir('e2e-disk');
    mnt = join(work.dir, 'fs');
    await mkdir(mnt);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=200m', 'tmpfs', mnt]);
    mounted = true;
    world = await startMirrorWorld({
      id: 140,
      workDir: work.dir,
      seeders: 3,
      rpcPassword: PASSWORD,
      rechokeKicker: true,
      datasets: [
        { name: 'lonely', seeders: 1, files: [{ path: 'l.bin', sizeBytes: 20 * MB }] },
        { name: 'scarce', seeders: 1, files: [{ path: 's.bin', sizeBytes: 20 * MB }] },
        { name: 'fair', seeders: 2, files: [{ path: 'f.bin', sizeBytes: 20 * MB }] },
        { name: 'crowded', seeders: 3, files: [{ path: 'c.bin', sizeBytes: 20 * MB }] },
      ],
    });
    // The owner's own torrent, seeding from the same filesystem.
    ownerDir = join(mnt, 'owner');
    const ownerSet = await makeDataset({ dir: ownerDir, name: 'owner-set', files: [{ path: 'o.bin', sizeBytes: 5 * MB }], seed: 77 });
    const ownerTorrent = await createTorrentFile({ contentPath: ownerSet.contentPath, outFile: join(work.dir, 'owner.torrent') });
    await rpcCall(world.volunteer, 'torrent-add', {
      metainfo: Buffer.from(ownerTorrent.metainfo).toString('base64'),
      'download-dir': ownerDir,
    });
    ownerHash = ownerTorrent.infoHash;
    await eventually(
      "the owner's torrent to verify",
      async () => (await listVolunteer()).find((t) => t.hashString === ownerHash)?.percentDone === 1,
    );
    ownerTree = await sha256Tree(ownerSet.contentPath);

    downloadDir = join(mnt, 'mirror');
    await mkdir(downloadDir, { recursive: true });
    const policyPath = join(work.dir, 'policy.yaml');
    await writeFile(
      policyPath,
      `version: 1
node: { stateDir: ${join(work.dir, 'state')} }
daemon: { url: ${world.volunteer.rpcUrl}, username: ${world.volunteer.username}, passwordEnv: SMARTNODE_E2E_PASSWORD }
storage: { downloadDir: ${downloadDir}, maxBytes: 150 MB, minFreeBytes: 30 MB }
feeds: [{ id: demo, url: "${world.feedUrl}", format: rss }]
scoring: { targetSeeders: 4, minSeedTime: 0s }
intervals: { tick: 5s, feedRefresh: 10s, scrape: 10s }
`,
    );
    agent = await startTickingAgent(policyPath, ENV);
  }, 240_000);

  afterAll(async () => {
    await world?.stop();
    if (mounted) await run('umount', [mnt]).catch(() => run('umount', ['-l', mnt]));
    await work?.cleanup();
  }, 60_000);

  it('mirrors all four 20 MB torrents within the 150 MB budget', async () => {
    const result = await tick();
    expect(
      result.actions
        .filter((a) => a.kind === 'add')
        .map((a) => a.name)
        .sort(),
    ).toEqual(['crowded', 'fair', 'lonely', 'scarce']);
    await eventually(
      'the four torrents to finish downloading',
      async () => {
        const owned = (await listVolunteer()).filter((t) => t.labels.includes('smartnode'));
        return owned.length === 4 && owned.every((t) => t.percentDone === 1);
      },
      120_000,
    );
    expect(await freeBytes()).toBeGreaterThan(100 * MB);
  }, 180_000);

  it('when another process fills the disk below the reserve, ' +
    'evicts only its own least needed torrent until the reserve is back', async () => {
    // ~200 MB - 5 (owner) - 80 (mirror) = ~115 MB free; the filler leaves ~20 MB < 30 MB reserve.
    const filler = join(mnt, 'filler.bin');
    const before = await freeBytes();
    await run('dd', ['if=/dev/urandom', `of=${filler}`, 'bs=1M', `count=${Math.floor((before - 20 * MB) / (1024 * 1024))}`, 'status=none']);
    const fillerHash = await sha256File(filler);
    expect(await freeBytes()).toBeLessThan(30 * MB);

    const result = await tick();
    expect(result.actions.filter((a) => a.kind === 'add')).toEqual([]);
    // Least needed first: crowded (3 seeders besides us) goes; one 20 MB torrent is enough.
    expect(result.actions.filter((a) => a.kind === 'remove').map((a) => a.name)).toEqual(['crowded']);
    expect(result.plan.capacity.limitedBy).toBe('disk');
    await eventually('the reserve to be restored', async () => (await freeBytes()) >= 30 * MB, 15_000);

    const list = await listVolunteer();
    expect(
      list
        .filter((t) => t.labels.includes('smartnode'))
        .map((t) => t.name)
        .sort(),
    ).toEqual(['fair', 'lonely', 'scarce']);
    expect(list.find((t) => t.hashString === ownerHash)).toMatchObject({ percentDone: 1, labels: [] });
    expect(await sha256Tree(join(ownerDir, 'owner-set'))).toEqual(ownerTree);
    expect(await sha256File(filler)).toBe(fillerHash);
    await expect(stat(join(downloadDir, world.dataset('crowded').infoHash))).rejects.toThrow();
  }, 120_000);

  it('does not add a torrent "to see" while it would not fit beside the reserve', async () => {
    const result = await tick();
    expect(result.actions).toEqual([]);
    const crowded = result.plan.decisions.find((d) => d.name === 'crowded');
    expect(crowded?.action).toBe('skip');
    // It would not fit beside the reserve. (Its reason may also be WELL_SEEDED: a scrape right
    // after our removal can still count our copy until the tracker has our "stopped".)
    expect(result.plan.capacityBytes - result.plan.committedBytes).toBeLessThan(20 * MB);
    expect(['NO_DISK_BUDGET', 'LARGER_THAN_BUDGET', 'WELL_SEEDED']).toContain(crowded?.reason.code);
    expect(result.plan.capacityBytes).toBeLessThan(80 * MB);
  }, 60_000);
});
