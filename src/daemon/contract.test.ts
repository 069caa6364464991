import { randomBytes } from 'node:crypto';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createRealTorrent, pathExists, startTestDaemon } from '../../test/helpers/daemon.js';
import { describeDaemonContract } from './contract.js';
import { createMemoryDaemon } from './memory.js';
import { buildMetainfo } from './metainfo.js';
import { createTransmissionDaemon } from './transmission.js';

describeDaemonContract('in-memory fake', async () => {
  const downloadDir = '/srv/contract/downloads';
  const daemon = createMemoryDaemon({ directories: [downloadDir], capacityBytes: 10e9 });
  return {
    port: daemon,
    downloadDir,
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

describeDaemonContract('transmission-daemon 3.00 on 127.0.0.1', async () => {
  const daemon = await startTestDaemon();
  const connect = (password: string) =>
    createTransmissionDaemon({ url: daemon.rpcUrl, username: daemon.username, password, timeoutMs: 5000 });
  return {
    port: connect(daemon.password),
    downloadDir: daemon.downloadDir,
    makeTorrent: (options) =>
      createRealTorrent({ root: daemon.root, dataDir: daemon.downloadDir, withData: options?.withData ?? false }),
    dataExists: (name) => pathExists(join(daemon.downloadDir, name)),
    async corruptData(name) {
      const file = await open(join(daemon.downloadDir, name), 'r+');
      try {
        await file.write(Buffer.from('bit rot, bit rot'), 0, 16, 20_000);
      } finally {
        await file.close();
      }
    },
    deleteData: (name) => rm(join(daemon.downloadDir, name)),
    connect: (credentials) => connect(credentials.password),
    stopDaemon: () => daemon.stop(),
    startDaemon: () => daemon.start(),
    teardown: () => daemon.teardown(),
  };
});
