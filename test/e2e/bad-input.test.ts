/**
 * Bad input against real parts (a real transmission-daemon on loopback, feeds from a real HTTP
 * server, the built CLI): each gets a clear error, and the run goes on or stops as a user would
 * expect. No peers are needed here, so no namespaces: the torrents never complete.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTick } from '../../src/agent/tick.js';
import { buildRuntime } from '../../src/cli/runtime.js';
import type { DaemonPort } from '../../src/daemon/index.js';
import { aTorrentFile, expectedInfoHash } from '../../src/feeds/testing.js';
import { SmartnodeError } from '../../src/shared/index.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const execFileAsync = promisify(execFile);
const PASSWORD = 'bad-input-secret-71';
const SIZE = 50_000;

interface Item {
  name: string;
  hash: string;
  metainfo: Uint8Array;
}
function item(name: string): Item {
  const spec = { name, length: SIZE, announce: 'http://127.0.0.1:1/announce' };
  return { name, hash: expectedInfoHash(spec), metainfo: aTorrentFile(spec) };
}
function csv(items: readonly Item[]): string {
  return `${[
    'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED',
    ...items.map((t, i) => `Dataset,${t.name},${t.hash},${SIZE},${i % 3},1,3,1700000000,1700000000`),
  ].join('\n')}\n`;
}

async function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync('node', ['bin/smartnode.js', ...args], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('bad input gets a clear error and the run goes on or stops as expected', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let daemon: DaemonProcess;
  let daemonPort: number;
  let server: FeedServer;
  const env = { ...process.env, SN_BAD_PASSWORD: PASSWORD };
  const good = ['alpha', 'beta', 'gamma', 'delta'].map(item);
  const impostor = item('impostor'); // the feed's hash for it, but another torrent's bytes
  const bomb = item('bomb');
  const fresh = ['k1', 'k2', 'k3'].map(item); // only the killed-daemon test uses these

  async function startDaemon(): Promise<DaemonProcess> {
    return startDaemonProcess({
      configDir: join(work.dir, 'daemon'),
      downloadDir: join(work.dir, 'daemon-downloads'),
      bindAddress: '127.0.0.1',
      rpcPort: daemonPort,
      peerPort: await findFreePort(),
      username: 'volunteer',
      password: PASSWORD,
    });
  }
  async function writePolicy(name: string, overrides: { feedPath?: string; passwordEnv?: string; extra?: string } = {}): Promise<string> {
    const path = join(work.dir, name);
    await writeFile(
      path,
      `version: 1
node:
  stateDir: ${join(work.dir, `state-${name}`)}
daemon:
  url: ${daemon.rpcUrl}
  username: volunteer
  passwordEnv: ${overrides.passwordEnv ?? 'SN_BAD_PASSWORD'}
storage:
  downloadDir: ${join(work.dir, `mirror-${name}`)}
  maxBytes: 10 MB
  minFreeBytes: 0
feeds:
  - id: main
    url: ${server.url}${overrides.feedPath ?? '/main.csv'}
    format: auto
scoring:
  minSeedTime: 0s
scrape:
  enabled: false
${overrides.extra ?? ''}`,
    );
    return path;
  }

  beforeAll(async () => {
    work = await makeWorkDir('bad-input');
    daemonPort = await findFreePort();
    daemon = await startDaemon();
    server = await startFeedServer({ host: '127.0.0.1' });
    for (const t of good) server.setTorrent(t.hash, t.metainfo);
    server.setTorrent(impostor.hash, item('somebody-else').metainfo);
    // A bencode bomb: nesting far deeper than any real .torrent.
    server.setTorrent(bomb.hash, new TextEncoder().encode(`d4:info${'l'.repeat(100_000)}${'e'.repeat(100_000)}e`));
    server.setRoute('/main.csv', { body: csv(good), contentType: 'text/csv' });
    for (const t of fresh) server.setTorrent(t.hash, t.metainfo);
    server.setRoute('/killed.csv', { body: csv(fresh), contentType: 'text/csv' });
    server.setRoute('/hostile.csv', { body: csv([...good.slice(0, 2), impostor, bomb]), contentType: 'text/csv' });
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await server?.close();
    await work?.cleanup();
  });

  it('a policy typo stops with file, line, key and what is expected', async () => {
    const path = await writePolicy('typo.yaml', { extra: 'limits:\n  maxAddsPerTik: 3\n' });
    for (const args of [
      ['policy', 'check', path],
      ['run', '--once', '--policy', path],
    ]) {
      const { code, stderr } = await runCli(args, env);
      expect(code).toBe(2);
      expect(stderr).toMatch(/typo\.yaml:2\d limits\.maxAddsPerTik: unknown key \(did you mean "maxAddsPerTick"\?\)/);
    }
  });

  it('a wrong RPC password stops with DAEMON_AUTH and a hint, never printing the password', async () => {
    const path = await writePolicy('wrong-password.yaml', { passwordEnv: 'SN_WRONG' });
    const { code, stdout, stderr } = await runCli(['run', '--once', '--policy', path], { ...env, SN_WRONG: 'not-the-password-123' });
    expect(code).toBe(1);
    expect(stderr).toContain('DAEMON_AUTH');
    expect(stderr).toMatch(/hint: .*password/i);
    expect(stdout + stderr).not.toContain('not-the-password-123');
    expect(stdout + stderr).not.toContain(PASSWORD);
  });

  it('a secret typed where a variable name belongs is never echoed by policy check, run or doctor', async () => {
    for (const secret of ['hunter2', 'correct horse battery']) {
      const path = await writePolicy(`secret-${secret.length}.yaml`, { passwordEnv: JSON.stringify(secret) });
      for (const args of [
        ['policy', 'check', path],
        ['run', '--once', '--policy', path],
        ['doctor', '--policy', path],
      ]) {
        const { code, stdout, stderr } = await runCli(args, env);
        // "hunter2" is a valid variable name (unset): only running needs it. The other is no name at all.
        if (args[0] !== 'policy' || secret.includes(' ')) expect(code).not.toBe(0);
        expect(stdout + stderr).toContain('daemon.passwordEnv');
        expect(stdout + stderr).not.toContain(secret);
      }
    }
  });

  it('a .torrent whose info-hash differs from the feed, and a bencode bomb, are refused; the rest is added', async () => {
    const path = await writePolicy('hostile.yaml', { feedPath: '/hostile.csv' });
    const { code, stdout } = await runCli(['run', '--once', '--policy', path, '--log-format', 'json'], env);
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const failures = lines.filter((l) => l['event'] === 'action-failed');
    expect(failures.map((l) => l['code']).sort()).toEqual(['TORRENT_HASH_MISMATCH', 'TORRENT_INVALID']);
    expect(failures.find((l) => l['code'] === 'TORRENT_HASH_MISMATCH')?.['msg']).toContain(impostor.hash);
    const added = lines.filter((l) => l['event'] === 'action' && l['kind'] === 'add').map((l) => l['infoHash']);
    expect(added.sort()).toEqual([good[0]!.hash, good[1]!.hash].sort());
    expect(code).toBe(1); // some actions failed: say so to the caller
  });

  it('a feed that breaks keeps its last good items: nothing is removed', async () => {
    const path = await writePolicy('breaking.yaml', { feedPath: '/breaking.xml' });
    const rss = (body: string) => `<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>${body}</channel></rss>`;
    server.setRoute('/breaking.xml', {
      contentType: 'application/rss+xml',
      body: rss(
        good
          .slice(2)
          .map((t) => `<item><title>${t.name}</title><infohash>${t.hash}</infohash><size>${SIZE}</size></item>`)
          .join(''),
      ),
    });
    const runtime = await buildRuntime({ policyPath: path, env });
    let offset = 0;
    runtime.deps.clock = () => Date.now() + offset;
    const failures: string[] = [];
    runtime.bus.subscribe((e) => {
      if (e.type === 'feed-failed') failures.push(e.error.code);
    });
    const first = await runTick(runtime.deps, runtime.config, { dryRun: false, tick: 1 });
    expect(first.actions.filter((a) => a.kind === 'add').length).toBe(2);
    server.setRoute('/breaking.xml', { contentType: 'application/rss+xml', body: '<rss version="2.0"><channel><item><title>cut off' });
    offset += 7_200_000;
    const second = await runTick(runtime.deps, runtime.config, { dryRun: false, tick: 2 });
    expect(failures).toEqual(['FEED_PARSE']);
    expect(second.actions).toEqual([]);
  });

  it('a daemon killed mid-tick: the tick fails retryably, and after a restart the agent converges', async () => {
    const path = await writePolicy('killed.yaml', { feedPath: '/killed.csv' });
    const runtime = await buildRuntime({ policyPath: path, env });
    const real = runtime.deps.daemon;
    let adds = 0;
    const killing: DaemonPort = {
      ...real,
      readVersion: () => real.readVersion(),
      listTorrents: (o) => real.listTorrents(o),
      readFreeSpace: (p) => real.readFreeSpace(p),
      setLabels: (h, l) => real.setLabels(h, l),
      setLocation: (h, d) => real.setLocation(h, d),
      moveData: (h, d) => real.moveData(h, d),
      removeTorrent: (h, o) => real.removeTorrent(h, o),
      addTorrent: async (request) => {
        const result = await real.addTorrent(request);
        if (++adds === 1) await daemon.kill();
        return result;
      },
    };
    runtime.deps.daemon = killing;
    const error = await runTick(runtime.deps, runtime.config, { dryRun: false, tick: 1 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmartnodeError);
    expect((error as SmartnodeError).code).toBe('DAEMON_UNREACHABLE');
    expect((error as SmartnodeError).retryable).toBe(true);

    daemon = await startDaemon();
    runtime.deps.daemon = real;
    const result = await eventually(
      'the agent to converge after the restart',
      async () => {
        const r = await runTick(runtime.deps, runtime.config, { dryRun: false, tick: 2 });
        return r.actions.length === 0 ? r : undefined;
      },
      30_000,
      200,
    );
    const ours = result.torrents
      .filter((t) => t.downloadDir.startsWith(runtime.config.downloadDir))
      .map((t) => t.infoHash)
      .sort();
    for (const t of result.torrents) if (ours.includes(t.infoHash)) expect(t.labels).toEqual(['smartnode']);
    expect(ours).toEqual(fresh.map((t) => t.hash).sort());
    expect(
      runtime.deps.state
        .owned()
        .map((r) => `${r.infoHash}:${r.phase}`)
        .sort(),
    ).toEqual(ours.map((h) => `${h}:owned`));
  }, 60_000);
});
