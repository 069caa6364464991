/**
 * Live policy edits against a running agent loop on a real swarm: a typo and a deleted policy
 * file are reported and change nothing; a file caught half-written is not taken; a budget cut that would evict more than
 * limits.maxEvictFraction waits for confirmation, then evicts the least needed torrents.
 */
import { open, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { startAgentLoop, type AgentLoopHandle } from '../../src/agent/loop.js';
import type { PolicyWatcher } from '../../src/agent/policy-watch.js';
import { buildRuntime, type Runtime } from '../../src/cli/runtime.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startMirrorWorld, type MirrorWorld } from '../../src/testkit/world.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const MB = 1_000_000;
const PASSWORD = 'e2e-reload-secret-0b5';
const ENV = { ...process.env, SMARTNODE_E2E_PASSWORD: PASSWORD };

describe('live policy edits on a running agent', () => {
  let world: MirrorWorld;
  let work: { dir: string; cleanup: () => Promise<void> };
  let runtime: Runtime;
  let watcher: PolicyWatcher;
  let loop: AgentLoopHandle;
  const controller = new AbortController();
  const events: AgentEvent[] = [];
  let policyPath: string;
  let policy: (maxBytes: string) => string;

  const owned = async (): Promise<string[]> => {
    const answer = await rpcCall(world.volunteer, 'torrent-get', { fields: ['name', 'labels'] });
    return (answer['torrents'] as { name: string; labels: string[] }[])
      .filter((t) => t.labels.includes('smartnode'))
      .map((t) => t.name)
      .sort();
  };
  const ticksAfter = async (n: number): Promise<void> => {
    const seen = events.filter((e) => e.type === 'tick-finished').length;
    await eventually(`${n} more ticks`, async () => events.filter((e) => e.type === 'tick-finished').length >= seen + n, 30_000, 100);
  };

  beforeAll(async () => {
    work = await makeWorkDir('e2e-reload');
    world = await startMirrorWorld({
      id: 142,
      workDir: work.dir,
      seeders: 3,
      rpcPassword: PASSWORD,
      datasets: [
        { name: 'one-seeder', seeders: 1, files: [{ path: 'a.bin', sizeBytes: 2 * MB }] },
        { name: 'two-seeders', seeders: 2, files: [{ path: 'b.bin', sizeBytes: 2 * MB }] },
        { name: 'three-seeders', seeders: 3, files: [{ path: 'c.bin', sizeBytes: 2 * MB }] },
      ],
    });
    policyPath = join(work.dir, 'policy.yaml');
    policy = (maxBytes) => `version: 1
node: { stateDir: ${join(work.dir, 'state')} }
daemon: { url: ${world.volunteer.rpcUrl}, username: ${world.volunteer.username}, passwordEnv: SMARTNODE_E2E_PASSWORD }
storage:
  downloadDir: ${join(work.dir, 'mirror')}
  maxBytes: ${maxBytes}
  minFreeBytes: 0
feeds: [{ id: demo, url: "${world.feedUrl}", format: rss }]
scoring: { targetSeeders: 5, minSeedTime: 0s }
intervals: { tick: 1s, feedRefresh: 10s, scrape: 10s }
limits: { maxEvictFraction: 0.4 }
`;
    await writeFile(policyPath, policy('10 MB'));
    runtime = await buildRuntime({ policyPath, env: ENV });
    runtime.bus.subscribe((e) => events.push(e));
    watcher = runtime.watchPolicy({ debounceMs: 100 });
    loop = startAgentLoop(runtime.deps, {
      tickIntervalMs: 1000,
      dryRun: false,
      signal: controller.signal,
      readConfig: () => runtime.config,
    });
  }, 180_000);

  afterAll(async () => {
    controller.abort();
    await loop?.done;
    watcher?.close();
    await world?.stop();
    await work?.cleanup();
  }, 60_000);

  it('mirrors the three torrents', async () => {
    await eventually('three owned torrents', async () => (await owned()).length === 3, 60_000);
  }, 90_000);

  it('an invalid edit is reported with file, line and key, and the last good policy stays', async () => {
    await writeFile(policyPath, policy('lots'));
    await eventually('the refused edit', async () => events.some((e) => e.type === 'policy-reload-failed'), 10_000, 50);
    const failed = events.find((e) => e.type === 'policy-reload-failed');
    expect(failed?.type === 'policy-reload-failed' && failed.error.message).toMatch(
      /policy\.yaml:6 storage\.maxBytes: expected a size like "500 GB", got "lots"/,
    );
    await ticksAfter(2);
    expect(runtime.config.planPolicy.maxBytes).toBe(10 * MB);
    expect(await owned()).toHaveLength(3);
  }, 60_000);

  it('a deleted policy file is reported and changes nothing', async () => {
    await rm(policyPath);
    await eventually(
      'the missing file reported',
      async () => events.some((e) => e.type === 'policy-reload-failed' && e.error.code === 'POLICY_NOT_FOUND'),
      10_000,
      50,
    );
    await ticksAfter(2);
    expect(await owned()).toHaveLength(3);
  }, 60_000);

  it('a budget cut evicting more than maxEvictFraction waits for confirmation, then evicts the least needed', async () => {
    await writeFile(policyPath, policy('2.5 MB'));
    await eventually(
      'the edit to apply',
      async () => events.some((e) => e.type === 'policy-reloaded' && e.changed.includes('storage.maxBytes')),
      10_000,
      50,
    );
    await eventually('the eviction to be held', async () => events.some((e) => e.type === 'eviction-held'), 30_000, 100);
    const held = events.find((e) => e.type === 'eviction-held');
    expect(held).toMatchObject({ removes: 2, maxEvictFraction: 0.4 });
    await ticksAfter(2);
    expect(await owned()).toHaveLength(3);

    runtime.deps.donated?.guard.confirm();
    await eventually('the confirmed eviction', async () => (await owned()).length === 1, 30_000);
    expect(await owned()).toEqual(['one-seeder']);
    await ticksAfter(2);
    expect(await owned()).toEqual(['one-seeder']);
  }, 90_000);

  it('a policy file caught half-written is not taken: the whole edit applies once the file settles', async () => {
    const mark = events.length;
    const since = () => events.slice(mark);
    const before = await owned();
    // The budget last, so the file cut mid-number still validates: "maxBytes: 2", two bytes.
    const edited = policy('2.5 MB').replace('feedRefresh: 10s', 'feedRefresh: 11s');
    const storage = edited.slice(edited.indexOf('storage:\n'), edited.indexOf('feeds:'));
    const budgetLast = storage.replace('  maxBytes: 2.5 MB\n', '').concat('  maxBytes: 2.5 MB\n');
    const reordered = `${edited.replace(storage, '')}${budgetLast}`;
    const cut = reordered.indexOf('maxBytes: 2.5 MB') + 'maxBytes: 2'.length;
    const file = await open(policyPath, 'w');
    await file.write(reordered.slice(0, cut));
    await file.sync();
    // The writer pauses mid-file (a slow copy, an editor's two writes): longer than the debounce.
    await new Promise((r) => setTimeout(r, 700));
    expect(runtime.config.planPolicy.maxBytes).toBe(2.5 * MB);
    await file.write(reordered.slice(cut));
    await file.close();
    await eventually(
      'the whole edit to apply',
      async () => since().some((e) => e.type === 'policy-reloaded' && e.changed.includes('intervals.feedRefresh')),
      10_000,
      50,
    );
    expect(since().flatMap((e) => (e.type === 'policy-reloaded' ? e.changed : []))).toEqual(['intervals.feedRefresh']);
    expect(since().some((e) => e.type === 'policy-reload-deferred')).toBe(true);
    expect(since().some((e) => e.type === 'eviction-held' || (e.type === 'action' && e.kind === 'remove'))).toBe(false);
    expect(runtime.config.planPolicy.maxBytes).toBe(2.5 * MB);
    await ticksAfter(2);
    expect(await owned()).toEqual(before);
  }, 60_000);
});
