#!/usr/bin/env node
// Installs the transmission-daemon of newer Debian releases next to the machine's own, for the
// tests that run every Transmission line a volunteer may have: Debian 13 (trixie, 4.1.0-beta.2,
// old protocol only) and Debian unstable (sid, 4.1.x, JSON-RPC 2.0).
//
// The machine's apt sources are never touched: each release gets a private apt configuration
// (its own sources list, lists, cache and an empty dpkg status) under .cache/transmission/,
// `apt-get download` fetches transmission-daemon and its whole library closure, `dpkg -x`
// unpacks each .deb into one private root, and the daemon is started through that root's own
// dynamic loader (src/testkit/daemon-lines.ts). A finished root is stamped with line.json and
// reused; a failure is written to error.txt, which the tests that need the line report as
// their failure. Plain Node builtins only: it runs before node_modules exists.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const LINES_DIR = process.env.SMARTNODE_DAEMON_CACHE ?? join(root, '.cache', 'transmission');
export const RELEASES = ['trixie', 'sid'];
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';
const LOADER = 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2';

/** The archive the machine's own apt source names (deb.debian.org or a mirror). */
export function archiveUri() {
  const deb822 = '/etc/apt/sources.list.d/debian.sources';
  if (existsSync(deb822)) {
    for (const line of readFileSync(deb822, 'utf8').split('\n')) {
      const m = /^URIs:\s*(\S+)/.exec(line);
      if (m && !/security/.test(m[1])) return m[1];
    }
  }
  if (existsSync('/etc/apt/sources.list')) {
    for (const line of readFileSync('/etc/apt/sources.list', 'utf8').split('\n')) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/.exec(line);
      if (m && !/security/.test(m[1])) return m[1];
    }
  }
  return 'http://deb.debian.org/debian';
}

export function aptOptions(dir) {
  return [
    '-o',
    `Dir::Etc::sourcelist=${join(dir, 'apt', 'sources.list')}`,
    '-o',
    'Dir::Etc::sourceparts=-',
    '-o',
    'Dir::Etc::preferencesparts=-',
    '-o',
    `Dir::Etc::preferences=${join(dir, 'apt', 'preferences')}`,
    '-o',
    `Dir::State::Lists=${join(dir, 'apt', 'lists')}`,
    '-o',
    `Dir::Cache=${join(dir, 'apt', 'cache')}`,
    '-o',
    `Dir::State::status=${join(dir, 'apt', 'status')}`,
    '-o',
    'APT::Architectures=amd64',
    '-o',
    'Debug::NoLocking=1',
    '-o',
    'Acquire::Languages=none',
  ];
}

