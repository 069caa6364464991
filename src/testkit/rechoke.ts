/**
 * Test-harness trick only, never agent behaviour: Transmission
 * 3.00 changes interest and choking only at its rechoke timer (~10 s). Starting any torrent
 * triggers a rechoke at once, so each daemon keeps a tiny paused trackerless "kicker" torrent
 * and starts+stops it when a rechoke is due:
 *  - leecher side: an incomplete torrent sees a complete peer (progress 1; before the peer's
 *    HAVE_ALL arrives the rechoke finds nothing and re-arms the timer) -> becomes interested;
 *  - seeder side: a peer is interested but choked (flagStr "u") -> gets unchoked.
 * Measured here: 6 MB from 2 seeders in ~7.5 s instead of ~14 s. Kicking only the leecher
 * does not help (the seeders keep it choked until their own timer fires).
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
   * Polls the daemon's torrents and kicks once per (torrent, peer, reason) that makes a
   * rechoke due. Returns a stopper that waits for the loop to end.
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

/** Keys "<hash> <peer address> <why>" of rechokes due (see the file comment) not yet done. */
async function torrentsDueForKick(daemon: RpcTarget, kickerHash: string, kicked: ReadonlySet<string>): Promise<string[]> {
  const answer = await rpcCall(daemon, 'torrent-get', { fields: ['hashString', 'percentDone', 'status', 'peers'] });
  // peers[].flagStr: "d" we want their data but are choked, "u" they want ours but we choke.
  const torrents = Array.isArray(answer['torrents']) ? answer['torrents'] : [];
  const due: string[] = [];
  for (const t of torrents) {
    if (!isRecord(t) || t['hashString'] === kickerHash || t['status'] === 0) continue;
    const isIncomplete = t['percentDone'] !== 1;
    for (const peer of Array.isArray(t['peers']) ? t['peers'] : []) {
      if (!isRecord(peer)) continue;
      const prefix = `${String(t['hashString'])} ${String(peer['address'])}`;
      const reasons: string[] = [];
      if (isIncomplete && peer['progress'] === 1) reasons.push('complete-peer');
      if (String(peer['flagStr']).includes('u')) reasons.push('choked-interested-peer');
      for (const reason of reasons) {
        const key = `${prefix} ${reason}`;
        if (!kicked.has(key)) due.push(key);
      }
    }
  }
  return due;
}
