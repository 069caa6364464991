/**
 * A real qbittorrent-nox on 127.0.0.1 for tests: a temporary profile, a known WebUI password,
 * and a restart that keeps the profile (its torrents survive).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startQbittorrentProcess,
  type QbittorrentLine,
  type QbittorrentProcess,
  type QbittorrentProcessOptions,
} from '../../src/testkit/qbittorrent-process.js';
import { findFreePort } from './daemon.js';

export interface TestQbittorrent {
  readonly url: string;
  readonly username: string;
  readonly password: string;
  readonly root: string;
  readonly downloadDir: string;
  readonly profileDir: string;
  process(): QbittorrentProcess;
  stop(): Promise<void>;
  start(): Promise<void>;
  teardown(): Promise<void>;
}

export async function startTestQbittorrent(
  line: QbittorrentLine = 'bookworm',
  extra: Partial<QbittorrentProcessOptions> = {},
): Promise<TestQbittorrent> {
  const root = await mkdtemp(join(tmpdir(), 'smartnode-qbt-'));
  const options: QbittorrentProcessOptions = {
    profileDir: join(root, 'profile'),
    downloadDir: join(root, 'downloads'),
    bindAddress: '127.0.0.1',
    webuiPort: await findFreePort(),
    peerPort: await findFreePort(),
    username: 'smartnode',
    password: `pw-${randomBytes(6).toString('hex')}`,
    line,
    ...extra,
  };
  let current = await startQbittorrentProcess(options);
  return {
    url: current.url,
    username: options.username,
    password: options.password,
    root,
    downloadDir: options.downloadDir,
    profileDir: options.profileDir,
    process: () => current,
    stop: () => current.stop(),
    async start() {
      current = await startQbittorrentProcess(options);
    },
    async teardown() {
      await current.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}
