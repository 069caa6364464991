/**
 * The integrity step of a tick (IO around the pure decisions in src/integrity): looks whether
 * owned torrents' files are still on disk, lets decideIntegrity choose, then carries it out:
 * daemon verifies, content digests hashed from disk, fresh fetches into the torrent's own
 * directory, a ban for data that is still wrong after one fresh download. Runs after the
 * plan's actions, so "the budget still holds it" is this tick's plan.
 */
import { stat } from 'node:fs/promises';
import type { DaemonTorrent } from '../daemon/index.js';
import { parseTorrentFile, DIGEST_ALGORITHMS, type ContentDigests, type DigestAlgorithm, type TorrentMeta } from '../feeds/index.js';
import {
  compareDigests,
  decideIntegrity,
  hashContent,
  isBusyWindow,
  judgeDigest,
  MAX_PRESENCE_FILES,
  type IntegrityRecord,
  type IntegrityStep,
  type IntegrityTorrent,
} from '../integrity/index.js';
import { ratesAt } from '../plan/index.js';
import { SmartnodeError, type InfoHash, toErrorView } from '../shared/index.js';
import { removeOwned } from './remove-owned.js';
import { localTimeOf } from './bandwidth.js';
import type { MergedItem } from './candidates.js';
import { isInsideDir } from './ownership.js';
import type { AgentConfig, AgentDeps, IntegrityConfig } from './config.js';

export async function runIntegrityStep(
  deps: AgentDeps,
  config: AgentConfig,
  input: {
    torrents: readonly DaemonTorrent[];
    merged: ReadonlyMap<InfoHash, MergedItem>;
    desired: ReadonlySet<InfoHash>;
    nowMs: number;
  },
): Promise<void> {
  const { state } = deps;
  const settings = config.integrity ?? { reverifyEveryMs: 0, readRateBytesPerSec: null };
  const records = state.integrity();
  const owned = input.torrents.filter((t) => state.ownedRecord(t.infoHash)?.phase === 'owned');
  const views: IntegrityTorrent[] = [];
  for (const t of owned) {
    const record = records.get(t.infoHash);
    views.push({
      infoHash: t.infoHash,
      name: t.name,
      status: t.status,
      percentDone: t.percentDone,
      leftUntilDoneBytes: t.leftUntilDoneBytes,
      sizeBytes: t.sizeWhenDoneBytes,
      error: t.error,
      errorString: t.errorString,
      desired: input.desired.has(t.infoHash),
      inOwnDir: isInsideDir(t.downloadDir, config.downloadDir),
      presence: record?.completedAtMs == null || t.percentDone < 1 ? 'unknown' : await readPresence(t, record),
      hasExpectedDigest: digestsOf(input.merged.get(t.infoHash)) !== null,
    });
  }
  const rules = config.donated?.rules;
  const busy = rules === undefined ? false : isBusyWindow(rules, ratesAt(rules, localTimeOf(input.nowMs)));
  const decision = decideIntegrity({ nowMs: input.nowMs, torrents: views, records, schedule: { ...settings, busy } });

  const byHash = new Map(owned.map((t) => [t.infoHash, t]));
  // Learn the file list of a torrent that just completed, for the presence check (best effort).
  for (const [hash, record] of decision.records) {
    const m = input.merged.get(hash);
    if (record.completedAtMs !== input.nowMs || record.files !== null || m === undefined) continue;
    record.files = await readMeta(deps, m).then(filesOf, () => null);
  }
  for (const step of decision.steps) {
    const t = byHash.get(step.infoHash);
    if (t === undefined) continue;
    try {
      await carryOut(deps, config, step, t, decision.records, input.merged, settings);
    } catch (error) {
      deps.bus.emit({
        type: 'action-failed',
        atMs: deps.clock(),
        kind: 'add',
        infoHash: t.infoHash,
        name: t.name,
        error: toErrorView(error),
      });
      if (error instanceof SmartnodeError && error.code === 'DAEMON_UNREACHABLE') break;
    }
  }
  // Records of torrents no longer owned go, except after a CORRUPT finding: it says why a torrent
  // is banned, and it counts the one fresh download even when that download is interrupted.
  const forget = [...records.keys()].filter((h) => !decision.records.has(h) && records.get(h)?.last?.code !== 'CORRUPT');
  state.putIntegrity(decision.records, forget);
}

