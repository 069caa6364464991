/**
 * Packaging: `npm pack` ships only what runs (no sources, tests, test kit, demo, benchmarks or
 * source maps), and the unpacked tarball with its run-time dependencies installed (offline)
 * gives a working `smartnode --help`, `smartnode policy check` and `smartnode doctor` against a
 * real transmission-daemon on 127.0.0.1. Needs `npm run build` first (npm test does it).
 *
 * Offline on a fresh machine: `npm install <tarball>` resolves version ranges, which needs the
 * registry's metadata, and `npm ci` never caches that (only tarballs, by integrity). So the
 * dependencies come the lockfile way: the project's package-lock.json beside the unpacked
 * package, `npm ci --omit=dev --offline`, which reads only tarballs `npm ci` already cached.
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedInfoHash } from '../../src/feeds/testing.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { startFeedServer, type FeedServer } from '../../src/testkit/feed-server.js';
import { findFreePort } from '../../src/testkit/ports.js';

const run = promisify(execFile);

async function exec(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(command, args, { timeout: 120_000, maxBuffer: 16 * 1024 * 1024, ...options });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('npm package', () => {
  let root: string;
  let tarball: string;
  let installed: string;
  let bin: string;

  beforeAll(async () => {
    await stat('dist/cli/main.js').catch(() => {
      throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    });
    root = await mkdtemp(join(tmpdir(), 'smartnode-pack-'));
    const packed = await exec('npm', ['pack', '--pack-destination', root]);
    expect(packed.code, packed.stderr).toBe(0);
    const found = (await readdir(root)).find((f) => f.endsWith('.tgz'));
    if (found === undefined) throw new Error(`npm pack wrote no tarball: ${packed.stdout}${packed.stderr}`);
    tarball = join(root, found);
    installed = join(root, 'installed');
    await mkdir(installed);
    const unpacked = await exec('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    expect(unpacked.code, unpacked.stderr).toBe(0);
    await copyFile('package-lock.json', join(installed, 'package-lock.json'));
    // Offline: every run-time dependency's tarball is in npm's cache after `npm ci`.
    const deps = await exec('npm', ['ci', '--omit=dev', '--offline', '--no-audit', '--no-fund'], { cwd: installed });
    expect(deps.code, deps.stderr).toBe(0);
    bin = join(installed, 'bin', 'smartnode.js');
  }, 180_000);

  afterAll(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('ships only run-time files', async () => {
    const result = await exec('npm', ['pack', '--dry-run', '--json']);
    const [pack] = JSON.parse(result.stdout) as Array<{ files: Array<{ path: string }> }>;
    const files = (pack?.files ?? []).map((f) => f.path);
    for (const needed of [
      'bin/smartnode.js',
      'dist/cli/main.js',
      'dist/cli/init.js',
      'dist/cli/doctor.js',
      'dist/setup/doctor.js',
      'policies/default.yaml',
      'policies/policy.schema.json',
      'examples/smartnode.service',
      'examples/home-server.yaml',
      'README.md',
      'package.json',
      'dist/agent/decide.js',
      'dist/agent/decide.d.ts',
    ]) {
      expect(files, needed).toContain(needed);
    }
    const unwanted = files.filter(
      (f) =>
        (/^(src|test|scripts)\//.test(f) && f !== 'scripts/prune-geoip.mjs') ||
        /^dist\/(testkit|demo|bench)\//.test(f) ||
        /\.test\.|\.suite\.|\/testing\.|\.map$|\.tsx?$/.test(f.replace(/\.d\.ts$/, '.d')),
    );
    expect(unwanted).toEqual([]);
    // Test-only code imports vitest (a dev dependency): none of it may ship, whatever its name.
    const shipped = files.filter((f) => f.endsWith('.js'));
    const withVitest: string[] = [];
    for (const f of shipped) if (/from ['"]vitest['"]/.test(await readFile(f, 'utf8'))) withVitest.push(f);
    expect(withVitest).toEqual([]);
  });

  it('exports the decision as smartnode/decide with its types; the README example drives one node with it', async () => {
    const consumer = join(root, 'consumer');
    await mkdir(join(consumer, 'node_modules'), { recursive: true });
    await symlink(installed, join(consumer, 'node_modules', 'smartnode'));
    await writeFile(join(consumer, 'package.json'), '{ "type": "module" }');
    await copyFile('examples/decide-one-node.mjs', join(consumer, 'decide-one-node.mjs'));
    const ran = await exec(process.execPath, ['decide-one-node.mjs'], { cwd: consumer });
    expect(ran.stderr).toBe('');
    expect(ran.code).toBe(0);
    expect(ran.stdout).toContain('tick 0: add dataset-1: 0 seeders against a target of 5');
    expect(ran.stdout).toContain('tick 1: nothing to do (2 held)');
    expect(ran.stdout).not.toContain('add dataset-3');

    // A TypeScript consumer sees the types; a wrong use is a type error.
    const typed = `import { initialDecideMemory, planTick, type Observation, type TickPlan, type AgentConfig } from 'smartnode/decide';
export const decide = (o: Observation, c: AgentConfig): TickPlan => planTick(initialDecideMemory(), o, c, o.nowMs).plan;
`;
    await writeFile(join(consumer, 'ok.ts'), typed);
    await writeFile(join(consumer, 'bad.ts'), typed.replace('o.nowMs', '"soon"'));
    const tsc = (file: string) =>
      exec(
        process.execPath,
        [
          resolve('node_modules/typescript/bin/tsc'),
          '--noEmit',
          '--strict',
          '--skipLibCheck',
          '--module',
          'nodenext',
          '--moduleResolution',
          'nodenext',
          file,
        ],
        { cwd: consumer },
      );
    const ok = await tsc('ok.ts');
    expect(ok.stdout + ok.stderr).toBe('');
    expect((await tsc('bad.ts')).stdout).toMatch(/bad\.ts.*not assignable to parameter of type 'number'/);
  }, 60_000);

  it("installs without geoip-lite's city tables (it loads only the country ones): under 100 MB in all", async () => {
    const data = join(installed, 'node_modules', 'geoip-lite', 'data');
    const tables = (await readdir(data)).filter((f) => f.endsWith('.dat')).sort();
    expect(tables).toEqual(['geoip-country.dat', 'geoip-country6.dat']);
    const du = await exec('du', ['-sm', installed]);
    expect(Number.parseInt(du.stdout, 10)).toBeLessThan(100);
  });

  it('the installed binary prints its help with every command', async () => {
    const result = await exec(bin, ['--help'], { cwd: root });
    expect(result.code).toBe(0);
    for (const command of ['run', 'plan', 'init', 'doctor', 'policy']) expect(result.stdout).toMatch(new RegExp(`^\\s+${command} `, 'm'));
  });

  it('checks a shipped example policy', async () => {
    const example = join(installed, 'examples', 'home-server.yaml');
    const result = await exec(bin, ['policy', 'check', example], { cwd: root });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${example}: valid`);
  });

  describe('against a real daemon', () => {
    let daemon: DaemonProcess;
    let feeds: FeedServer;
    beforeAll(async () => {
      daemon = await startDaemonProcess({
        configDir: join(root, 'daemon'),
        downloadDir: join(root, 'mirror'),
        bindAddress: '127.0.0.1',
        rpcPort: await findFreePort(),
        peerPort: await findFreePort(),
        username: 'volunteer',
        password: 'pack-secret-1207',
      });
      feeds = await startFeedServer({ host: '127.0.0.1' });
      const spec = { name: 'atlas', length: 30_000, announce: 'http://127.0.0.1:1/announce' };
      feeds.setRoute('/c.csv', {
        contentType: 'text/csv',
        body:
          'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED\n' +
          `Dataset,atlas,${expectedInfoHash(spec)},30000,1,1,1,1700000000,1700000000\n`,
      });
    });
    afterAll(async () => {
      await daemon?.stop();
      await feeds?.close();
    });

    it('doctor passes every check it can before the agent runs (exit 0), and fails with exit 1 once the daemon stops', async () => {
      const policy = join(root, 'policy.yaml');
      await writeFile(
        policy,
        [
          'daemon:',
          `  url: ${daemon.rpcUrl}`,
          '  username: volunteer',
          '  passwordEnv: SN_PACK_PW',
          'storage:',
          `  downloadDir: ${join(root, 'mirror')}`,
          '  maxBytes: 10 MB',
          '  minFreeBytes: 1 MB',
          'feeds:',
          '  - id: c',
          `    url: ${feeds.url}/c.csv`,
        ].join('\n'),
      );
      const env = { PATH: process.env.PATH, SN_PACK_PW: 'pack-secret-1207' };
      const args = ['doctor', '--policy', policy, '--state-dir', join(root, 'state'), '--skip', 'agent'];
      const healthy = await exec(bin, args, { cwd: root, env });
      expect(healthy.stdout).toMatch(/9 passed, 0 failed, 1 skipped/);
      expect(healthy.code).toBe(0);

      await daemon.stop();
      const down = await exec(bin, args, { cwd: root, env });
      expect(down.code).toBe(1);
      expect(down.stdout).toContain('[FAIL] daemon reachable:');
    });
  });
});
