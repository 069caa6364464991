/**
 * A real transmission-daemon on 127.0.0.1 for tests, with the pieces the contract suite
 * needs: real .torrent files made by transmission-create from random bytes, and a restart.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { toInfoHash } from '../../src/shared/index.js';
import { readMetainfoSummary } from '../../src/daemon/metainfo.js';
import type { DaemonLine } from '../../src/testkit/daemon-lines.js';
import { startDaemonProcess, type DaemonProcess, type DaemonProcessOptions } from '../../src/testkit/daemon-process.js';

const run = promisify(execFile);

/** A port nothing listens on right now (the kernel's pick, released at once). */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface TestDaemon {
  readonly rpcUrl: string;
  readonly username: string;
  readonly password: string;
  readonly root: string;
  readonly downloadDir: string;
  process(): DaemonProcess;
  /** Stops the process (SIGTERM) keeping its config and resume files. */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same config dir. */
  start(): Promise<void>;
  /** Stops it and deletes every file it had. */
  teardown(): Promise<void>;
}

export async function startTestDaemon(settings: Record<string, unknown> = {}, line: DaemonLine = 'bookworm'): Promise<TestDaemon> {
  const root = await mkdtemp(join(tmpdir(), 'smartnode-daemon-'));
  const options: DaemonProcessOptions = {
    configDir: join(root, 'config'),
    downloadDir: join(root, 'downloads'),
    bindAddress: '127.0.0.1',
    rpcPort: await findFreePort(),
    peerPort: await findFreePort(),
    username: 'smartnode',
    password: `pw-${randomBytes(6).toString('hex')}`,
    settings,
    line,
  };
  let current = await startDaemonProcess(options);
  return {
    rpcUrl: current.rpcUrl,
    username: options.username,
    password: options.password,
    root,
    downloadDir: options.downloadDir,
    process: () => current,
    stop: () => current.stop(),
    async start() {
      current = await startDaemonProcess(options);
    },
    async teardown() {
      await current.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface RealTorrent {
  metainfo: Uint8Array;
  infoHash: ReturnType<typeof toInfoHash>;
  name: string;
  sizeBytes: number;
  /** Where the data is (inside dataDir when withData, else a scratch dir). */
  dataPath: string;
}

/**
 * Writes `sizeBytes` random bytes as one file and runs transmission-create on it, with a
 * dummy tracker on 127.0.0.1 port 1 (refused at once: nothing leaves the machine).
 */
export async function createRealTorrent(options: {
  root: string;
  dataDir: string;
  withData: boolean;
  sizeBytes?: number;
}): Promise<RealTorrent> {
  const name = `data-${randomBytes(6).toString('hex')}.bin`;
  const dir = options.withData ? options.dataDir : join(options.root, 'scratch');
  await mkdir(dir, { recursive: true });
  const dataPath = join(dir, name);
  const sizeBytes = options.sizeBytes ?? 48 * 1024 + 123;
  await writeFile(dataPath, randomBytes(sizeBytes));
  const torrentPath = join(options.root, `${name}.torrent`);
  await run('transmission-create', ['-o', torrentPath, '-t', 'http://127.0.0.1:1/announce', dataPath]);
  const metainfo = new Uint8Array(await readFile(torrentPath));
  const summary = readMetainfoSummary(metainfo);
  return { metainfo, infoHash: summary.infoHash, name, sizeBytes, dataPath };
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The contract fixture's data operations on a real download directory. */
export function realDataOps(downloadDir: string): {
  dataExists(name: string): Promise<boolean>;
  corruptData(name: string): Promise<void>;
  deleteData(name: string): Promise<void>;
} {
  return {
    dataExists: (name) => pathExists(join(downloadDir, name)),
    async corruptData(name) {
      const file = await open(join(downloadDir, name), 'r+');
      try {
        await file.write(Buffer.from('bit rot, bit rot'), 0, 16, 20_000);
      } finally {
        await file.close();
      }
    },
    deleteData: (name) => rm(join(downloadDir, name)),
  };
}
