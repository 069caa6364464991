/**
 * `smartnode init --yes` against a real transmission-daemon on 127.0.0.1 whose settings.json
 * is laid out as Debian's package has it (config dir /var/lib/transmission-daemon/.config/
 * transmission-daemon, the password already hashed by the daemon). init reads the file and must
 * leave it byte-identical; the policy it writes must load and pass `smartnode doctor`.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicyFile } from '../../src/policy/index.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { runCli } from '../helpers/cli.js';
import { eventually } from '../helpers/world.js';

const PASSWORD = 'init-secret-5521';

const cli = runCli;

describe('smartnode init --yes next to a Debian-style daemon', () => {
  let root: string;
  let daemon: DaemonProcess;
  let settingsPath: string;
  let settingsBytes: Buffer;
  let feeds: FeedServer;
  let rpcPort: number;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'smartnode-init-'));
    const configDir = join(root, 'var/lib/transmission-daemon/.config/transmission-daemon');
    rpcPort = await findFreePort();
    daemon = await startDaemonProcess({
      configDir,
      downloadDir: join(root, 'var/lib/transmission-daemon/downloads'),
      bindAddress: '127.0.0.1',
      rpcPort,
      peerPort: await findFreePort(),
      username: 'debian-volunteer',
      password: PASSWORD,
      // As Debian ships it: bound everywhere, loopback whitelisted, rpc-url at its default.
      settings: { 'rpc-bind-address': '0.0.0.0', 'rpc-whitelist': '127.0.0.1,::1', 'rpc-url': '/transmission/', umask: 18 },
    });
    settingsPath = join(configDir, 'settings.json');
    // A reload (SIGHUP) makes the daemon save settings.json with the password hashed, as an
    // installed daemon's file is: init cannot read it back.
    process.kill(daemon.pid, 'SIGHUP');
    settingsBytes = await eventually(
      'settings.json saved with the password hashed',
      async () => {
        const bytes = await readFile(settingsPath);
        return /"rpc-password": "\{[0-9a-f]{40}/.test(bytes.toString()) ? bytes : undefined;
      },
      10_000,
      50,
    );
    expect(settingsBytes.toString()).not.toContain(PASSWORD);
    feeds = await startFeedServer({ host: '127.0.0.1' });
    feeds.setRoute('/rss/seeds/unseeded.rss', {
      contentType: 'application/rss+xml',
      body: '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>',
    });
  });

  afterAll(async () => {
    await daemon?.stop();
    await feeds?.close();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('writes a commented policy from settings.json and a password file, leaves settings.json byte-identical, doctor passes', async () => {
    const etc = join(root, 'etc-smartnode');
    const policyPath = join(etc, 'policy.yaml');
    const passwordFile = join(etc, 'rpc-password');
    await mkdir(etc);
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    const downloadDir = join(root, 'var/lib/transmission-daemon/downloads/smartnode');
    const result = await cli([
      'init',
      '--yes',
      '--settings',
      settingsPath,
      '--policy',
      policyPath,
      '--password-file',
      passwordFile,
      '--download-dir',
      downloadDir,
      '--max-size',
      '5 GB',
      '--min-free',
      '1 MB',
      '--feed',
      `${feeds.url}/rss/seeds/unseeded.rss`,
      '--state-dir',
      join(root, 'state'),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `read ${settingsPath} (not changed): RPC http://127.0.0.1:${rpcPort}/transmission/rpc, authentication on as debian-volunteer`,
    );
    expect(result.stdout).toContain('connected: Transmission 3.00');
    expect(result.stdout).toContain(`sudo install -d -o root -g root -m 2775 ${downloadDir}`); // the daemon runs as root here

    expect(await readFile(settingsPath)).toEqual(settingsBytes);
    const text = await readFile(policyPath, 'utf8');
    expect(text).not.toContain(PASSWORD);
    expect(text).toContain('# The RPC password is never written here');
    const { policy } = await loadPolicyFile(policyPath);
    expect(policy.daemon).toMatchObject({
      url: `http://127.0.0.1:${rpcPort}/transmission/rpc`,
      username: 'debian-volunteer',
      passwordFile,
    });
    expect(policy.storage).toMatchObject({ downloadDir, maxBytes: 5e9, minFreeBytes: 1e6 });
    expect(policy.feeds).toEqual([expect.objectContaining({ id: 'unseeded', format: 'rss', url: `${feeds.url}/rss/seeds/unseeded.rss` })]);
    expect((await stat(policyPath)).mode & 0o777).toBe(0o644);

    await mkdir(downloadDir);
    const doctor = await cli(['doctor', '--policy', policyPath, '--skip', 'agent']);
    expect(doctor.stdout).toMatch(/10 passed, 0 failed, 1 skipped/);
    expect(doctor.code).toBe(0);
  });

  it('names a password variable instead of a file; a wrong password writes nothing and says why', async () => {
    const policyPath = join(root, 'env', 'policy.yaml');
    const args = [
      'init',
      '--yes',
      '--settings',
      settingsPath,
      '--policy',
      policyPath,
      '--password-env',
      'SN_RPC_PW',
      '--min-free',
      '1 MB',
      '--max-size',
      '1 GB',
    ];
    const wrong = await cli(args, { SN_RPC_PW: 'not-it' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('refused the RPC username or password (HTTP 401)');
    expect(wrong.stderr).not.toContain('not-it');
    await expect(stat(policyPath)).rejects.toThrow(/ENOENT/);

    const right = await cli(args, { SN_RPC_PW: PASSWORD });
    expect(right.code).toBe(0);
    const text = await readFile(policyPath, 'utf8');
    expect(text).toContain('passwordEnv: SN_RPC_PW');
    expect(text).not.toContain(PASSWORD);
    // Default download dir: a smartnode folder in the daemon's own download-dir (it can write there).
    const { policy } = await loadPolicyFile(policyPath);
    expect(policy.storage.downloadDir).toBe(join(root, 'var/lib/transmission-daemon/downloads/smartnode'));
    expect(policy.feeds.map((f) => f.id)).toEqual(['sciop-unseeded']);

    // Provisioning for Academic Torrents: the key from a variable the policy names, on AT feeds only.
    const atPolicy = join(root, 'env-at', 'policy.yaml');
    const atArgs = [...args.map((a) => (a === policyPath ? atPolicy : a)), '--at-key-env', 'AT_KEY', '--feed', 'medical'];
    const atArgsTwice = [
      ...atArgs,
      '--feed',
      'https://academictorrents.com/collection/medical.csv',
      '--feed',
      'https://sciop.net/rss/seeds/1-10.rss',
    ];
    const badKey = await cli(atArgsTwice, { SN_RPC_PW: PASSWORD, AT_KEY: 'uid=1;pass=secretish' });
    expect(badKey.code).toBe(2);
    expect(badKey.stderr).toContain('the environment variable named by --at-key-env does not hold a key');
    expect(badKey.stderr).not.toContain('secretish');
    const key = 'uid=77;pass=0123456789abcdef0123456789abcdef';
    const withKey = await cli(atArgsTwice, { SN_RPC_PW: PASSWORD, AT_KEY: key });
    expect(withKey.stderr).toBe('');
    expect(withKey.code).toBe(0);
    const atText = await readFile(atPolicy, 'utf8');
    expect(atText).not.toContain('0123456789abcdef');
    const { policy: atLoaded } = await loadPolicyFile(atPolicy);
    expect(atLoaded.feeds.map((f) => [f.id, f.cookieEnv])).toEqual([
      ['at-medical', 'AT_KEY'],
      ['1-10', undefined],
    ]);

    const again = await cli(args, { SN_RPC_PW: PASSWORD });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`${policyPath} already exists; init does not overwrite a policy`);
    expect(await readFile(settingsPath)).toEqual(settingsBytes);
  });

  it('prints the exact settings.json steps (daemon stopped first) when the whitelist shuts smartnode out', async () => {
    const copy = join(root, 'whitelist-settings.json');
    const settings = JSON.parse(settingsBytes.toString()) as Record<string, unknown>;
    await writeFile(copy, JSON.stringify({ ...settings, 'rpc-whitelist': '192.168.1.*' }, null, 4));
    const before = await readFile(copy);
    const result = await cli(
      [
        'init',
        '--yes',
        '--settings',
        copy,
        '--policy',
        join(root, 'wl', 'policy.yaml'),
        '--password-env',
        'SN_RPC_PW',
        '--min-free',
        '1 MB',
      ],
      { SN_RPC_PW: PASSWORD },
    );
    expect(result.stdout).toContain('settings.json needs a change: rpc-whitelist (192.168.1.*) does not let 127.0.0.1 in. Steps:');
    const steps = result.stdout.split('\n').filter((l) => l.startsWith('  sudo '));
    expect(steps.slice(0, 3)).toEqual([
      '  sudo systemctl stop transmission-daemon   # the daemon rewrites settings.json when it stops: edit only while it is stopped',
      `  sudo editor ${copy}   # set "rpc-whitelist": "192.168.1.*,127.0.0.1"`,
      '  sudo systemctl start transmission-daemon',
    ]);
    expect(await readFile(copy)).toEqual(before);
  });

  it('without a terminal and without --yes, or without a password source, it stops with the flags to pass', async () => {
    const noTty = await cli(['init', '--settings', settingsPath, '--policy', join(root, 'x', 'policy.yaml')]);
    expect(noTty.code).toBe(1);
    expect(noTty.stderr).toContain('init needs a terminal to ask its questions');
    const noPassword = await cli(['init', '--yes', '--settings', settingsPath, '--policy', join(root, 'x', 'policy.yaml')]);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('the daemon requires a password and none was given');
    expect(noPassword.stderr).toContain('--password-file FILE');
  });
});
