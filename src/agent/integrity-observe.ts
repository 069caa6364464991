/**
 * What the integrity checks see, gathered in observe (IO, no daemon writes): the integrity
 * records, whether the files of owned complete torrents are still on disk, the file list of a
 * torrent completing now (from its .torrent, for later presence checks), the content checks
 * the background runner holds, and whether the owner's busy hours are on.
 */
import { stat } from 'node:fs/promises';
import type { DaemonTorrent } from '../daemon/index.js';
import { parseTorrentFile } from '../feeds/index.js';
import { isBusyWindow, type IntegrityRecord } from '../integrity/index.js';
import { ratesAt } from '../plan/index.js';
import type { InfoHash } from '../shared/index.js';
import { localTimeOf } from './bandwidth.js';
import type { MergedItem } from './candidates.js';
import type { AgentConfig, AgentDeps } from './config.js';
import { fileListOf } from './digest-jobs.js';
import type { OwnedRecord } from './state.js';
import type { IntegrityObservation } from './tick-types.js';

export async function observeIntegrity(
  deps: AgentDeps,
  config: AgentConfig,
  input: {
    torrents: readonly DaemonTorrent[];
    owned: readonly OwnedRecord[];
    merged: ReadonlyMap<InfoHash, MergedItem>;
    nowMs: number;
  },
): Promise<IntegrityObservation> {
  const records = deps.state.integrity();
  const ownedHashes = new Set(input.owned.filter((r) => r.phase === 'owned').map((r) => r.infoHash));
  const presence = new Map<InfoHash, 'present' | 'missing'>();
  const fileLists = new Map<InfoHash, IntegrityRecord['files']>();
  for (const t of input.torrents) {
    if (!ownedHashes.has(t.infoHash) || t.percentDone < 1) continue;
    const record = records.get(t.infoHash);
    if (record !== undefined && record.completedAtMs !== null) {
      presence.set(t.infoHash, await readPresence(t, record));
      continue;
    }
    const m = input.merged.get(t.infoHash);
    if (record?.files != null || m === undefined) continue;
    // Best effort: without the list, the top-level path alone is watched.
    const listed = await deps.torrents.readTorrent(m.item, m.primaryFeedId).then(
      (file) => fileListOf(parseTorrentFile(file.metainfo)),
      () => null,
    );
    if (listed !== null) fileLists.set(t.infoHash, listed);
  }
  const rules = config.donated?.rules;
  return {
    records,
    presence,
    fileLists,
    checksDigests: deps.digestJobs !== undefined,
    digestJobs: deps.digestJobs?.views() ?? [],
    busy: rules === undefined ? false : isBusyWindow(rules, ratesAt(rules, localTimeOf(input.nowMs))),
  };
}

/** Is every file where the daemon expects it, at its full length? The top-level path always counts. */
async function readPresence(t: DaemonTorrent, record: IntegrityRecord): Promise<'present' | 'missing'> {
  const top = `${t.downloadDir}/${t.name}`;
  const files = record.files;
  const single = files !== null && files.length === 1 && files[0]!.path === t.name;
  const checks =
    files === null
      ? [{ path: top, lengthBytes: null }]
      : single
        ? [{ path: top, lengthBytes: files[0]!.lengthBytes }]
        : files.map((f) => ({ path: `${top}/${f.path}`, lengthBytes: f.lengthBytes }));
  for (const check of checks) {
    const info = await stat(check.path).catch(() => null);
    if (info === null || (check.lengthBytes !== null && info.size < check.lengthBytes)) return 'missing';
  }
  return 'present';
}
