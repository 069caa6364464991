/**
 * DaemonPort over Transmission RPC: 3.00 (rpc-version 16), 4.0 (17), 4.1 (18/19).
 *
 * Design note: the design names @ctrl/transmission 7.4.0. Its value is argument building; its
 * flaws are all in its transport - an unbounded 409 loop inside request(), no
 * fetch injection, errors that resolve or lose their cause - and its high-level calls add
 * their own surprises (`download-dir: /downloads` by default, a 58-field torrent-get,
 * normalized fields that mislabel counts). So this adapter speaks the few RPC calls it needs
 * through rpc-http.ts and one of two dialects, and reads raw fields through a zod schema
 * (transmission-schema.ts). The library stays the baseline the poll benchmark measures
 * against (src/bench/daemon-poll-bench.ts).
 *
 * The dialect is chosen per daemon on first contact (connection.ts): JSON-RPC 2.0 when the
 * daemon says it speaks it, the old protocol otherwise; the code below uses the old names
 * either way.
 */
import { z } from 'zod';
import { SmartnodeError, parseInfoHash, type InfoHash } from '../shared/index.js';
import type { AddTorrentRequest, AddTorrentResult, DaemonPort, DaemonTorrent, ListTorrentsOptions } from './port.js';
import { hasRpcFeature, openConnection, SINCE_4_0, type DaemonProtocolChoice } from './connection.js';
import type { RpcHttpOptions } from './rpc-http.js';
import type { RpcCall } from './rpc-methods.js';
import { POLL_FIELDS, describeIssue, readTable, toDaemonTorrent } from './transmission-schema.js';
import { PEER_FIELDS, toTorrentPeers } from './transmission-peers.js';

/** How long a data move (torrent-set-location with move) may take before the tick gives up on it. */
const MOVE_TIMEOUT_MS = 120_000;
import { createLimitsRpc } from './transmission-limits.js';

export interface TransmissionDaemonOptions extends RpcHttpOptions {
  /** Which RPC dialect to speak; auto (default) asks the daemon (policy daemon.protocol). */
  protocol?: DaemonProtocolChoice;
}

const AddedTorrent = z.object({ hashString: z.string(), name: z.string() });
const AddAnswer = z.union([z.object({ 'torrent-added': AddedTorrent }), z.object({ 'torrent-duplicate': AddedTorrent })]);
const FreeSpaceAnswer = z.object({ 'size-bytes': z.number() });

