/**
 * The owner's torrent is never taken over. The owner adds torrent X (paused, in the daemon's
 * default directory) just before the agent's own add of X reaches a real transmission-daemon
 * 3.00, and the daemon's `torrent-duplicate` answer is held by a proxy past the agent's RPC
 * timeout. The agent cannot prove it added X, so it must leave X exactly as the owner made it:
 * unlabelled, in the owner's directory, not recorded as owned, and still there (with its data
 * directory) after the feed drops it.
 */
import { request as httpRequest, createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTick } from '../../src/agent/tick.js';
import type { AgentEvent } from '../../src/agent/events.js';
import { buildRuntime, type Runtime } from '../../src/cli/runtime.js';
import { aTorrentFile, expectedInfoHash } from '../../src/feeds/testing.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { addTorrent, getTorrent } from '../../src/testkit/rpc.js';
import { toInfoHash } from '../../src/shared/index.js';
import { makeWorkDir } from '../helpers/world.js';

const PASSWORD = 'race-secret-58';
const SIZE = 40_000;
const spec = { name: 'contested', length: SIZE, announce: 'http://127.0.0.1:1/announce' };
const X = { hash: expectedInfoHash(spec), metainfo: aTorrentFile(spec) };
const HEADER = 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED';

/**
 * Forwards RPC to the daemon. While `race` is armed, a torrent-add is preceded by the owner's
 * own add of the same torrent, and its answer is held for `holdMs` (past the agent's timeout).
 */
async function startRaceProxy(
  daemon: DaemonProcess,
  holdMs: number,
): Promise<{ url: string; server: Server; arm(): void; raced(): number }> {
  const target = new URL(daemon.rpcUrl);
  let armed = false;
  let raced = 0;
  const readBody = async (req: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const isAdd = body.includes('"torrent-add"');
      const racing = armed && isAdd;
      if (racing) {
        armed = false;
        raced++;
        await addTorrent(daemon, { metainfo: X.metainfo, downloadDir: daemon.downloadDir, paused: true });
      }
      const upstream = httpRequest(
        { host: target.hostname, port: target.port, path: target.pathname, method: req.method, headers: req.headers },
        (answer) => {
          void (async () => {
            const answerBody = await readBody(answer);
            if (racing) await new Promise((resolve) => setTimeout(resolve, holdMs));
            if (res.destroyed) return;
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            res.end(answerBody);
          })();
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}${target.pathname}`,
    server,
    arm: () => {
      armed = true;
    },
    raced: () => raced,
  };
}

describe("the owner's torrent, added in a race with ours, is never taken over", () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let daemon: DaemonProcess;
  let feeds: FeedServer;
  let proxy: Awaited<ReturnType<typeof startRaceProxy>>;
  let runtime: Runtime;
  const events: AgentEvent[] = [];
  let offsetMs = 0;

  beforeAll(async () => {
    work = await makeWorkDir('race');
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
    feeds.setTorrent(X.hash, X.metainfo);
    feeds.setRoute('/c.csv', {
      contentType: 'text/csv',
      body: `${HEADER}\nDataset,contested,${X.hash},${SIZE},0,2,3,1700000000,1700000000\n`,
    });
    proxy = await startRaceProxy(daemon, 2500);
    const policy = join(work.dir, 'policy.yaml');
    await writeFile(
      policy,
      `version: 1
node:
  stateDir: ${join(work.dir, 'state')}
daemon:
  url: ${proxy.url}
  username: volunteer
  passwordEnv: SN_RACE_PASSWORD
  timeout: 1s
storage:
  downloadDir: ${join(work.dir, 'mirror')}
  maxBytes: 10 MB
  minFreeBytes: 0
feeds:
  - id: main
    url: ${feeds.url}/c.csv
scoring:
  minSeedTime: 0s
scrape:
  enabled: false
`,
    );
    runtime = await buildRuntime({ policyPath: policy, env: { ...process.env, SN_RACE_PASSWORD: PASSWORD } });
    runtime.deps.clock = () => Date.now() + offsetMs;
    runtime.deps.bus.subscribe((e) => events.push(e));
  }, 60_000);

  afterAll(async () => {
    proxy?.server.close();
    await daemon?.stop();
    await feeds?.close();
    await work?.cleanup();
  });

  // The first two ticks run on the real clock (the daemon's addedDate and the agent's intent
  // must be compared as they would be in life); later ones jump past the feed refresh interval.
  const tick = async (n: number): Promise<unknown> => {
    if (n > 2) offsetMs += 3_600_000;
    return runTick(runtime.deps, runtime.config, { dryRun: false, tick: n }).then(
      () => null,
      (e: unknown) => e,
    );
  };
  const ownersCopy = async () => getTorrent(daemon, X.hash, ['labels', 'downloadDir', 'status']);

  it('leaves the torrent alone through the lost answer, the next tick and the feed dropping it', async () => {
    proxy.arm();
    const first = await tick(1);
    expect(proxy.raced()).toBe(1);
    expect(first).not.toBeNull(); // the add's answer never came in time

    expect(await tick(2)).toBeNull();
    const afterTick = await ownersCopy();
    expect(afterTick).toMatchObject({ labels: [], downloadDir: daemon.downloadDir, status: 0 });
    expect(runtime.deps.state.ownedRecord(toInfoHash(X.hash))).toBeUndefined();
    const why = events.find((e) => e.type === 'ownership' && e.infoHash === X.hash);
    expect(why).toMatchObject({ op: 'forget' });
    expect(why?.type === 'ownership' ? why.detail : '').toMatch(/left untouched/);
    expect(events.some((e) => e.type === 'ownership' && (e.op === 'confirm' || e.op === 'relocate'))).toBe(false);

    feeds.setRoute('/c.csv', { contentType: 'text/csv', body: `${HEADER}\n` });
    expect(await tick(3)).toBeNull();
    expect(await tick(4)).toBeNull();
    expect(await ownersCopy()).toMatchObject({ labels: [], downloadDir: daemon.downloadDir, status: 0 });
  }, 60_000);
});
