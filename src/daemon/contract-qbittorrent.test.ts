import { join } from 'node:path';
import { createRealTorrent, pathExists, realDataOps } from '../../test/helpers/daemon.js';
import { startTestQbittorrent } from '../../test/helpers/qbittorrent.js';
import type { QbittorrentLine } from '../testkit/index.js';
import { describeDaemonContract } from './contract.suite.js';
import { createQbittorrentDaemon } from './qbittorrent.js';

// Every qBittorrent line a volunteer may run (README "Tested daemons"), each a real
// qbittorrent-nox: Debian 12's 4.5.x (cookie SID, pause/resume), Debian 13's 5.1.x (stop/start)
// and Debian unstable's 5.3.x (204/401 logins, the QBT_SID_<port> cookie).
const LINES: { line: QbittorrentLine; name: string; version: RegExp }[] = [
  { line: 'bookworm', name: 'qbittorrent-nox 4.5.x (Debian 12)', version: /^4\.5\./ },
  { line: 'trixie', name: 'qbittorrent-nox 5.1.x (Debian 13)', version: /^5\.1\./ },
  { line: 'sid', name: 'qbittorrent-nox 5.3.x (Debian unstable)', version: /^5\.[3-9]\./ },
];

for (const l of LINES) {
  describeDaemonContract(l.name, async () => {
    const q = await startTestQbittorrent(l.line);
    const connect = (password: string) => createQbittorrentDaemon({ url: q.url, username: q.username, password, timeoutMs: 5000 });
    return {
      port: connect(q.password),
      downloadDir: q.downloadDir,
      bandwidthGroups: false,
      expectedVersion: { version: l.version, protocol: 'webui-v2' },
      differences: { labelsAreSortedSet: true, alwaysHonorsSessionLimits: true, vanishedDataRedownloads: true },
      makeTorrent: (options) => createRealTorrent({ root: q.root, dataDir: q.downloadDir, withData: options?.withData ?? false }),
      ...realDataOps(q.downloadDir),
      connect: (credentials) => connect(credentials.password),
      // Its resume data in the profile: what a restart restores torrents from. 5.1 ends a shutdown
      // early while an add's move runs, losing a torrent not stored yet.
      isStored: (infoHash) => pathExists(join(q.profileDir, 'qBittorrent', 'data', 'BT_backup', `${infoHash}.fastresume`)),
      stopDaemon: () => q.stop(),
      startDaemon: () => q.start(),
      teardown: () => q.teardown(),
    };
  });
}
