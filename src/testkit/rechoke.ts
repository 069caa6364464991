/**
 * Test-harness trick only, never agent behaviour (see /work/shared/swarm.md): Transmission
 * 3.00 becomes interested in a peer only at its next rechoke, up to ~10 s after the add.
 * Starting any torrent triggers a rechoke at once, so each daemon keeps a tiny paused
 * trackerless "kicker" torrent and starts+stops it once the leeching torrent sees a complete
 * peer (progress 1; earlier, before the peer's HAVE_ALL, the rechoke finds nothing to do).
 */
import { join } from 'node:path';
import { addTorrent, isRecord, rpcCall, type RpcTarget } from './rpc.js';
import { createTorrentFile, makeDataset } from './torrents.js';

export interface RechokeKicker {
  readonly infoHash: string;
  /** Start and stop the kicker torrent: one immediate rechoke on that daemon. */
  kick(): Promise<void>;
  /** Number of kicks so far. */
  kicks(): number;
  /**
   * Polls the daemon's torrents and kicks once whenever an incomplete torrent gains a
   * complete peer it was not kicked for. Returns a stopper that waits for the loop to end.
   */
  startAuto(options?: { intervalMs?: number }): () => Promise<void>;
}

export async function installRechokeKicker(daemon: RpcTarget, workDir: string): Promise<RechokeKicker> {
  const dataset = await makeDataset({ dir: join(workDir, 'data'), name: 'kicker', files: [{ path: 'k.bin', sizeBytes: 16_384 }] });
  const torrent = await createTorrentFile({ contentPath: dataset.contentPath, outFile: join(workDir, 'kicker.torrent') });
  await addTorrent(daemon, { metainfo: torrent.metainfo, downloadDir: dataset.dir, paused: true });
  let count = 0;
  const kick = async (): Promise<void> => {
    await rpcCall(daemon, 'torrent-start-now', { ids: [torrent.infoHash] });
    await rpcCall(daemon, 'torrent-stop', { ids: [torrent.infoHash] });
    count += 1;
  };

  return {
    infoHash: torrent.infoHash,
    kick,
    kicks: () => count,
    startAuto(options = {}) {
      const kicked = new Set<string>();
      let running = true;
      let wake: (() => void) | undefined;
      const loop = (async () => {
        while (running) {
          try {
            const due = await torrentsDueForKick(daemon, torrent.infoHash, kicked);
            if (due.length > 0) {
              for (const key of due) kicked.add(key);
              await kick();
            }
          } catch {
            // The daemon may be stopping under us; the owner of the swarm reports real failures.
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
            setTimeout(resolve, options.intervalMs ?? 200);
          });
        }
      })();
      return async () => {
        running = false;
        wake?.();
        await loop;
      };
    },
  };
}

/** Keys "<hash> <peer address>" of complete peers of incomplete torrents not yet kicked for. */
async function torrentsDueForKick(daemon: RpcTarget, kickerHash: string, kicked: ReadonlySet<string>): Promise<string[]> {
  const answer = await rpcCall(daemon, 'torrent-get', { fields: ['hashString', 'percentDone', 'status', 'peers'] });
  const torrents = Array.isArray(answer['torrents']) ? answer['torrents'] : [];
  const due: string[] = [];
  for (const t of torrents) {
    if (!isRecord(t) || t['hashString'] === kickerHash || t['percentDone'] === 1 || t['status'] === 0) continue;
    for (const peer of Array.isArray(t['peers']) ? t['peers'] : []) {
      if (!isRecord(peer) || peer['progress'] !== 1) continue;
      const key = `${String(t['hashString'])} ${String(peer['address'])}`;
      if (!kicked.has(key)) due.push(key);
    }
  }
  return due;
}
