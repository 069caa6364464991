/**
 * The volunteer's client in a mirror world when it is not a transmission-daemon: a real
 * qbittorrent-nox in its own network namespace on the swarm's bridge, so it has an address of
 * its own, as on the internet.
 *
 * Why a namespace and not loopback: a Transmission 3.00 seeder never dials a peer in 127.0.0.0/8
 * (netns.ts) and holds at most one pending incoming handshake per address (complete.ts). On
 * loopback only the volunteer dials, and when the agent adds two torrents at once libtorrent opens
 * both connections to the one seeder at the same moment; the seeder closes the second, and
 * libtorrent holds that peer back as failed. Measured on 127.0.0.1 with qbittorrent-nox 4.5.2:
 * one torrent complete in 10 s, the other with no peer for over 110 s, tracker answering every
 * 5 s. Here the seeder learns the volunteer's address from the tracker and dials it itself.
 */
import { join } from 'node:path';
import type { NetworkHost } from './netns.js';
import { startQbittorrentProcess, type QbittorrentLine } from './qbittorrent-process.js';
import { DAEMON_PEER_PORT } from './swarm.js';

export type VolunteerClient = { client: 'qbittorrent'; line: QbittorrentLine };

export interface WorldVolunteer {
  client: 'transmission' | 'qbittorrent';
  /** The RPC URL (Transmission) or the WebUI origin (qBittorrent). */
  url: string;
  username: string;
  password: string;
}

export const QBITTORRENT_WEBUI_PORT = 8080;

export async function startQbittorrentVolunteer(
  host: NetworkHost,
  client: VolunteerClient,
  options: { dir: string; password: string },
): Promise<WorldVolunteer & { stop(): Promise<void> }> {
  const username = 'volunteer';
  const qbt = await startQbittorrentProcess({
    profileDir: join(options.dir, 'profile'),
    downloadDir: join(options.dir, 'downloads'),
    bindAddress: host.address,
    webuiPort: QBITTORRENT_WEBUI_PORT,
    peerPort: DAEMON_PEER_PORT,
    username,
    password: options.password,
    line: client.line,
    netns: host.name,
    readyTimeoutMs: 30_000,
  });
  return { client: 'qbittorrent', url: qbt.url, username, password: options.password, stop: () => qbt.stop(5000) };
}
