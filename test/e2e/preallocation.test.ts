/**
 * The disk reserve counts each unwritten byte once. With Transmission's default preallocation
 * ("fast", fallocate on Linux) a download's files take their whole size from free space at the
 * first write, so the bytes still to come are already out of free space; with preallocation
 * off they are not, and the reserve must still see them. Two slow 30 MB downloads on a
 * 100 MiB tmpfs, a 25 MB reserve: neither mode evicts while the disk has room, and both evict
 * one torrent once another process really fills the disk.
 */
import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startMirrorWorld, type MirrorWorld } from '../../src/testkit/world.js';
import { startWorldAgent, type TickingAgent } from '../helpers/agent.js';
import { eventually, makeWorkDir, waitForFirstWrites } from '../helpers/world.js';

const run = promisify(execFile);
const MB = 1_000_000;
const PASSWORD = 'e2e-prealloc-9b2';
const ENV = { ...process.env, SMARTNODE_E2E_PASSWORD: PASSWORD };

describe.each([
  { mode: 'fast (the default)', preallocation: 1, id: 152 },
  { mode: 'off', preallocation: 0, id: 153 },
])('the reserve with preallocation $mode', ({ preallocation, id }) => {
  let world: MirrorWorld;
  let work: { dir: string; cleanup: () => Promise<void> };
  let mnt = '';
  let mounted = false;
  let agent: TickingAgent;
  const freeBytes = async (): Promise<number> => {
    const { stdout } = await run('df', ['--output=avail', '-B1', mnt]);
    return Number(stdout.trim().split('\n')[1]);
  };
  const owned = async () =>
    (
      (await rpcCall(world.volunteer, 'torrent-get', { fields: ['name', 'labels'] }))['torrents'] as { name: string; labels: string[] }[]
    ).filter((t) => t.labels.includes('smartnode'));

  beforeAll(async () => {
    work = await makeWorkDir(`e2e-prealloc-${preallocation}`);
    mnt = join(work.dir, 'fs');
    await mkdir(mnt);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=100m', 'tmpfs', mnt]);
    mounted = true;
    world = await startMirrorWorld({
      id,
      workDir: work.dir,
      seeders: 1,
      rpcPassword: PASSWORD,
      rechokeKicker: true,
      // No write cache: a block received is a block on disk.
      daemonSettings: { preallocation, 'cache-size-mb': 0 },
      datasets: [
        { name: 'alpha', seeders: 1, files: [{ path: 'a.bin', sizeBytes: 30 * MB }] },
        { name: 'beta', seeders: 1, files: [{ path: 'b.bin', sizeBytes: 30 * MB }] },
      ],
    });
    // Slow sources (20 kB/s each): the downloads stay incomplete for the whole test.
    for (const d of world.datasets) {
      await rpcCall(world.swarm.seeders[0]!, 'torrent-set', { ids: [d.infoHash], uploadLimit: 20, uploadLimited: true });
    }
    const downloadDir = join(mnt, 'mirror');
    await mkdir(downloadDir);
    agent = await startWorldAgent(world, work.dir, ENV, {
      storage: `{ downloadDir: ${downloadDir}, maxBytes: 80 MB, minFreeBytes: 25 MB }`,
    });
  }, 240_000);

  afterAll(async () => {
    await agent?.close();
    await world?.stop();
    if (mounted) await run('umount', [mnt]).catch(() => run('umount', ['-l', mnt]));
    await work?.cleanup();
  }, 60_000);

  it('adds both and, while they download, evicts nothing: their bytes are counted once', async () => {
    const first = await agent.tick();
    expect(first.actions.map((a) => `${a.kind} ${a.name}`).sort()).toEqual(['add alpha', 'add beta']);
    await waitForFirstWrites(join(mnt, 'mirror'), 2);
    const free = await freeBytes();
    // Fast preallocation took both files whole; without it only what arrived is gone.
    if (preallocation === 0) expect(free).toBeGreaterThan(95 * MB);
    else expect(free).toBeLessThan(50 * MB);

    const second = await agent.tick();
    expect(second.actions.filter((a) => a.kind === 'remove')).toEqual([]);
    expect(second.tickPlan.reserveBreached).toBe(false);
    const { pendingWriteBytes } = second.plan.capacity;
    if (preallocation === 0) expect(pendingWriteBytes).toBeGreaterThan(55 * MB);
    else expect(pendingWriteBytes).toBeLessThan(MB);
    expect(await owned()).toHaveLength(2);
  }, 120_000);

  it('evicts one torrent once another process fills the disk below the reserve', async () => {
    await run('dd', ['if=/dev/zero', `of=${join(mnt, 'filler.bin')}`, 'bs=1M', 'count=30', 'status=none']);
    const third = await agent.tick();
    expect(third.tickPlan.reserveBreached).toBe(true);
    expect(third.actions.filter((a) => a.kind === 'remove')).toHaveLength(1);
    expect(third.actions.filter((a) => a.kind === 'add')).toEqual([]);
    await eventually('one torrent to remain', async () => (await owned()).length === 1);
  }, 120_000);
});
