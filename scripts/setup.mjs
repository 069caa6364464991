#!/usr/bin/env node
// Installs what `npm run demo`, `npm test` and `npm run bench` need on a fresh Debian/Ubuntu
// machine: node modules (npm ci when missing or stale) and, through apt-get when running as
// root, transmission-daemon, transmission-cli, qbittorrent-nox, iproute2, tmux, systemd, prometheus and faketime; and the transmission-daemons of
// Debian 13 and unstable in private roots (transmission-lines.mjs). Without root it stops and prints the
// exact command to run. Plain Node builtins only: it runs before node_modules exists.
// `--demo` (what `npm run demo` runs) installs only what the demo uses: Debian's own
// transmission-daemon and transmission-cli and iproute2, no other daemon line.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureQbittorrentLines } from './qbittorrent-lines.mjs';
import { ensureTransmissionLines } from './transmission-lines.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const demoOnly = process.argv.includes('--demo');
const APT_PACKAGES = [
  { command: 'transmission-daemon', pkg: 'transmission-daemon', demo: true },
  { command: 'transmission-create', pkg: 'transmission-cli', demo: true },
  // qBittorrent 4.5 (Debian 12's own) for the qBittorrent adapter's contract and mirror tests.
  { command: 'qbittorrent-nox', pkg: 'qbittorrent-nox' },
  { command: 'ip', pkg: 'iproute2', demo: true },
  // The dashboard's end-to-end test drives the real binary in a real terminal.
  { command: 'tmux', pkg: 'tmux' },
  // `systemd-analyze verify` checks examples/smartnode.service (offline; no systemd needs to run).
  { command: 'systemd-analyze', pkg: 'systemd' },
  // The metrics end-to-end test has a real Prometheus scrape a running agent (on loopback,
  // its own config and port; the packaged service is not used).
  { command: 'prometheus', pkg: 'prometheus' },
  // The clock-step end-to-end test steps a running agent's wall clock with libfaketime.
  { command: 'faketime', pkg: 'faketime' },
];

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function run(command, args, env = process.env) {
  console.error(`setup: ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd: root, stdio: 'inherit', env });
}

function ensureNodeModules() {
  const lock = join(root, 'package-lock.json');
  const stamp = join(root, 'node_modules', '.package-lock.json');
  const stale = !existsSync(stamp) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(stamp).mtimeMs + 1000);
  if (stale) run('npm', ['ci', '--no-audit', '--no-fund']);
}

function ensureAptPackages() {
  const missing = APT_PACKAGES.filter((p) => (p.demo || !demoOnly) && !has(p.command)).map((p) => p.pkg);
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  if (!isRoot || !has('apt-get')) {
    console.error(`smartnode setup: missing ${missing.join(', ')}.\nInstall them, then run this again:\n  sudo sh -c '${command}'`);
    process.exit(1);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], env);
  run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], env);
}

ensureAptPackages();
ensureNodeModules();
if (!demoOnly) {
  // The newer daemon lines (Debian 13's and unstable's) for the tests that run every line. A line
  // that cannot be had does not stop setup: its tests fail with the recorded reason.
  ensureTransmissionLines();
  // qbittorrent-nox of Debian 13 (5.1) and unstable (5.3+), the same way, under .cache/qbittorrent.
  ensureQbittorrentLines();
}