function run(command, args, cwd) {
  return execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** What failed, with the command's own last words. */
export function describeFailure(error) {
  const stderr = typeof error?.stderr === 'string' ? error.stderr.trim().split('\n').slice(-4).join('\n') : '';
  return `${error?.message?.split('\n')[0] ?? String(error)}${stderr ? `\n${stderr}` : ''}`;
}

/** The packages `pkg` needs at run time (real packages only, no virtual ones). */
function closure(options, pkg) {
  const out = run('apt-cache', [
    ...options,
    'depends',
    '--recurse',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
    '--no-pre-depends',
    pkg,
  ]);
  const names = new Set();
  for (const line of out.split('\n')) if (/^[a-z0-9][a-z0-9+.-]*$/.test(line)) names.add(line);
  // Pre-Depends were left out above to skip dpkg's own chain; libc6 is one of them elsewhere.
  names.add('libc6');
  return [...names].sort();
}

export function installLine(release) {
  return installRoot({ dir: join(LINES_DIR, release), release, pkg: 'transmission-daemon', binary: 'usr/bin/transmission-daemon' });
}

/**
 * Unpacks Debian `release`'s `pkg` with its library closure into `dir`/root and probes
 * `binary --version` through the root's loader (libraries from `libDirs` inside the root);
 * stamps `dir`/line.json, or writes error.txt.
 */
export function installRoot({ dir, release, pkg, binary, libDirs = ['usr/lib/x86_64-linux-gnu'] }) {
  if (process.arch !== 'x64') throw new Error(`only x86_64 roots are prepared (this machine is ${process.arch})`);
  const stamp = join(dir, 'line.json');
  if (existsSync(stamp) && existsSync(join(dir, 'root', LOADER))) return { cached: true, ...JSON.parse(readFileSync(stamp, 'utf8')) };
  const started = Date.now();
  rmSync(join(dir, 'error.txt'), { force: true });
  rmSync(join(dir, 'root'), { recursive: true, force: true });
  for (const sub of ['apt/lists/partial', 'apt/cache/archives/partial', 'debs', 'root']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'apt', 'sources.list'), `deb [signed-by=${KEYRING}] ${archiveUri()} ${release} main\n`);
  writeFileSync(join(dir, 'apt', 'preferences'), '');
  writeFileSync(join(dir, 'apt', 'status'), '');
  const options = aptOptions(dir);
  let step = `apt-get update (${release})`;
  try {
    run('apt-get', [...options, '-qq', 'update']);
    step = `apt-cache depends ${pkg}`;
    const packages = closure(options, pkg);
    step = `apt-get download of ${packages.length} packages`;
    const debs = join(dir, 'debs');
    for (const f of readdirSync(debs)) rmSync(join(debs, f));
    run('apt-get', [...options, '-qq', 'download', ...packages], debs);
    step = 'dpkg -x';
    for (const deb of readdirSync(debs).filter((f) => f.endsWith('.deb'))) run('dpkg', ['-x', join(debs, deb), join(dir, 'root')]);
    if (!existsSync(join(dir, 'root', LOADER))) throw new Error(`the unpacked root has no ${LOADER}`);
    step = 'reading the version';
    // transmission-daemon prints its version on stderr, qbittorrent-nox on stdout.
    const probe = spawnSync(
      join(dir, 'root', LOADER),
      ['--library-path', libDirs.map((d) => join(dir, 'root', d)).join(':'), join(dir, 'root', binary), '--version'],
      { encoding: 'utf8' },
    );
    const versionLine = `${probe.stdout ?? ''}${probe.stderr ?? ''}`.trim();
    if (probe.status !== 0 || !/\d+\.\d+/.test(versionLine))
      throw new Error(`the daemon does not start: ${versionLine || `exit ${probe.status}`}`);
    const pkgVersion = run('dpkg-deb', [
      '-f',
      join(
        debs,
        readdirSync(debs).find((f) => f.startsWith(`${pkg}_`)),
      ),
      'Version',
    ]).trim();
    rmSync(debs, { recursive: true, force: true });
    rmSync(join(dir, 'apt', 'cache'), { recursive: true, force: true });
    const line = { release, package: pkgVersion, version: versionLine, preparedMs: Date.now() - started };
    writeFileSync(stamp, `${JSON.stringify(line, null, 2)}\n`);
    return { cached: false, ...line };
  } catch (error) {
    const message = `could not prepare ${pkg} from Debian ${release}: ${step} failed: ${describeFailure(error)}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'error.txt'), `${message}\n`);
    throw new Error(message);
  }
}

export function ensureTransmissionLines() {
  const failures = [];
  for (const release of RELEASES) {
    try {
      const line = installLine(release);
      if (!line.cached) {
        const seconds = (line.preparedMs / 1000).toFixed(1);
        console.error(
          `setup: transmission-daemon ${line.package} from Debian ${release} ready in ${seconds} s (${join(LINES_DIR, release, 'root')})`,
        );
      }
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  for (const f of failures) {
    const next = 'the tests that run this daemon line will fail with this message; run `npm run setup` again once the cause is fixed';
    console.error(`smartnode setup: ${f}\n  (${next})`);
  }
  return failures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = ensureTransmissionLines().length === 0 ? 0 : 1;
}
