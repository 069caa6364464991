import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FIXED_NOW_MS, GB, HOUR_MS, aCandidate, aCounts, aHeld, hashOf } from '../plan/testing.js';
import { MAX_BASELINES, encodeDecideMemory } from './decide-memory-codec.js';
import { initialDecideMemory, observePopulation, type DecideMemory } from './population.js';
import { DECIDE_MEMORY_NAME, openAgentState } from './state.js';

const swarm = (n: number, seeders: number, leechers: number, atMs: number) =>
  aCandidate({ infoHash: hashOf(n), sizeBytes: GB, counts: aCounts({ seeders, leechers, observedAtMs: atMs }) });

/** A memory that learnt something: about 8 competing nodes, and a torrent backing off after a stall. */
function learnt(): DecideMemory {
  const args = { nodeId: 'node-a', targetSeeders: 5, slowStartAdds: 2 };
  const t0 = FIXED_NOW_MS;
  const first = observePopulation(initialDecideMemory().herd, {
    ...args,
    candidates: [1, 2, 3, 4].map((n) => swarm(n, 1, 0, t0)),
    held: [],
    nowMs: t0,
  });
  const t1 = t0 + HOUR_MS;
  const second = observePopulation(first.next, {
    ...args,
    candidates: [swarm(1, 1, 3, t1), swarm(2, 1, 2, t1), swarm(3, 1, 2, t1), swarm(4, 1, 2, t1)],
    held: [aHeld({ infoHash: hashOf(1), addedAtMs: t0 + 1, leftUntilDoneBytes: GB })],
    nowMs: t1 + 1,
  });
  return {
    bandwidthSummary: null,
    herd: second.next,
    availability: {
      progress: new Map([[hashOf(1), { leftBytes: GB, sinceMs: t0 + 1 }]]),
      backoffUntil: new Map([[hashOf(9), t1 + 72 * HOUR_MS]]),
      observedAtMs: t1 + 1,
    },
  };
}

describe("the decisions' memory in the agent state", () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('survives a restart: the measure of others beside its picks, the usual swarm levels and gates, and a stall backoff', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-decide-'));
    const memory = learnt();
    expect(memory.herd.competitors).toBeGreaterThan(1);
    openAgentState(dir).writeDecideMemory(memory);
    expect((await stat(join(dir, DECIDE_MEMORY_NAME))).mode & 0o777).toBe(0o600);
    // A new process: a new store over the same directory.
    const restored = openAgentState(dir).readDecideMemory();
    expect(restored.warning).toBeNull();
    expect(restored.memory.herd.competitors).toBe(memory.herd.competitors);
    expect(restored.memory.availability.backoffUntil.get(hashOf(9))).toBe(FIXED_NOW_MS + 73 * HOUR_MS);
    expect(restored.memory).toEqual(memory);
  });

  it('a first start has a fresh memory and no warning', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-decide-'));
    expect(openAgentState(dir).readDecideMemory()).toEqual({ memory: initialDecideMemory(), warning: null });
  });

  it('a damaged or older memory falls back to a fresh one, with a warning naming the file and why', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-decide-'));
    const store = openAgentState(dir);
    const path = join(dir, DECIDE_MEMORY_NAME);
    await writeFile(path, '{"version": 1, "herd": tru');
    const damaged = store.readDecideMemory();
    expect(damaged.memory).toEqual(initialDecideMemory());
    expect(damaged.warning).toMatch(new RegExp(`${DECIDE_MEMORY_NAME} is unusable \\(not JSON\\)`));
    await writeFile(path, JSON.stringify({ ...encodeDecideMemory(learnt()), version: 0 }));
    expect(store.readDecideMemory().warning).toMatch(/unusable \(version: /);
    const bad = encodeDecideMemory(learnt());
    bad.herd.competitors = 0.5;
    await writeFile(path, JSON.stringify(bad));
    expect(store.readDecideMemory().warning).toMatch(/herd\.competitors/);
    // The next write replaces it.
    store.writeDecideMemory(learnt());
    expect(store.readDecideMemory().warning).toBeNull();
  });

  it('is bounded: the usual levels of the most recently counted swarms only', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-decide-'));
    const baselines = new Map(
      Array.from({ length: MAX_BASELINES + 5_000 }, (_, i) => [
        hashOf(i + 1),
        {
          leechers: 1,
          copies: 2,
          excessLeechers: 0,
          excessCopies: 0,
          observedAtMs: FIXED_NOW_MS + i,
          gate: 0,
          excessSinceMs: 0,
        },
      ]),
    );
    const memory = { ...initialDecideMemory(), herd: { ...initialDecideMemory().herd, baselines } };
    const store = openAgentState(dir);
    store.writeDecideMemory(memory);
    const kept = store.readDecideMemory().memory.herd.baselines;
    expect(kept.size).toBe(MAX_BASELINES);
    expect(kept.has(hashOf(MAX_BASELINES + 5_000))).toBe(true);
    expect(kept.has(hashOf(1))).toBe(false);
    expect((await readFile(join(dir, DECIDE_MEMORY_NAME))).length).toBeLessThan(2_500_000);
  });
});
