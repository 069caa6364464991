/**
 * A daemon swapped for another release between two ticks, on the same URL, with the policy's
 * `daemon.protocol: auto`: 4.1.x (JSON-RPC 2.0) is stopped and 3.00 (old protocol only) takes
 * its port, then the other way round. No call of the agent's falls into the gap, so it never
 * sees the daemon unreachable; the first answer in the wrong dialect must make it ask again,
 * and that very tick must work.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../../src/agent/events.js';
import { runTick } from '../../src/agent/tick.js';
import { buildRuntime } from '../../src/cli/runtime.js';
import { toInfoHash } from '../../src/shared/index.js';
import type { DaemonLine } from '../../src/testkit/daemon-lines.js';
import { startDaemonProcess, type DaemonProcess, type DaemonProcessOptions } from '../../src/testkit/daemon-process.js';
import { startFeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { getTorrent } from '../../src/testkit/rpc.js';
import { publishCsvFeed, writeOneFeedPolicy } from '../helpers/one-feed.js';
import { makeWorkDir } from '../helpers/world.js';

const PASSWORD = 'daemon-swap-secret-3';
const SIZE = 40_000;

describe('a daemon swapped for another release between ticks (protocol auto)', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  it('speaks each daemon its own dialect from the first tick after the swap: 4.1.x -> 3.00 -> 4.1.x', async () => {
    const work = await makeWorkDir('daemon-swap');
    cleanups.push(work.cleanup);
    const rpcPort = await findFreePort();
    const peerPort = await findFreePort();
    const mirror = join(work.dir, 'mirror');
    // Each release keeps its own config (settings, resume files); both see the same data directory.
    const optionsFor = (line: DaemonLine): DaemonProcessOptions => ({
      configDir: join(work.dir, `daemon-${line}`),
      downloadDir: join(work.dir, 'daemon-default'),
      bindAddress: '127.0.0.1',
      rpcPort,
      peerPort,
      username: 'volunteer',
      password: PASSWORD,
      line,
    });
    let daemon: DaemonProcess = await startDaemonProcess(optionsFor('sid'));
    cleanups.push(() => daemon.stop());
    const swapTo = async (line: DaemonLine): Promise<void> => {
      await daemon.stop();
      daemon = await startDaemonProcess(optionsFor(line));
    };

    const feeds = await startFeedServer({ host: '127.0.0.1' });
    cleanups.push(() => feeds.close());
    const [hash = ''] = publishCsvFeed(feeds, ['swapped'], { sizeBytes: SIZE });
    // daemon.protocol is left at its default, auto.
    const policy = await writeOneFeedPolicy({
      workDir: work.dir,
      daemonUrl: daemon.rpcUrl,
      username: 'volunteer',
      passwordEnv: 'SN_SWAP_PASSWORD',
      feedUrl: `${feeds.url}/c.csv`,
    });
    const runtime = await buildRuntime({ policyPath: policy, env: { ...process.env, SN_SWAP_PASSWORD: PASSWORD } });
    const events: AgentEvent[] = [];
    runtime.deps.bus.subscribe((e) => events.push(e));
    let tick = 0;
    const runOne = async (): Promise<unknown> =>
      runTick(runtime.deps, runtime.config, { dryRun: false, tick: ++tick }).then(
        () => null,
        (error: unknown) => error,
      );
    const failures = (): string[] =>
      events.flatMap((e) =>
        e.type === 'action-failed' ? [`${e.kind} ${e.error.message}`] : e.type === 'tick-failed' ? [e.error.message] : [],
      );
    const protocolNow = async (): Promise<string | undefined> => (await runtime.deps.daemon.readVersion()).protocol;

    expect(await runOne()).toBeNull();
    expect(await protocolNow()).toBe('json-rpc');
    expect(runtime.deps.state.ownedRecord(toInfoHash(hash))?.phase).toBe('owned');
    expect(await getTorrent(daemon, hash, ['downloadDir'])).toMatchObject({ downloadDir: join(mirror, hash) });

    // 3.00 starts from its own config and has never seen the torrent; 4.1.x comes back with it.
    for (const [line, protocol] of [
      ['bookworm', 'legacy'],
      ['sid', 'json-rpc'],
    ] as const) {
      await swapTo(line);
      const before = failures().length;
      expect(await runOne(), `the first tick after the swap to ${line}`).toBeNull();
      expect(failures().slice(before)).toEqual([]);
      expect(await protocolNow()).toBe(protocol);
    }
    expect(await getTorrent(daemon, hash, ['downloadDir'])).toMatchObject({ downloadDir: join(mirror, hash) });
  }, 90_000);
});
