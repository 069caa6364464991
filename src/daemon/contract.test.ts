import { randomBytes } from 'node:crypto';
import { createRealTorrent, realDataOps, startTestDaemon } from '../../test/helpers/daemon.js';
import { describeDaemonContract } from './contract.suite.js';
import { createMemoryDaemon } from './memory.js';
import { buildMetainfo } from './metainfo.js';
import type { DaemonLine } from '../testkit/index.js';
import type { DaemonProtocol } from './port.js';
import { createTransmissionDaemon } from './transmission.js';

describeDaemonContract('in-memory fake', async () => {
  const downloadDir = '/srv/contract/downloads';
  const daemon = createMemoryDaemon({ directories: [downloadDir], capacityBytes: 10e9 });
  return {
    port: daemon,
    downloadDir,
    bandwidthGroups: false,
    async makeTorrent(options) {
      const data = randomBytes(48 * 1024 + 123);
      const built = buildMetainfo({
        name: `data-${randomBytes(6).toString('hex')}.bin`,
        data,
        announce: 'http://127.0.0.1:1/announce',
      });
      if (options?.withData === true) daemon.control.writeFile(`${downloadDir}/${built.name}`, data.length);
      return built;
    },
    dataExists: async (name) => daemon.control.fileExists(`${downloadDir}/${name}`),
    corruptData: async (name) => daemon.control.corruptFile(`${downloadDir}/${name}`, 14),
    deleteData: async (name) => daemon.control.deleteFile(`${downloadDir}/${name}`),
    connect: (credentials) => daemon.control.connect(credentials),
    stopDaemon: async () => daemon.control.down(),
    startDaemon: async () => daemon.control.up(),
    teardown: async () => undefined,
  };
});

// Every Transmission line a volunteer may run (README "Tested daemons"), each a real daemon:
// Debian 12's 3.00, Debian 13's 4.1.0-beta.2 (old protocol only, though its rpc-version is 18)
// and Debian unstable's 4.1.x, which this adapter talks to in JSON-RPC 2.0.
const LINES: { line: DaemonLine; name: string; version: RegExp; protocol: DaemonProtocol }[] = [
  { line: 'bookworm', name: 'transmission-daemon 3.00 (Debian 12)', version: /^3\.00 /, protocol: 'legacy' },
  { line: 'trixie', name: 'transmission-daemon 4.1.0-beta.2 (Debian 13), old protocol', version: /^4\.1\.0-beta\.2 /, protocol: 'legacy' },
  { line: 'sid', name: 'transmission-daemon 4.1.x (Debian unstable), JSON-RPC 2.0', version: /^4\.1\.[1-9]\d* /, protocol: 'json-rpc' },
];

for (const l of LINES) {
  describeDaemonContract(l.name, async () => {
    const daemon = await startTestDaemon({}, l.line);
    const connect = (password: string) =>
      createTransmissionDaemon({ url: daemon.rpcUrl, username: daemon.username, password, timeoutMs: 5000 });
    return {
      port: connect(daemon.password),
      downloadDir: daemon.downloadDir,
      bandwidthGroups: l.line !== 'bookworm',
      expectedVersion: { version: l.version, protocol: l.protocol },
      makeTorrent: (options) => createRealTorrent({ root: daemon.root, dataDir: daemon.downloadDir, withData: options?.withData ?? false }),
      ...realDataOps(daemon.downloadDir),
      connect: (credentials) => connect(credentials.password),
      stopDaemon: () => daemon.stop(),
      startDaemon: () => daemon.start(),
      teardown: () => daemon.teardown(),
    };
  });
}
