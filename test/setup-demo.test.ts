/**
 * `npm run demo` runs `scripts/setup.mjs --demo`, which must fetch no daemon line the demo does
 * not use (the demo's swarm runs Debian's own transmission-daemon). The real script, copied to a
 * fresh package root whose daemon cache is empty, with an `apt-get` first on PATH that records
 * each call and fails: any fetch of a line would call it.
 */
import { spawnSync } from 'node:child_process';
import { chmod, cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkDir } from './helpers/world.js';

describe('setup for the demo', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    work = await makeWorkDir('setup-demo');
  });
  afterAll(async () => {
    await work.cleanup();
  });

  it('`setup.mjs --demo` fetches no daemon line and installs nothing the demo does not use', async () => {
    const root = join(work.dir, 'pkg');
    await cp('scripts', join(root, 'scripts'), { recursive: true });
    await cp('package-lock.json', join(root, 'package-lock.json'));
    // node_modules up to date, so setup runs no `npm ci`.
    await mkdir(join(root, 'node_modules'), { recursive: true });
    await writeFile(join(root, 'node_modules', '.package-lock.json'), '{}');
    const bin = join(work.dir, 'bin');
    const calls = join(work.dir, 'apt-calls');
    await mkdir(bin);
    await writeFile(join(bin, 'apt-get'), `#!/bin/sh\necho "apt-get $*" >> ${calls}\nexit 1\n`);
    await chmod(join(bin, 'apt-get'), 0o755);
    const { SMARTNODE_DAEMON_CACHE: _cache, SMARTNODE_QBITTORRENT_CACHE: _qbt, ...env } = process.env;

    const run = spawnSync(process.execPath, [join(root, 'scripts', 'setup.mjs'), '--demo'], {
      cwd: root,
      env: { ...env, PATH: `${bin}:${process.env.PATH ?? ''}` },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).not.toMatch(/transmission lines|qbittorrent/i);
    expect(run.status, run.stderr).toBe(0);
    expect(existsSync(calls) ? await readFile(calls, 'utf8') : '').toBe('');
    expect(existsSync(join(root, '.cache'))).toBe(false);
  });
});
