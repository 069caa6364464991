/**
 * A live edit of storage.downloadDir moves the data the agent owns into the new directory
 * (torrent-set-location with move), so the budget keeps being enforced there: a shrunk budget
 * then removes what it must, data and all. A real volunteer daemon mirroring real bytes from a
 * real swarm.
 */
import { existsSync } from 'node:fs';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import type { PolicyWatcher } from '../../src/agent/policy-watch.js';
import { waitComplete } from '../../src/testkit/complete.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startMirrorWorld, type MirrorWorld } from '../../src/testkit/world.js';
import { startWorldAgent, type TickingAgent } from '../helpers/agent.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const MB = 1_000_000;
const PASSWORD = 'e2e-download-dir-3c1';
const ENV = { ...process.env, SMARTNODE_E2E_PASSWORD: PASSWORD };

describe('a live edit of the download directory', () => {
  let world: MirrorWorld;
  let work: { dir: string; cleanup: () => Promise<void> };
  let agent: TickingAgent;
  let watcher: PolicyWatcher;
  const events: AgentEvent[] = [];
  const owned = async () =>
    (
      (await rpcCall(world.volunteer, 'torrent-get', { fields: ['hashString', 'labels', 'percentDone', 'downloadDir', 'error'] }))[
        'torrents'
      ] as { hashString: string; labels: string[]; percentDone: number; downloadDir: string; error: number }[]
    ).filter((t) => t.labels.includes('smartnode'));
  const names = ['one', 'two', 'three'];
  /** Regular files below `dir` with their sizes (none when it does not exist). */
  const filesUnder = async (dir: string): Promise<{ path: string; sizeBytes: number }[]> => {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    const files = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
    return Promise.all(files.map(async (path) => ({ path, sizeBytes: (await stat(path)).size })));
  };

  beforeAll(async () => {
    work = await makeWorkDir('e2e-download-dir');
    world = await startMirrorWorld({
      id: 163,
      workDir: work.dir,
      seeders: 1,
      rpcPassword: PASSWORD,
      rechokeKicker: true,
      datasets: names.map((name) => ({ name, seeders: 1, files: [{ path: `${name}.bin`, sizeBytes: 2 * MB }] })),
    });
    agent = await startWorldAgent(world, work.dir, ENV, {
      storage: `{ downloadDir: ${join(work.dir, 'old')}, maxBytes: 30 MB, minFreeBytes: 0 }`,
      extra: 'limits: { maxEvictFraction: 1 }\n',
    });
    agent.runtime.deps.bus.subscribe((e) => events.push(e));
    watcher = agent.runtime.watchPolicy({ debounceMs: 100 });
  }, 240_000);

  afterAll(async () => {
    watcher?.close();
    await agent?.close();
    await world?.stop();
    await work?.cleanup();
  }, 60_000);

  const edit = async (from: string, to: string, key: string) => {
    const policyPath = join(work.dir, 'policy.yaml');
    await writeFile(policyPath, (await readFile(policyPath, 'utf8')).replace(from, to));
    await eventually(`the edit of ${key} to apply`, async () =>
      events.some((e) => e.type === 'policy-reloaded' && e.changed.includes(key)),
    );
  };

  it('moves the owned data into the new directory, and removals there succeed', async () => {
    const first = await agent.tick();
    expect(first.actions.filter((a) => a.kind === 'add')).toHaveLength(3);
    const hashes = names.map((n) => world.dataset(n).infoHash);
    await waitComplete(world.volunteer, hashes, { what: 'the mirror to complete', timeoutMs: 120_000 });

    const newDir = join(work.dir, 'new');
    await edit(`downloadDir: ${join(work.dir, 'old')}`, `downloadDir: ${newDir}`, 'storage.downloadDir');
    const moved = await agent.tick();
    expect(moved.failed).toBe(0);
    const rows = await owned();
    expect(rows.map((r) => r.downloadDir).sort()).toEqual(hashes.map((h) => join(newDir, h)).sort());
    for (const r of rows) expect(r).toMatchObject({ percentDone: 1, error: 0 });
    // Every byte is in the new directory, none left in the old one.
    expect(await filesUnder(join(work.dir, 'old'))).toEqual([]);
    expect((await filesUnder(newDir)).map((f) => f.sizeBytes)).toEqual([2 * MB, 2 * MB, 2 * MB]);
    expect(events.filter((e) => e.type === 'ownership' && e.op === 'move')).toHaveLength(3);

    // The budget is enforced in the new directory: two of three go, data and all.
    await edit('maxBytes: 30 MB', 'maxBytes: 3 MB', 'storage.maxBytes');
    const shrunk = await agent.tick();
    expect(shrunk.actions.filter((a) => a.kind === 'remove')).toHaveLength(2);
    expect(events.filter((e) => e.type === 'action-failed')).toEqual([]);
    await eventually('one torrent to remain', async () => (await owned()).length === 1);
    const left = (await owned())[0]?.hashString;
    for (const h of hashes.filter((x) => x !== left)) {
      await eventually(`the data of ${h} to be deleted`, async () => !existsSync(join(newDir, h)));
    }
  }, 240_000);
});