export function createTransmissionDaemon(options: TransmissionDaemonOptions): DaemonPort {
  const connection = openConnection(options, options.protocol ?? 'auto');
  const { safeUrl } = connection;
  // Every call first learns (once) which dialect the daemon speaks.
  const call: RpcCall = async (method, args) => (await connection.ready()).call(method, args);
  const protocol = (method: string, what: string): SmartnodeError =>
    new SmartnodeError(
      'DAEMON_PROTOCOL',
      `transmission-daemon ${connection.known()?.version.version ?? ''} at ${safeUrl} answered ${method} unexpectedly: ${what}`.replace(
        '  ',
        ' ',
      ),
      {
        retryable: true,
        hint:
          'smartnode is tested with Transmission 3.00, 4.1.0-beta.2 and 4.1.x (README "Tested daemons"); ' +
          '`smartnode doctor` shows the version',
        details: { url: safeUrl, method },
      },
    );
  /** Asked-for fields the daemon left out: an error naming them and the version, never a default. */
  const table = async (method: 'torrent-get', answer: Record<string, unknown>, fields: readonly string[]) => {
    const read = readTable(answer['torrents'], fields);
    if ('problem' in read) throw protocol(method, read.problem);
    return read.rows;
  };

  const readVersion = () => connection.readVersion();
  /** 4.0 takes `labels` in torrent-add (3.00 ignores them there) and has bandwidth groups. */
  const isAtLeast40 = async (): Promise<boolean> => hasRpcFeature((await connection.ready()).version, SINCE_4_0);

  const hasTorrent = async (infoHash: InfoHash): Promise<boolean> => {
    const answer = await call('torrent-get', { ids: [infoHash], fields: ['hashString'] });
    return Array.isArray(answer['torrents']) && answer['torrents'].length > 0;
  };
  // 3.00 silently accepts unknown ids in torrent-set and torrent-set-location: check first.
  const requireTorrent = async (infoHash: InfoHash, verb: string): Promise<void> => {
    if (await hasTorrent(infoHash)) return;
    throw new SmartnodeError('DAEMON_RPC', `cannot ${verb} ${infoHash}: transmission-daemon has no such torrent`, {
      hint: 'it was removed since the last poll; the next tick re-reads the daemon',
      details: { infoHash },
    });
  };

  return {
    readVersion,
    ...createLimitsRpc(call, protocol, isAtLeast40),

    async listTorrents(listOptions?: ListTorrentsOptions): Promise<DaemonTorrent[]> {
      const withTrackers = listOptions?.trackerStats ?? true;
      const fields = withTrackers ? [...POLL_FIELDS] : POLL_FIELDS.filter((f) => f !== 'trackerStats');
      const answer = await call('torrent-get', { format: 'table', fields });
      return (await table('torrent-get', answer, fields)).map((row) => {
        const read = toDaemonTorrent(row);
        if ('problem' in read) {
          throw protocol('torrent-get', `torrent ${JSON.stringify(row['hashString'])}: ${read.problem}`);
        }
        return read.torrent;
      });
    },

    async listPeers(infoHashes) {
      if (infoHashes.length === 0) return [];
      const answer = await call('torrent-get', { ids: [...infoHashes], fields: [...PEER_FIELDS] });
      const rows = answer['torrents'];
      if (!Array.isArray(rows)) throw protocol('torrent-get', 'torrents is not an array');
      const out = [];
      for (const row of rows as unknown[]) {
        const read = toTorrentPeers(row);
        if ('problem' in read) throw protocol('torrent-get', read.problem);
        out.push(read.peers);
      }
      return out;
    },

    async addTorrent(request: AddTorrentRequest): Promise<AddTorrentResult> {
      if (!request.downloadDir.startsWith('/')) {
        throw new SmartnodeError('INTERNAL', `addTorrent needs an absolute downloadDir, got ${JSON.stringify(request.downloadDir)}`);
      }
      const labelsOnAdd = await isAtLeast40();
      const args: Record<string, unknown> = {
        metainfo: Buffer.from(request.metainfo).toString('base64'),
        'download-dir': request.downloadDir,
        paused: request.paused ?? false,
      };
      if (labelsOnAdd) args['labels'] = [...request.labels];
      const parsed = AddAnswer.safeParse(await call('torrent-add', args));
      if (!parsed.success) throw protocol('torrent-add', 'neither torrent-added nor torrent-duplicate');
      const duplicate = 'torrent-duplicate' in parsed.data;
      const raw = 'torrent-duplicate' in parsed.data ? parsed.data['torrent-duplicate'] : parsed.data['torrent-added'];
      const infoHash = parseInfoHash(raw.hashString);
      if (infoHash === null) throw protocol('torrent-add', `hashString ${JSON.stringify(raw.hashString)}`);
      // A duplicate may belong to someone else: its labels are the caller's decision.
      if (!duplicate && !labelsOnAdd && request.labels.length > 0) {
        await labelJustAdded(call, infoHash, request.labels);
      }
      return { infoHash, name: raw.name, duplicate };
    },

    async setLabels(infoHash, labels) {
      await requireTorrent(infoHash, 'label');
      await call('torrent-set', { ids: [infoHash], labels: [...labels] });
    },

    async setLocation(infoHash, downloadDir) {
      if (!downloadDir.startsWith('/')) {
        throw new SmartnodeError('INTERNAL', `setLocation needs an absolute downloadDir, got ${JSON.stringify(downloadDir)}`);
      }
      await requireTorrent(infoHash, 'relocate');
      // move: false - the daemon only changes where it looks; no file is moved or deleted.
      await call('torrent-set-location', { ids: [infoHash], location: downloadDir, move: false });
    },

    async moveData(infoHash, downloadDir) {
      if (!downloadDir.startsWith('/')) {
        throw new SmartnodeError('INTERNAL', `moveData needs an absolute downloadDir, got ${JSON.stringify(downloadDir)}`);
      }
      await requireTorrent(infoHash, 'move');
      await call('torrent-set-location', { ids: [infoHash], location: downloadDir, move: true });
      // The daemon moves in its own thread and reports the new directory once the files are there.
      const deadline = Date.now() + MOVE_TIMEOUT_MS;
      for (;;) {
        const answer = await call('torrent-get', { ids: [infoHash], fields: ['downloadDir'] });
        const rows = Array.isArray(answer['torrents']) ? (answer['torrents'] as { downloadDir?: unknown }[]) : [];
        if (rows[0]?.downloadDir === downloadDir) return;
        if (Date.now() > deadline) {
          throw new SmartnodeError('DAEMON_RPC', `moving ${infoHash} to ${downloadDir} did not finish within ${MOVE_TIMEOUT_MS / 1000} s`, {
            hint: 'the daemon may still be copying; the next tick looks again',
            retryable: true,
            details: { infoHash },
          });
        }
        await new Promise((r) => setTimeout(r, 200));
      }
    },

    async verifyTorrent(infoHash) {
      // 3.00 answers success for an unknown id too: check first, as the port promises.
      await requireTorrent(infoHash, 'verify');
      await call('torrent-verify', { ids: [infoHash] });
    },

    async stopTorrent(infoHash) {
      await requireTorrent(infoHash, 'stop');
      await call('torrent-stop', { ids: [infoHash] });
    },

    async startTorrent(infoHash) {
      await requireTorrent(infoHash, 'start');
      await call('torrent-start', { ids: [infoHash] });
    },

    async removeTorrent(infoHash, { deleteData }) {
      // Unknown ids are ignored by the daemon: absent is success, as the port promises.
      await call('torrent-remove', { ids: [infoHash], 'delete-local-data': deleteData });
    },

    async readFreeSpace(path) {
      const hint =
        "the path is read on the daemon's machine: it must exist there and be readable by the daemon's user; " +
        'create it or fix the download directory in the policy';
      let answer: Record<string, unknown>;
      try {
        answer = await call('free-space', { path });
      } catch (error) {
        if (error instanceof SmartnodeError && error.code === 'DAEMON_RPC') {
          throw new SmartnodeError(
            'DAEMON_RPC',
            `transmission-daemon cannot read free space of ${JSON.stringify(path)}: ${String(error.details?.['result'] ?? error.message)}`,
            {
              cause: error,
              hint,
              details: { path },
            },
          );
        }
        throw error;
      }
      const parsed = FreeSpaceAnswer.safeParse(answer);
      if (!parsed.success) throw protocol('free-space', describeIssue(parsed.error));
      if (parsed.data['size-bytes'] < 0) {
        throw new SmartnodeError(
          'DAEMON_RPC',
          `transmission-daemon reports no free space figure for ${JSON.stringify(path)} (size-bytes ${parsed.data['size-bytes']})`,
          { hint, details: { path } },
        );
      }
      return parsed.data['size-bytes'];
    },
  };
}

/**
 * 3.00 path: label right after the add. If that fails the torrent would sit in the daemon
 * unlabelled (not ours, never cleaned up), so it is removed again (data kept) before the
 * error is thrown; the next tick adds it afresh.
 */
async function labelJustAdded(call: RpcCall, infoHash: InfoHash, labels: readonly string[]): Promise<void> {
  try {
    await call('torrent-set', { ids: [infoHash], labels: [...labels] });
  } catch (error) {
    let rolledBack = true;
    try {
      await call('torrent-remove', { ids: [infoHash], 'delete-local-data': false });
    } catch {
      rolledBack = false;
    }
    const reason = error instanceof Error ? error.message : String(error);
    throw new SmartnodeError(
      error instanceof SmartnodeError ? error.code : 'DAEMON_RPC',
      `added ${infoHash} but could not set its labels (${reason}); ` +
        `${rolledBack ? 'removed it again (data kept)' : 'it is left in the daemon without labels'}`,
      {
        cause: error,
        retryable: error instanceof SmartnodeError && error.retryable,
        hint: rolledBack ? 'the next tick adds it again' : `label it by hand (transmission-remote -t ${infoHash} -L <label>) or remove it`,
        details: { infoHash, rolledBack },
      },
    );
  }
}
