/**
 * The disk reserve counts only what will be written to the download filesystem. smartnode's
 * directory sits on a 64 MB tmpfs the test mounts; a real transmission-daemon 3.00 on
 * loopback holds the agent's three small downloads (no peers: they never progress). The
 * owner's paused 2 GiB download on another filesystem must not look like a full mirror disk
 * (no eviction, no reserve alarm); the owner's paused 60 MB download on the SAME filesystem
 * really will fill it, and the alarm then names that torrent and its bytes.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { aTorrentFile, expectedInfoHash } from '../../src/feeds/testing.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { addTorrent } from '../../src/testkit/rpc.js';
import { startTickingAgent, type TickingAgent } from '../helpers/agent.js';
import { makeWorkDir } from '../helpers/world.js';

const run = promisify(execFile);
const MB = 1_000_000;
const PASSWORD = 'fs-secret-93';
const HEADER = 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED';

function torrent(name: string, length: number) {
  const spec = { name, length, pieceLength: 4 * 1024 * 1024, announce: 'http://127.0.0.1:1/announce' };
  return { name, length, hash: expectedInfoHash(spec), metainfo: aTorrentFile(spec) };
}

describe('the disk reserve charges only downloads on the download filesystem', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let mnt: string;
  let mounted = false;
  let daemon: DaemonProcess;
  let feeds: FeedServer;
  let agent: TickingAgent;
  const events: AgentEvent[] = [];
  const ours = ['m1', 'm2', 'm3'].map((n) => torrent(n, 1 * MB));

  beforeAll(async () => {
    work = await makeWorkDir('disk-fs');
    mnt = join(work.dir, 'fs');
    await mkdir(mnt);
    await run('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mnt]);
    mounted = true;
    await mkdir(join(mnt, 'mirror'));
    daemon = await startDaemonProcess({
      configDir: join(work.dir, 'daemon'),
      downloadDir: join(work.dir, 'owner-downloads'),
      bindAddress: '127.0.0.1',
      rpcPort: await findFreePort(),
      peerPort: await findFreePort(),
      username: 'volunteer',
      password: PASSWORD,
    });
    feeds = await startFeedServer({ host: '127.0.0.1' });
    for (const t of ours) feeds.setTorrent(t.hash, t.metainfo);
    feeds.setRoute('/c.csv', {
      contentType: 'text/csv',
      body: `${[HEADER, ...ours.map((t) => `Dataset,${t.name},${t.hash},${t.length},0,2,3,1700000000,1700000000`)].join('\n')}\n`,
    });
    const policy = join(work.dir, 'policy.yaml');
    await writeFile(
      policy,
      `version: 1
node: { stateDir: ${join(work.dir, 'state')} }
daemon: { url: ${daemon.rpcUrl}, username: volunteer, passwordEnv: SN_FS_PASSWORD }
storage: { downloadDir: ${join(mnt, 'mirror')}, maxBytes: 40 MB, minFreeBytes: 16 MB }
feeds: [{ id: main, url: "${feeds.url}/c.csv" }]
scoring: { minSeedTime: 0s }
scrape: { enabled: false }
`,
    );
    agent = await startTickingAgent(policy, { ...process.env, SN_FS_PASSWORD: PASSWORD });
    agent.runtime.deps.bus.subscribe((e) => events.push(e));
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await feeds?.close();
    if (mounted) await run('umount', [mnt]).catch(() => run('umount', ['-l', mnt]));
    await work?.cleanup();
  });

  it('mirrors, then keeps its mirror when the owner starts a 2 GiB download on another disk', async () => {
    const first = await agent.tick();
    expect(
      first.actions
        .filter((a) => a.kind === 'add')
        .map((a) => a.name)
        .sort(),
    ).toEqual(['m1', 'm2', 'm3']);

    const big = torrent('owner-elsewhere', 2 * 1024 * 1024 * 1024);
    await addTorrent(daemon, { metainfo: big.metainfo, downloadDir: join(work.dir, 'owner-downloads'), paused: true });
    const second = await agent.tick();
    expect(second.actions).toEqual([]);
    expect(second.plan.capacity.pendingWriteBytes).toBe(3 * MB);
    expect(second.plan.capacity.diskFreeBytes).toBeGreaterThan(50 * MB);
    expect(events.filter((e) => e.type === 'disk-reserve')).toEqual([]);
  }, 60_000);

  it("counts the owner's download on the same filesystem, and says which torrent and bytes it counted", async () => {
    const near = torrent('owner-near', 60 * MB);
    await addTorrent(daemon, { metainfo: near.metainfo, downloadDir: join(mnt, 'owner'), paused: true });
    const third = await agent.tick();
    expect(third.actions.filter((a) => a.kind === 'add')).toEqual([]);
    expect(third.plan.capacity.pendingWriteBytes).toBe(63 * MB);
    const alarm = events.find((e) => e.type === 'disk-reserve');
    expect(alarm).toMatchObject({ pendingWriteBytes: 63 * MB, minFreeBytes: 16 * MB });
    expect(alarm?.type === 'disk-reserve' ? alarm.detail : '').toMatch(/by 4 torrent\(s\) \(owner-near 60(\.0+)? MB, m\d 1(\.0+)? MB/);
  }, 60_000);
});
