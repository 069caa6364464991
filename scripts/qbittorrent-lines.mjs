#!/usr/bin/env node
// Installs the qbittorrent-nox of newer Debian releases next to the machine's own (Debian 12's
// 4.5.x, from apt through setup.mjs), for the tests that run every qBittorrent line a volunteer
// may have: Debian 13 (trixie, 5.1.x) and Debian unstable (sid, 5.2 and newer: the API key).
// Each release gets a private root under .cache/qbittorrent/<release>, prepared exactly as the
// Transmission lines are (transmission-lines.mjs: a private apt configuration, `apt-get
// download` of the library closure, `dpkg -x`, started through the root's own loader).
// Plain Node builtins only: it runs before node_modules exists.
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installRoot } from './transmission-lines.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const QBITTORRENT_DIR = process.env.SMARTNODE_QBITTORRENT_CACHE ?? join(root, '.cache', 'qbittorrent');
export const QBITTORRENT_RELEASES = ['trixie', 'sid'];
/** Qt's network library loads libproxy, which keeps its backend in a directory of its own. */
export const QBITTORRENT_LIB_DIRS = ['usr/lib/x86_64-linux-gnu', 'usr/lib/x86_64-linux-gnu/libproxy'];

export function ensureQbittorrentLines() {
  const failures = [];
  for (const release of QBITTORRENT_RELEASES) {
    try {
      const dir = join(QBITTORRENT_DIR, release);
      const line = installRoot({ dir, release, pkg: 'qbittorrent-nox', binary: 'usr/bin/qbittorrent-nox', libDirs: QBITTORRENT_LIB_DIRS });
      if (!line.cached) {
        const seconds = (line.preparedMs / 1000).toFixed(1);
        console.error(`setup: qbittorrent-nox ${line.package} from Debian ${release} ready in ${seconds} s (${join(dir, 'root')})`);
      }
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  for (const f of failures) {
    const next = 'the tests that run this qBittorrent line will fail with this message; run `npm run setup` again once the cause is fixed';
    console.error(`smartnode setup: ${f}\n  (${next})`);
  }
  return failures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = ensureQbittorrentLines().length === 0 ? 0 : 1;
}
