/**
 * An add interrupted by a daemon crash, with a supervisor that brings the daemon back within
 * a second. A proxy in front of a real transmission-daemon passes the agent's torrent-add,
 * SIGKILLs the daemon the moment it has answered, and hands the answer on; the daemon is
 * started again on the same port at once. Transmission 3.00 reloads such a torrent from its
 * saved .torrent without a resume file: unlabelled, in its default directory. The next tick
 * must see the restart (the daemon now running is not the one that took the add) and take
 * the torrent back into the directory it asked for: no orphan downloading outside the budget.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { runTick } from '../../src/agent/tick.js';
import { buildRuntime } from '../../src/cli/runtime.js';
import { toInfoHash } from '../../src/shared/index.js';
import type { DaemonLine } from '../../src/testkit/daemon-lines.js';
import { startDaemonProcess, type DaemonProcess, type DaemonProcessOptions } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { getTorrent, rpcCall } from '../../src/testkit/rpc.js';
import { waitFor } from '../../src/testkit/swarm.js';
import { publishCsvFeed, writeOneFeedPolicy } from '../helpers/one-feed.js';
import { makeWorkDir } from '../helpers/world.js';

const PASSWORD = 'quick-restart-secret-7';
const SIZE = 40_000;

/** Forwards RPC; once armed, the next torrent-add's answer is held until `onAdded` has run (either dialect). */
async function startCrashProxy(
  target: () => DaemonProcess,
  onAdded: () => Promise<void>,
): Promise<{ url: string; server: Server; arm(): void; crashes(): number }> {
  let armed = false;
  let crashes = 0;
  const readBody = async (stream: IncomingMessage): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      const crash = armed && /"torrent[-_]add"/.test(body.toString('utf8'));
      const url = new URL(target().rpcUrl);
      const upstream = httpRequest(
        { host: url.hostname, port: url.port, path: url.pathname, method: req.method, headers: req.headers },
        (answer) => {
          void (async () => {
            const answerBody = await readBody(answer);
            if (crash && answer.statusCode === 200) {
              armed = false;
              crashes++;
              await onAdded();
            }
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
    url: `http://127.0.0.1:${port}/transmission/rpc`,
    server,
    arm: () => {
      armed = true;
    },
    crashes: () => crashes,
  };
}

const LINES: readonly { line: DaemonLine; name: string }[] = [
  { line: 'bookworm', name: 'transmission-daemon 3.00' },
  { line: 'sid', name: 'transmission-daemon 4.1.x' },
];

describe.each(LINES)('an add interrupted by a daemon crash and a restart within a second ($name)', ({ line }) => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('is taken back into its directory on the next tick, labelled and owned', async () => {
    const work = await makeWorkDir('quick-restart');
    cleanups.push(work.cleanup);
    const options: DaemonProcessOptions = {
      configDir: join(work.dir, 'daemon'),
      downloadDir: join(work.dir, 'daemon-default'),
      bindAddress: '127.0.0.1',
      rpcPort: await findFreePort(),
      peerPort: await findFreePort(),
      username: 'volunteer',
      password: PASSWORD,
      line,
    };
    let daemon = await startDaemonProcess(options);
    cleanups.push(() => daemon.stop());
    let killedAt = 0;
    const proxy = await startCrashProxy(
      () => daemon,
      async () => {
        killedAt = Date.now();
        await daemon.kill();
      },
    );
    cleanups.push(async () => proxy.server.close());

    const feeds: FeedServer = await startFeedServer({ host: '127.0.0.1' });
    cleanups.push(() => feeds.close());
    const [hash = ''] = publishCsvFeed(feeds, ['reloaded'], { sizeBytes: SIZE });
    const mirror = join(work.dir, 'mirror');
    const policy = await writeOneFeedPolicy({
      workDir: work.dir,
      daemonUrl: proxy.url,
      username: 'volunteer',
      passwordEnv: 'SN_QUICK_RESTART_PASSWORD',
      feedUrl: `${feeds.url}/c.csv`,
    });
    const runtime = await buildRuntime({ policyPath: policy, env: { ...process.env, SN_QUICK_RESTART_PASSWORD: PASSWORD } });
    const events: AgentEvent[] = [];
    runtime.deps.bus.subscribe((e) => events.push(e));

    // A daemon's uptime is whole seconds that lag its clock, so its start is known to within
    // a few seconds: one that had been up this long is told apart from its replacement.
    await waitFor(
      async () => {
        const stats = await rpcCall(daemon, 'session-stats', {});
        return ((stats['current-stats'] as { secondsActive?: number } | undefined)?.secondsActive ?? 0) >= 6;
      },
      { timeoutMs: 15_000, intervalMs: 250, what: 'the daemon to have been up 6 s' },
    );

    proxy.arm();
    const first = await runTick(runtime.deps, runtime.config, { dryRun: false, tick: 1 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(proxy.crashes()).toBe(1);
    // The supervisor brings the daemon back at once, on the same port and config.
    daemon = await startDaemonProcess(options);
    const restartMs = Date.now() - killedAt;
    expect(restartMs).toBeLessThan(3000);
    const failed = events.some((e) => (e.type === 'action-failed' || e.type === 'tick-failed') && e.error.code === 'DAEMON_UNREACHABLE');
    expect(first !== null || failed, 'the crash interrupted the tick').toBe(true);

    // The restarted daemon has reloaded the torrent (3.00: unlabelled, in its default directory).
    await waitFor(async () => (await getTorrent(daemon, hash, ['hashString'])) !== undefined, {
      timeoutMs: 10_000,
      intervalMs: 100,
      what: 'the restarted daemon to list the torrent',
    });

    const second = await runTick(runtime.deps, runtime.config, { dryRun: false, tick: 2 }).then(
      () => null,
      (error: unknown) => error,
    );
    expect(second).toBeNull();
    const ownership = events.filter((e) => e.type === 'ownership' && e.infoHash === hash);
    expect(ownership.map((e) => (e.type === 'ownership' ? e.detail : '')).join('; ')).not.toMatch(/left untouched/);
    expect(runtime.deps.state.ownedRecord(toInfoHash(hash))).toMatchObject({ phase: 'owned', downloadDir: join(mirror, hash) });
    await waitFor(
      async () => {
        const t = await getTorrent(daemon, hash, ['labels', 'downloadDir']);
        return t?.['downloadDir'] === join(mirror, hash) && (t['labels'] as string[]).includes('smartnode');
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the torrent labelled and pointed at its directory' },
    );
    console.log(`${line}: daemon killed after torrent-add and back in ${restartMs} ms; taken back on the next tick`);
  }, 90_000);
});
