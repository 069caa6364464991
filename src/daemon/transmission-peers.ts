/**
 * The `peers` field of torrent-get (RPC spec 3.3: peers[]{address, port, progress,
 * rateToClient, rateToPeer, ...}) to DaemonPeer. Pure. One malformed peer is dropped, not the
 * torrent: an answer is untrusted input like any other.
 */
import { z } from 'zod';
import { parseInfoHash } from '../shared/index.js';
import type { DaemonPeer, TorrentPeers } from './port.js';

export const PEER_FIELDS = ['hashString', 'peers'] as const;

const RawPeer = z.object({
  address: z.string().max(64),
  port: z.number().int().min(0).max(65535),
  progress: z.number().min(0).max(1).catch(0),
  rateToClient: z.number().min(0).catch(0),
  rateToPeer: z.number().min(0).catch(0),
});

/** One row ({hashString, peers}) to TorrentPeers; null when the row has no usable hash. */
export function toTorrentPeers(row: unknown): TorrentPeers | null {
  if (typeof row !== 'object' || row === null) return null;
  const hash = 'hashString' in row && typeof row.hashString === 'string' ? parseInfoHash(row.hashString) : null;
  if (hash === null) return null;
  const raw = 'peers' in row && Array.isArray(row.peers) ? (row.peers as unknown[]) : [];
  const peers: DaemonPeer[] = [];
  for (const entry of raw) {
    const parsed = RawPeer.safeParse(entry);
    if (!parsed.success) continue;
    peers.push({
      address: parsed.data.address,
      port: parsed.data.port,
      progress: parsed.data.progress,
      rateToClientBytesPerSec: parsed.data.rateToClient,
      rateToPeerBytesPerSec: parsed.data.rateToPeer,
    });
  }
  return { infoHash: hash, peers };
}
