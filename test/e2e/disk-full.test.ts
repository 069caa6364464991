/**
 * Downloads the daemon stopped on a full disk start again once space is back. A 80 MiB tmpfs,
 * preallocation off (so a write, not the add, finds the disk full), two slow 25 MB downloads;
 * another process fills the disk between two ticks until transmission-daemon stops both with
 * "No space left on device", then frees it: the next tick starts them again and says so, and
 * they complete, hash for hash.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { sha256Tree } from '../../src/testkit/torrents.js';
import { startMirrorWorld, type MirrorWorld } from '../../src/testkit/world.js';
import { startWorldAgent, type TickingAgent } from '../helpers/agent.js';
import { eventually, makeWorkDir, waitForFirstWrites } from '../helpers/world.js';

const run = promisify(execFile);
const MB = 1_000_000;
const PASSWORD = 'e2e-disk-full-3c7';
const ENV = { ...process.env, SMARTNODE_E2E_PASSWORD: PASSWORD };

interface Listed {
  hashString: string;
  name: string;
  labels: string[];
  status: number;
  error: number;
  errorString: string;
  percentDone: number;
}

describe('downloads stopped by a full disk', () => {
  let world: MirrorWorld;
  let work: { dir: string; cleanup: () => Promise<void> };
  let mnt = '';
  let mounted = false;
  let agent: TickingAgent;
  const events: AgentEvent[] = [];
  const owned = async (): Promise<Listed[]> =>
    (
      (
        await rpcCall(world.volunteer, 'torrent-get', {
          fields: ['hashString', 'name', 'labels', 'status', 'error', 'errorString', 'percentDone'],
        })
      )['torrents'] as Listed[]
    ).filter((t) => t.labels.includes('smartnode'));
  const limitSources = async (kBps: number | null): Promise<void> => {
    for (const d of world.datasets) {
      await rpcCall(world.swarm.seeders[0]!, 'torrent-set', {
        ids: [d.infoHash],
        ...(kBps === null ? { uploadLimited: false } : { uploadLimit: kBps, uploadLimited: true }),
      });
    }
  };

  beforeAll(async () => {
    work = await makeWorkDir('e2e-disk-full');
    mnt = join(work.dir, 'fs');
    await mkdir(mnt);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=80m', 'tmpfs', mnt]);
    mounted = true;
    world = await startMirrorWorld({
      id: 154,
      workDir: work.dir,
      seeders: 1,
      rpcPassword: PASSWORD,
      rechokeKicker: true,
      // No preallocation and no write cache: every block received is written as it comes.
      daemonSettings: { preallocation: 0, 'cache-size-mb': 0 },
      datasets: [
        { name: 'alpha', seeders: 1, files: [{ path: 'a.bin', sizeBytes: 25 * MB }] },
        { name: 'beta', seeders: 1, files: [{ path: 'b.bin', sizeBytes: 25 * MB }] },
      ],
    });
    await limitSources(100);
    const downloadDir = join(mnt, 'mirror');
    await mkdir(downloadDir);
    agent = await startWorldAgent(world, work.dir, ENV, {
      storage: `{ downloadDir: ${downloadDir}, maxBytes: 60 MB, minFreeBytes: 5 MB }`,
    });
    agent.runtime.deps.bus.subscribe((e) => events.push(e));
  }, 240_000);

  afterAll(async () => {
    await agent?.close();
    await world?.stop();
    if (mounted) await run('umount', [mnt]).catch(() => run('umount', ['-l', mnt]));
    await work?.cleanup();
  }, 60_000);

  it('starts them again once the disk has room, and they complete', async () => {
    const first = await agent.tick();
    expect(first.actions.map((a) => `${a.kind} ${a.name}`).sort()).toEqual(['add alpha', 'add beta']);
    await waitForFirstWrites(join(mnt, 'mirror'), 2);

    // Between two ticks, another process takes every free byte, then gives it back.
    const filler = join(mnt, 'filler.bin');
    await run('dd', ['if=/dev/zero', `of=${filler}`, 'bs=1M', 'status=none']).catch(() => undefined);
    const stopped = await eventually(
      'the daemon to stop both downloads on the full disk',
      async () => {
        const list = await owned();
        return list.length === 2 && list.every((t) => t.status === 0 && t.error === 3) && list;
      },
      60_000,
    );
    expect(stopped.map((t) => t.errorString)).toEqual([expect.stringMatching(/no space left/i), expect.stringMatching(/no space left/i)]);
    await rm(filler);

    const second = await agent.tick();
    expect(second.actions).toEqual([]);
    const restarted = events.filter((e) => e.type === 'disk-full-restart');
    expect(restarted.map((e) => (e.type === 'disk-full-restart' ? e.name : '')).sort()).toEqual(['alpha', 'beta']);
    expect((await owned()).every((t) => t.status !== 0)).toBe(true);

    await limitSources(null);
    await eventually('both to complete', async () => (await owned()).every((t) => t.percentDone === 1), 90_000);
    for (const name of ['alpha', 'beta']) {
      const d = world.dataset(name);
      expect(await sha256Tree(join(mnt, 'mirror', d.infoHash, name))).toEqual(await sha256Tree(d.dataset.contentPath));
    }
    // Restarted once: a later tick with room has nothing to start.
    await agent.tick();
    expect(events.filter((e) => e.type === 'disk-full-restart')).toHaveLength(2);
  }, 240_000);
});
