/**
 * A live edit that raises storage.minFreeBytes is a policy move, not a full disk: when it
 * would evict more than limits.maxEvictFraction of the mirror, it waits for confirmation like
 * any mass eviction, then evicts the least needed. A real daemon, the mirror on a 50 MiB tmpfs.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import type { PolicyWatcher } from '../../src/agent/policy-watch.js';
import { waitComplete } from '../../src/testkit/complete.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startMirrorWorld, type MirrorWorld } from '../../src/testkit/world.js';
import { startWorldAgent, type TickingAgent } from '../helpers/agent.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const run = promisify(execFile);
const MB = 1_000_000;
const PASSWORD = 'e2e-reserve-edit-7e4';
const ENV = { ...process.env, SMARTNODE_E2E_PASSWORD: PASSWORD };

describe('a live edit raising the disk reserve', () => {
  let world: MirrorWorld;
  let work: { dir: string; cleanup: () => Promise<void> };
  let mnt = '';
  let mounted = false;
  let agent: TickingAgent;
  let watcher: PolicyWatcher;
  const events: AgentEvent[] = [];
  const owned = async () =>
    (
      (await rpcCall(world.volunteer, 'torrent-get', { fields: ['name', 'labels', 'percentDone'] }))['torrents'] as {
        name: string;
        labels: string[];
        percentDone: number;
      }[]
    ).filter((t) => t.labels.includes('smartnode'));
  const storage = (minFree: string) => `{ downloadDir: ${join(mnt, 'mirror')}, maxBytes: 30 MB, minFreeBytes: ${minFree} }`;

  beforeAll(async () => {
    work = await makeWorkDir('e2e-reserve-edit');
    mnt = join(work.dir, 'fs');
    await mkdir(mnt);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=50m', 'tmpfs', mnt]);
    mounted = true;
    await mkdir(join(mnt, 'mirror'));
    world = await startMirrorWorld({
      id: 155,
      workDir: work.dir,
      seeders: 1,
      rpcPassword: PASSWORD,
      rechokeKicker: true,
      datasets: ['one', 'two', 'three'].map((name) => ({ name, seeders: 1, files: [{ path: `${name}.bin`, sizeBytes: 3 * MB }] })),
    });
    agent = await startWorldAgent(world, work.dir, ENV, { storage: storage('5 MB'), extra: 'limits: { maxEvictFraction: 0.5 }\n' });
    agent.runtime.deps.bus.subscribe((e) => events.push(e));
    watcher = agent.runtime.watchPolicy({ debounceMs: 100 });
  }, 240_000);

  afterAll(async () => {
    watcher?.close();
    await agent?.close();
    await world?.stop();
    if (mounted) await run('umount', [mnt]).catch(() => run('umount', ['-l', mnt]));
    await work?.cleanup();
  }, 60_000);

  it('holds the evictions it causes for confirmation, then carries them out', async () => {
    const first = await agent.tick();
    expect(first.actions.filter((a) => a.kind === 'add')).toHaveLength(3);
    const hashes = ['one', 'two', 'three'].map((n) => world.dataset(n).infoHash);
    await waitComplete(world.volunteer, hashes, { what: 'the mirror to complete', timeoutMs: 120_000 });
    expect(await owned()).toHaveLength(3);

    // ~43 MB free; a 49 MB reserve leaves room for one 3 MB torrent of three: two would go.
    const policyPath = join(work.dir, 'policy.yaml');
    await writeFile(policyPath, (await readFile(policyPath, 'utf8')).replace('minFreeBytes: 5 MB', 'minFreeBytes: 49 MB'));
    await eventually('the edit to apply', async () =>
      events.some((e) => e.type === 'policy-reloaded' && e.changed.includes('storage.minFreeBytes')),
    );
    const held = await agent.tick();
    expect(held.actions).toEqual([]);
    expect(held.tickPlan.pendingEviction).toMatchObject({ removes: 2, removeBytes: 6 * MB });
    expect(events.some((e) => e.type === 'eviction-held')).toBe(true);
    expect(await owned()).toHaveLength(3);

    agent.runtime.deps.donated?.guard.confirm();
    const confirmed = await agent.tick();
    expect(confirmed.actions.filter((a) => a.kind === 'remove')).toHaveLength(2);
    await eventually('one torrent to remain', async () => (await owned()).length === 1);
  }, 180_000);
});