async function carryOut(
  deps: AgentDeps,
  config: AgentConfig,
  step: IntegrityStep,
  t: DaemonTorrent,
  records: Map<InfoHash, IntegrityRecord>,
  merged: ReadonlyMap<InfoHash, MergedItem>,
  settings: IntegrityConfig,
): Promise<void> {
  const emit = (record: IntegrityRecord): void => {
    if (record.last === null) return;
    const { code, text, expected, actual } = record.last;
    deps.bus.emit({
      type: 'integrity',
      atMs: deps.clock(),
      infoHash: t.infoHash,
      name: t.name,
      code,
      text,
      ...(expected === undefined ? {} : { expected, actual: actual ?? '' }),
    });
  };
  const record = records.get(t.infoHash)!;
  switch (step.kind) {
    case 'report':
      emit(record);
      return;
    case 'verify':
      await deps.daemon.verifyTorrent(t.infoHash);
      return;
    case 'refetch':
      await refetch(deps, config, t, merged.get(t.infoHash), step.deleteData);
      return;
    case 'digest': {
      const m = merged.get(t.infoHash);
      const expected = digestsOf(m);
      if (m === undefined || expected === null) return;
      const meta = await readMeta(deps, m);
      record.files = filesOf(meta);
      const algorithms = algorithmsOf(expected);
      const actual = await hashContent(
        meta.files.map((f) => ({
          absolutePath: dataPath(t, meta, f.path),
          key: f.path.join('/'),
          lengthBytes: f.lengthBytes,
        })),
        algorithms,
        { readRateBytesPerSec: settings.readRateBytesPerSec },
      );
      // Per-file digests are keyed by the path inside the torrent's folder; a single file by its name.
      const files = new Map([...actual.files].map(([k, v]) => [k, v]));
      const judged = judgeDigest(record, compareDigests(expected, { content: actual.content, files }), deps.clock());
      records.set(t.infoHash, judged.record);
      emit(judged.record);
      if (judged.verdict === 'refetch') {
        await refetch(deps, config, t, m, true);
      } else if (judged.verdict === 'ban') {
        deps.state.setBanned(t.infoHash, true);
        deps.bus.emit({ type: 'ban', atMs: deps.clock(), infoHash: t.infoHash, banned: true });
        await removeOwned(deps, config, t.infoHash, t.downloadDir);
      }
      return;
    }
  }
}

/**
 * Removes the torrent and adds it again into the same directory (inside ours only): a fresh
 * add has no pieces, so the daemon downloads everything, where "No data found" would leave it
 * stopped. The intent is written first, as for any add (ownership.ts converges a crash).
 */
async function refetch(
  deps: AgentDeps,
  config: AgentConfig,
  t: DaemonTorrent,
  m: MergedItem | undefined,
  deleteData: boolean,
): Promise<void> {
  const record = deps.state.ownedRecord(t.infoHash);
  if (record === undefined) return;
  if (!isInsideDir(record.downloadDir, config.downloadDir) || !isInsideDir(t.downloadDir, config.downloadDir)) {
    throw new SmartnodeError('INTERNAL', `not fetching ${t.name} again: ${t.downloadDir} is outside ${config.downloadDir}`, {
      hint: 'smartnode only ever adds torrents into its own download directory',
    });
  }
  if (m === undefined) {
    throw new SmartnodeError('TORRENT_FETCH', `cannot fetch ${t.name} again: no feed lists it any more`, {
      hint: 'the plan removes it once no feed lists it',
    });
  }
  const file = await deps.torrents.readTorrent(m.item, m.primaryFeedId);
  deps.state.putOwned({ ...record, phase: 'adding', intentAtMs: deps.clock() });
  await deps.daemon.removeTorrent(t.infoHash, { deleteData });
  await waitGone(deps, t.infoHash);
  const added = await deps.daemon.addTorrent({ metainfo: file.metainfo, downloadDir: record.downloadDir, labels: [config.label] });
  if (added.duplicate)
    throw new SmartnodeError('DAEMON_RPC', `${t.name} is still in the daemon after its removal; the next tick looks again`, {
      retryable: true,
    });
  deps.state.putOwned({ ...record, phase: 'owned', intentAtMs: deps.clock() });
}

/** Transmission removes a torrent (and its files) a moment after answering: wait, bounded. */
async function waitGone(deps: AgentDeps, infoHash: InfoHash): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await deps.daemon.listTorrents({ trackerStats: false })).some((x) => x.infoHash === infoHash)) {
    if (Date.now() > deadline)
      throw new SmartnodeError('DAEMON_RPC', `the daemon still lists ${infoHash} 15 s after removing it`, {
        retryable: true,
        hint: 'the next tick looks again',
      });
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function readMeta(deps: AgentDeps, m: MergedItem): Promise<TorrentMeta> {
  const file = await deps.torrents.readTorrent(m.item, m.primaryFeedId);
  return parseTorrentFile(file.metainfo);
}

function digestsOf(m: MergedItem | undefined): ContentDigests | null {
  return m?.item.digests ?? null;
}

function algorithmsOf(expected: ContentDigests): DigestAlgorithm[] {
  const wanted = new Set<DigestAlgorithm>();
  for (const set of [expected.content, ...expected.files.map((f) => f.digests)]) {
    for (const a of DIGEST_ALGORITHMS)
      if (set[a] !== undefined) {
        wanted.add(a);
        break;
      }
  }
  return [...wanted];
}

/** A single-file torrent's data is `<dir>/<name>`; a multi-file one's `<dir>/<name>/<path>`. */
function dataPath(t: DaemonTorrent, meta: TorrentMeta, path: readonly string[]): string {
  const single = meta.files.length === 1 && meta.files[0]!.path.length === 1 && meta.files[0]!.path[0] === meta.name;
  return single ? `${t.downloadDir}/${meta.name}` : `${t.downloadDir}/${meta.name}/${path.join('/')}`;
}

function filesOf(meta: TorrentMeta): IntegrityRecord['files'] {
  if (meta.files.length > MAX_PRESENCE_FILES) return null;
  return meta.files.map((f) => ({ path: f.path.join('/'), lengthBytes: f.lengthBytes }));
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
