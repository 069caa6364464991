/**
 * Waiting for torrents to complete on a real daemon. A download that stops moving (no byte for
 * `stallMs`) is re-announced, so a daemon that drew an empty peer list asks the tracker again;
 * one with no peer at all is also given a fresh swarm on each of `sources`: the source removes
 * the torrent (keeping its data) and adds it again, same directory, same labels.
 *
 * Why: two test daemons are each other's only peer, and 3.00's peer manager remembers every
 * fruitless contact per torrent. Its one pending incoming handshake per address refuses the
 * second of two torrents' simultaneous connections (the agent adds several at once), which
 * marks the other daemon "unreachable"; a connection to a torrent held stopped (a content
 * check) counts as a failure, and so does a seed-to-seed disconnect. The reconnect interval
 * grows with these to 2, 15, 30 minutes, in both daemons, for that torrent's whole life: a
 * repair download then waits that long with the source in every tracker answer. A re-added
 * torrent starts with no such memory; the downloading side, the agent's daemon, is left as the
 * agent made it. The test fails at the deadline if the bytes never come. A timeout names each
 * unfinished torrent with its progress, peers, error and last announce (and its state on the
 * sources), which is what tells a slow machine from a swarm that never connected.
 */
import { readFile } from 'node:fs/promises';
import { addTorrent, getTorrent, rpcCall, type RpcTarget } from './rpc.js';
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
  options: { timeoutMs: number; what?: string; stallMs?: number; sources?: readonly RpcTarget[] },
): Promise<void> {
  const stallMs = options.stallMs ?? 8000;
  const lastMove = new Map<string, { bytes: number; atMs: number }>();
  let sourcesState = '';
  let rows: Row[] = [];
  await waitFor(
    async () => {
      rows = await listRows(target, hashes);
      const now = Date.now();
      const stalled: string[] = [];
      const refresh: string[] = [];
      for (const row of rows) {
        if (row.percentDone === 1) continue;
        const seen = lastMove.get(row.hashString);
        if (seen === undefined || seen.bytes !== row.downloadedEver) {
          lastMove.set(row.hashString, { bytes: row.downloadedEver, atMs: now });
        } else if (now - seen.atMs >= stallMs) {
          seen.atMs = now;
          (row.peersConnected === 0 ? refresh : stalled).push(row.hashString);
        }
      }
      if (stalled.length + refresh.length > 0) await rpcCall(target, 'torrent-reannounce', { ids: [...stalled, ...refresh] });
      for (const source of refresh.length > 0 ? (options.sources ?? []) : []) {
        for (const hash of refresh) await readdOnSource(source, hash);
      }
      if (stalled.length + refresh.length > 0 && options.sources !== undefined) {
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

/** Removes a seeding torrent from a source (data kept) and adds it again as it was. */
async function readdOnSource(source: RpcTarget, hash: string): Promise<void> {
  const t = await getTorrent(source, hash, ['torrentFile', 'downloadDir', 'labels', 'status']);
  // Only a copy the source serves: one it holds stopped is the test's own business.
  if (t === undefined || t['status'] !== 6) return;
  const metainfo = new Uint8Array(await readFile(String(t['torrentFile'])));
  await rpcCall(source, 'torrent-remove', { ids: [hash], 'delete-local-data': false });
  await waitFor(async () => (await getTorrent(source, hash, [])) === undefined, {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: `${hash} gone from ${source.rpcUrl}`,
  });
  await addTorrent(source, { metainfo, downloadDir: String(t['downloadDir']) });
  const labels = t['labels'];
  if (Array.isArray(labels) && labels.length > 0) await rpcCall(source, 'torrent-set', { ids: [hash], labels });
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
