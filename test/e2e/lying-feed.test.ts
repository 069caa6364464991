/**
 * A feed that under-declares a size must not break the budget: the .torrent's real size is
 * known before torrent-add, and an add planned at a smaller size is refused, so the daemon
 * never holds more than the budget; the next plan weighs the torrent at its real size.
 * Real daemons and tracker; an Academic Torrents CSV served over loopback lists one size 20x too small.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { rpcCall } from '../../src/testkit/rpc.js';
import { startMirrorWorld, type MirrorWorld } from '../../src/testkit/world.js';
import { startWorldAgent, type TickingAgent } from '../helpers/agent.js';
import { makeWorkDir } from '../helpers/world.js';

const MiB = 1024 * 1024;
const CSV_PATH = '/collection/lying.csv';
const PASSWORD = 'e2e-lying-feed-5d1';
const ENV = { ...process.env, SMARTNODE_E2E_PASSWORD: PASSWORD };

describe('a feed that lists a torrent at a twentieth of its size', () => {
  let world: MirrorWorld;
  let work: { dir: string; cleanup: () => Promise<void> };
  let agent: TickingAgent;
  const events: AgentEvent[] = [];
  const held = async () =>
    (
      (await rpcCall(world.volunteer, 'torrent-get', { fields: ['hashString', 'name', 'sizeWhenDone'] }))['torrents'] as {
        hashString: string;
        name: string;
        sizeWhenDone: number;
      }[]
    ).map((t) => t.name);

  beforeAll(async () => {
    work = await makeWorkDir('e2e-lying-feed');
    world = await startMirrorWorld({
      id: 151,
      workDir: work.dir,
      seeders: 1,
      rpcPassword: PASSWORD,
      datasets: [
        { name: 'liar', seeders: 1, files: [{ path: 'l.bin', sizeBytes: 20 * MiB }] },
        { name: 'honest', seeders: 1, files: [{ path: 'h.bin', sizeBytes: 2 * MiB }] },
      ],
    });
    // An Academic Torrents collection CSV: sizes and swarm counts, so nothing makes the agent
    // fetch a .torrent before it plans (an RSS item without trackers would).
    const rows = world.datasets.map((d) => {
      const listed = d.spec.name === 'liar' ? d.dataset.totalBytes / 20 : d.dataset.totalBytes;
      return `Dataset,${d.spec.name},${d.infoHash},${listed},1,0,1,1700000000,1700000000`;
    });
    const header = 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED';
    world.feedServer.setRoute(CSV_PATH, { body: [header, ...rows, ''].join('\n'), contentType: 'text/csv' });
    agent = await startWorldAgent(world, work.dir, ENV, {
      storage: `{ downloadDir: ${join(work.dir, 'mirror')}, maxBytes: 6 MiB, minFreeBytes: 0 }`,
      feed: `{ id: demo, url: "${world.feedServer.url}${CSV_PATH}", format: at-csv }`,
    });
    agent.runtime.deps.bus.subscribe((e) => events.push(e));
  }, 240_000);

  afterAll(async () => {
    await agent?.close();
    await world?.stop();
    await work?.cleanup();
  }, 60_000);

  it('refuses the add at torrent-add time, saying the real and the planned size', async () => {
    const first = await agent.tick();
    // The plan believed the feed: 1 MiB fits the 6 MiB budget.
    const planned = first.actions.find((a) => a.name === 'liar');
    expect(planned).toMatchObject({ kind: 'add', sizeBytes: MiB });
    const failure = events.find((e) => e.type === 'action-failed' && e.name === 'liar');
    expect(failure).toMatchObject({ error: { code: 'TORRENT_SIZE_MISMATCH', retryable: true } });
    expect(failure?.type === 'action-failed' && failure.error.message).toContain('holds 21 MB but was planned at 1 MB');
    expect(await held()).toEqual(['honest']);
    expect(agent.runtime.deps.state.ownedRecord(world.dataset('liar').infoHash)).toBeUndefined();
  }, 120_000);

  it('plans it at its real size from then on, and never adds it into the budget', async () => {
    const second = await agent.tick();
    const liar = second.plan.decisions.find((d) => d.name === 'liar');
    expect(liar).toMatchObject({ action: 'skip', sizeBytes: 20 * MiB, reason: { code: 'LARGER_THAN_BUDGET' } });
    expect(second.actions.filter((a) => a.name === 'liar')).toEqual([]);
    expect(second.plan.committedBytes).toBeLessThanOrEqual(6 * MiB);
    expect(await held()).toEqual(['honest']);
  }, 120_000);
});
