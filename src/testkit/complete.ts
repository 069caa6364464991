/**
 * Waiting for torrents to complete on a real daemon. A download that stops moving (no byte for
 * `stallMs`) is re-announced, so a daemon that drew an empty peer list, or gave up on a peer
 * while the swarm was still starting, asks the tracker again instead of waiting out its own
 * backoff; the test still fails at the deadline if the bytes never come. A timeout names each
 * unfinished torrent with its progress, peers, error and last announce, which is what tells a
 * slow machine from a swarm that never connected.
 */
import { rpcCall, type RpcTarget } from './rpc.js';
import { waitFor } from './swarm.js';

interface Row {
  hashString: string;
  percentDone: number;
  downloadedEver: number;
  peersConnected: number;
  status: number;
  errorString: string;
  trackerStats: { lastAnnounceResult?: string; lastAnnouncePeerCount?: number }[];
}

export async function waitComplete(
  target: RpcTarget,
  hashes: readonly string[],
  options: { timeoutMs: number; what?: string; stallMs?: number },
): Promise<void> {
  const stallMs = options.stallMs ?? 8000;
  const lastMove = new Map<string, { bytes: number; atMs: number }>();
  let rows: Row[] = [];
  await waitFor(
    async () => {
      const answer = await rpcCall(target, 'torrent-get', {
        ids: [...hashes],
        fields: ['hashString', 'percentDone', 'downloadedEver', 'peersConnected', 'status', 'errorString', 'trackerStats'],
      });
      rows = answer['torrents'] as Row[];
      const now = Date.now();
      const stalled: string[] = [];
      for (const row of rows) {
        if (row.percentDone === 1) continue;
        const seen = lastMove.get(row.hashString);
        if (seen === undefined || seen.bytes !== row.downloadedEver) {
          lastMove.set(row.hashString, { bytes: row.downloadedEver, atMs: now });
        } else if (now - seen.atMs >= stallMs) {
          stalled.push(row.hashString);
          seen.atMs = now;
        }
      }
      if (stalled.length > 0) await rpcCall(target, 'torrent-reannounce', { ids: stalled });
      return rows.length === hashes.length && rows.every((r) => r.percentDone === 1);
    },
    {
      what: options.what ?? `${hashes.length} torrent(s) to complete on ${target.rpcUrl}`,
      timeoutMs: options.timeoutMs,
      intervalMs: 250,
      progress: () => describeRows(hashes, rows),
    },
  );
}

function describeRows(hashes: readonly string[], rows: readonly Row[]): string {
  return hashes
    .map((h) => {
      const row = rows.find((r) => r.hashString === h);
      if (row === undefined) return `${h.slice(0, 8)}: not listed`;
      const announce = row.trackerStats.map((t) => `${t.lastAnnounceResult ?? '?'} (${t.lastAnnouncePeerCount ?? '?'} peers)`).join(', ');
      const error = row.errorString === '' ? '' : `, error "${row.errorString}"`;
      return (
        `${h.slice(0, 8)}: ${(100 * row.percentDone).toFixed(1)} % (${row.downloadedEver} B), status ${row.status}, ` +
        `${row.peersConnected} peer(s)${error}, last announce ${announce || 'none'}`
      );
    })
    .join('; ');
}
