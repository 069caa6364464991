/**
 * `smartnode init` and `doctor` next to a real qbittorrent-nox (Debian 12's 4.5) on 127.0.0.1:
 * the client is told apart by the process listening on the WebUI port, its qBittorrent.conf is
 * found from that process's own command line and read as qBittorrent itself rewrote it (WebUI
 * port, address, user, save path), init writes a policy with daemon.client: qbittorrent that
 * doctor passes, and doctor names a policy that points the wrong client at the port.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../src/policy/index.js';
import { findRunningClient } from '../../src/setup/detect-client.js';
import { runDoctor, type CheckResult } from '../../src/setup/doctor.js';
import { readDaemonSettingsFile } from '../../src/setup/init.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { runCli } from '../helpers/cli.js';
import { startTestQbittorrent, type TestQbittorrent } from '../helpers/qbittorrent.js';

const cli = runCli;

describe('smartnode init and doctor with a qBittorrent volunteer', () => {
  let q: TestQbittorrent;
  let feeds: FeedServer;
  let confPath: string;
  let webuiPort: number;

  beforeAll(async () => {
    q = await startTestQbittorrent('bookworm');
    webuiPort = Number(new URL(q.url).port);
    confPath = join(q.profileDir, 'qBittorrent', 'config', 'qBittorrent.conf');
    // A stop makes qBittorrent rewrite its config as an installed client's is; then it runs again.
    await q.stop();
    await q.start();
    feeds = await startFeedServer({ host: '127.0.0.1' });
    feeds.setRoute('/rss.xml', {
      contentType: 'application/rss+xml',
      body: '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
    });
  }, 60_000);
  afterAll(async () => {
    await q?.teardown();
    await feeds?.close();
  });

  async function doctorOn(policyText: string, name: string): Promise<Map<string, CheckResult>> {
    const downloadDir = join(q.root, 'mirror');
    await mkdir(downloadDir, { recursive: true });
    const policyPath = join(q.root, name);
    await writeFile(
      policyPath,
      `version: 1\n${policyText}storage:\n  downloadDir: ${downloadDir}\n  maxBytes: 1000000\n  minFreeBytes: 0\n` +
        `feeds:\n  - id: f\n    url: ${feeds.url}/rss.xml\n    format: rss\n`,
    );
    const results = await runDoctor({
      policyPath,
      env: { QBT_E2E_PASSWORD: q.password },
      resolveStateDir: () => join(q.root, 'state'),
      userAgent: 'smartnode-test',
      skip: new Set(['agent']),
    });
    expect(JSON.stringify(results)).not.toContain(q.password);
    return new Map(results.map((r) => [r.id, r]));
  }

  it('finds qbittorrent-nox by the process on the WebUI port, and its config from its command line', async () => {
    const running = await findRunningClient(webuiPort);
    expect(running).toMatchObject({ client: 'qbittorrent', configPath: confPath, process: { pid: q.process().pid, userName: 'root' } });
    const found = await readDaemonSettingsFile(confPath, '/nonexistent');
    expect(found).toMatchObject({
      client: 'qbittorrent',
      path: confPath,
      rpcUrl: q.url,
      settings: { rpcPort: webuiPort, bindAddress: '127.0.0.1', username: q.username, downloadDir: q.downloadDir, passwordSet: true },
      advice: [],
    });
    expect(await readFile(confPath, 'utf8')).toContain('WebUI\\Password_PBKDF2');
    // Without --settings, init reads the config of the client running here, found by its process
    // (this machine also has Debian's /etc/transmission-daemon/settings.json, which comes later).
    expect(await readDaemonSettingsFile(undefined, '/nonexistent')).toMatchObject({ client: 'qbittorrent', path: confPath, rpcUrl: q.url });
  });

  it('init --yes writes a policy for the client it found, with daemon.client: qbittorrent; doctor passes it', async () => {
    const policyPath = join(q.root, 'init', 'policy.yaml');
    const before = await readFile(confPath);
    const result = await cli(
      [
        'init',
        '--yes',
        '--settings',
        confPath,
        '--policy',
        policyPath,
        '--password-env',
        'QBT_PW',
        '--max-size',
        '1 MB',
        '--min-free',
        '0 B',
        '--feed',
        `${feeds.url}/rss.xml`,
        '--state-dir',
        join(q.root, 'init-state'),
      ],
      { QBT_PW: q.password },
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`read ${confPath} (not changed): qbittorrent-nox WebUI ${q.url}, authentication on as ${q.username}`);
    expect(result.stdout).toContain('connected: qBittorrent 4.5.2, WebUI API v2');
    expect(result.stdout).not.toContain(q.password);
    expect(await readFile(confPath)).toEqual(before);
    const { policy } = await loadPolicyFile(policyPath);
    expect(policy.daemon).toMatchObject({ client: 'qbittorrent', url: q.url, username: q.username, passwordEnv: 'QBT_PW' });
    expect(policy.storage.downloadDir).toBe(join(q.downloadDir, 'smartnode'));

    await mkdir(policy.storage.downloadDir, { recursive: true });
    const doctor = await cli(['doctor', '--policy', policyPath, '--skip', 'agent'], { QBT_PW: q.password });
    expect(doctor.stdout).not.toContain('[FAIL]');
    expect(doctor.code).toBe(0);
  }, 60_000);

  it('doctor: the client on the port is the one named, its settings suit, and every daemon check passes', async () => {
    const byId = await doctorOn(
      `daemon:\n  client: qbittorrent\n  url: ${q.url}\n  username: ${q.username}\n  passwordEnv: QBT_E2E_PASSWORD\n`,
      'policy.yaml',
    );
    expect(byId.get('daemon-client')).toMatchObject({
      status: 'passed',
      detail: expect.stringMatching(new RegExp(`^qbittorrent-nox \\(pid ${q.process().pid}, user root\\) listens on port ${webuiPort}$`)),
    });
    expect(byId.get('daemon-settings')).toMatchObject({ status: 'passed', detail: expect.stringContaining(`WebUI on port ${webuiPort}`) });
    for (const id of ['daemon-reachable', 'credentials', 'download-dir', 'download-dir-writable', 'download-dir-room', 'feed:f']) {
      expect(byId.get(id)?.status, `${id}: ${byId.get(id)?.detail ?? ''}`).toBe('passed');
    }
    expect(byId.get('download-dir-writable')?.detail).toContain('the daemon runs as root');
    expect(byId.get('rpc-version')).toMatchObject({
      status: 'passed',
      detail: expect.stringContaining("qBittorrent 4.5.2 (Debian 12's line; tested"),
    });
  }, 60_000);

  it('doctor: a policy naming Transmission in front of qbittorrent-nox fails, saying which client listens and what to set', async () => {
    const byId = await doctorOn(
      `daemon:\n  url: ${q.url}/transmission/rpc\n  username: ${q.username}\n  passwordEnv: QBT_E2E_PASSWORD\n`,
      'wrong.yaml',
    );
    expect(byId.get('daemon-client')).toMatchObject({
      status: 'failed',
      detail: expect.stringContaining(
        `qbittorrent-nox (pid ${q.process().pid}, user root) listens on port ${webuiPort}, but the policy names transmission-daemon`,
      ),
      fix: expect.stringContaining('set daemon.client: qbittorrent'),
    });
  }, 60_000);
});
