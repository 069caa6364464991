/**
 * Waiting for torrents to complete on a real daemon. A download that stops moving (no byte for
 * `stallMs`) is re-announced, so a daemon that drew an empty peer list asks the tracker again;
 * with `restartAfterMs`, one that stays still that long is stopped and started, here and on
 * `sources`, which closes every peer connection of that torrent on both sides and lets them
 * meet afresh instead of waiting out a reconnect backoff or a connection one side still
 * believes open. The test still fails at the deadline if the bytes never come. A timeout
 * names each unfinished torrent with its progress, peers, error and last announce (and its
 * state on `sources`, the daemons that should be serving it), which is what tells a slow
 * machine from a swarm that never connected.
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
  options: { timeoutMs: number; what?: string; stallMs?: number; restartAfterMs?: number; sources?: readonly RpcTarget[] },
): Promise<void> {
  const stallMs = options.stallMs ?? 8000;
  const lastMove = new Map<string, { bytes: number; atMs: number; stillSinceMs: number }>();
  let sourcesState = '';
  let rows: Row[] = [];
  await waitFor(
    async () => {
      rows = await listRows(target, hashes);
      const now = Date.now();
      const stalled: string[] = [];
      const restart: string[] = [];
      for (const row of rows) {
        if (row.percentDone === 1) continue;
        const seen = lastMove.get(row.hashString);
        if (seen === undefined || seen.bytes !== row.downloadedEver) {
          lastMove.set(row.hashString, { bytes: row.downloadedEver, atMs: now, stillSinceMs: now });
        } else if (options.restartAfterMs !== undefined && now - seen.stillSinceMs >= options.restartAfterMs) {
          restart.push(row.hashString);
          seen.atMs = now;
          seen.stillSinceMs = now;
        } else if (now - seen.atMs >= stallMs) {
          stalled.push(row.hashString);
          seen.atMs = now;
        }
      }
      if (stalled.length > 0) await rpcCall(target, 'torrent-reannounce', { ids: stalled });
      if (restart.length > 0) {
        for (const d of [target, ...(options.sources ?? [])]) {
          await rpcCall(d, 'torrent-stop', { ids: restart });
          await rpcCall(d, 'torrent-start', { ids: restart });
        }
      }
      if (restart.length + stalled.length > 0 && options.sources !== undefined) {
        const states = await Promise.all(options.sources.map((d) => describeOn(d, hashes)));
        sourcesState = states.join(' | ');
      }
      return rows.length === hashes.length && rows.every((r) => r.percentDone === 1);
    },
    {
      what: options.what ?? `${hashes.length} torrent(s) to complete on ${target.rpcUrl}`,
      timeoutMs: options.timeoutMs,
      intervalMs: 250,
      progress: () => describeRows(hashes, rows) + (sourcesState === '' ? '' : `; on the sources: ${sourcesState}`),
    },
  );
}

const FIELDS = ['hashString', 'percentDone', 'downloadedEver', 'peersConnected', 'status', 'errorString', 'trackerStats'];

async function listRows(target: RpcTarget, hashes: readonly string[]): Promise<Row[]> {
  return (await rpcCall(target, 'torrent-get', { ids: [...hashes], fields: FIELDS }))['torrents'] as Row[];
}

async function describeOn(target: RpcTarget, hashes: readonly string[]): Promise<string> {
  const rows = await listRows(target, hashes).catch((error: unknown) => String(error));
  return `${target.rpcUrl}: ${typeof rows === 'string' ? rows : describeRows(hashes, rows)}`;
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
