/**
 * The `peers` field of torrent-get (RPC spec 3.3: peers[]{address, port, progress,
 * rateToClient, rateToPeer, ...}) to DaemonPeer. Pure. One malformed peer is dropped, not the
 * torrent: an answer is untrusted input like any other. A row without the fields asked for
 * is an error (the daemon changed), never an empty peer list.
 */
import { z } from 'zod';
import { parseInfoHash } from '../shared/index.js';
import type { DaemonPeer, TorrentPeers } from './port.js';

export const PEER_FIELDS = ['hashString', 'peers'] as const;

const RawPeer = z.object({
  address: z.string().max(64),
  port: z.number().int().min(0).max(65535),
  progress: z.number().min(0).max(1),
  // 3.00 has been seen answering -1 for a rate it has not measured yet: that is no traffic.
  rateToClient: z.number().transform((v) => Math.max(0, v)),
  rateToPeer: z.number().transform((v) => Math.max(0, v)),
});

/** One row ({hashString, peers}) to TorrentPeers, or what is wrong with it. */
export function toTorrentPeers(row: unknown): { peers: TorrentPeers } | { problem: string } {
  if (typeof row !== 'object' || row === null) return { problem: 'a torrent is not an object' };
  const hash = 'hashString' in row && typeof row.hashString === 'string' ? parseInfoHash(row.hashString) : null;
  if (hash === null) return { problem: 'a torrent without the field "hashString" (or not an info-hash)' };
  if (!('peers' in row) || !Array.isArray(row.peers)) return { problem: `torrent ${hash} without the field "peers"` };
  const raw = row.peers as unknown[];
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
  return { peers: { infoHash: hash, peers } };
}
