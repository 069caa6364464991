/**
 * Carries out the integrity steps of a TickPlan (IO only): the records first, then in the
 * plan's order reports, stops, verifies, re-fetches, bans, starts, content checks handed to the
 * background runner, and settles of the checks just recorded. Each step is safe to repeat: a
 * stop of a stopped torrent, a start of a started one, a queued check queued again.
 */
import { SmartnodeError, type InfoHash, toErrorView } from '../shared/index.js';
import type { AgentConfig, AgentDeps } from './config.js';
import { readDaemonLatestStartMs } from './daemon-start.js';
import type { IntegrityFailureKind } from './events.js';
import { isInsideDir } from './ownership.js';
import { removeOwned } from './remove-owned.js';
import type { IntegrityApplyStep, IntegrityPlan } from './tick-types.js';

export async function applyIntegrity(deps: AgentDeps, config: AgentConfig, plan: IntegrityPlan): Promise<number> {
  deps.state.putIntegrity(plan.records, plan.forget);
  let failed = 0;
  for (const step of plan.steps) {
    if (step.kind === 'check-failed') {
      // A check that could not run is a failure of its own kind; a later tick tries it again.
      failed++;
      deps.bus.emit({
        type: 'action-failed',
        atMs: deps.clock(),
        kind: 'digest-check',
        infoHash: step.infoHash,
        name: step.name,
        error: step.error,
      });
      continue;
    }
    try {
      await applyStep(deps, config, step);
    } catch (error) {
      failed++;
      deps.bus.emit({
        type: 'action-failed',
        atMs: deps.clock(),
        kind: failureKind(step),
        infoHash: 'request' in step ? step.request.infoHash : step.infoHash,
        name: 'name' in step ? step.name : 'request' in step ? step.request.name : step.infoHash,
        error: toErrorView(error),
      });
      if (error instanceof SmartnodeError && error.code === 'DAEMON_UNREACHABLE') throw error;
    }
  }
  return failed;
}

function failureKind(step: IntegrityApplyStep): IntegrityFailureKind {
  return step.kind === 'digest' || step.kind === 'check-failed' || step.kind === 'settle' || step.kind === 'report'
    ? 'digest-check'
    : step.kind;
}

async function applyStep(deps: AgentDeps, config: AgentConfig, step: IntegrityApplyStep): Promise<void> {
  switch (step.kind) {
    case 'report': {
      const { code, text, expected, actual } = step.step.finding;
      deps.bus.emit({
        type: 'integrity',
        atMs: deps.clock(),
        infoHash: step.infoHash,
        name: step.name,
        code,
        text,
        ...(expected === undefined ? {} : { expected, actual: actual ?? '' }),
      });
      return;
    }
    case 'check-failed':
      return;
    case 'stop':
      await deps.daemon.stopTorrent(step.infoHash);
      return;
    case 'start':
      await deps.daemon.startTorrent(step.infoHash);
      return;
    case 'verify':
      await deps.daemon.verifyTorrent(step.infoHash);
      return;
    case 'digest':
      deps.digestJobs?.start(step.request);
      return;
    case 'settle':
      deps.digestJobs?.settle(step.infoHash, step.jobId);
      return;
    case 'ban':
      deps.state.setBanned(step.infoHash, true);
      deps.bus.emit({ type: 'ban', atMs: deps.clock(), infoHash: step.infoHash, banned: true });
      await removeOwned(deps, config, step.infoHash, step.dataDir);
      return;
    case 'refetch':
      await refetch(deps, config, step);
      return;
  }
}

/**
 * Removes the torrent and adds it again into the same directory (inside ours only): a fresh
 * add has no pieces, so the daemon downloads everything, where "No data found" would leave it
 * stopped. The intent is written first, as for any add (ownership.ts converges a crash).
 */
async function refetch(deps: AgentDeps, config: AgentConfig, step: Extract<IntegrityApplyStep, { kind: 'refetch' }>): Promise<void> {
  const record = deps.state.ownedRecord(step.infoHash);
  if (record === undefined) return;
  if (!isInsideDir(record.downloadDir, config.downloadDir) || !isInsideDir(step.currentDir, config.downloadDir)) {
    throw new SmartnodeError('INTERNAL', `not fetching ${step.name} again: ${step.currentDir} is outside ${config.downloadDir}`, {
      hint: 'smartnode only ever adds torrents into its own download directory',
    });
  }
  if (step.source === null) {
    throw new SmartnodeError('TORRENT_FETCH', `cannot fetch ${step.name} again: no feed lists it any more`, {
      hint: 'the plan removes it once no feed lists it',
    });
  }
  const file = await deps.torrents.readTorrent(step.source.item, step.source.feedId);
  const { daemonStartLatestMs: _earlierAdd, ...rest } = record;
  const daemonStartLatestMs = await readDaemonLatestStartMs(deps.daemon, deps.clock);
  deps.state.putOwned({
    ...rest,
    phase: 'adding',
    intentAtMs: deps.clock(),
    ...(daemonStartLatestMs === undefined ? {} : { daemonStartLatestMs }),
  });
  await deps.daemon.removeTorrent(step.infoHash, { deleteData: step.deleteData });
  await waitGone(deps, step.infoHash);
  const added = await deps.daemon.addTorrent({ metainfo: file.metainfo, downloadDir: record.downloadDir, labels: [config.label] });
  if (added.duplicate)
    throw new SmartnodeError('DAEMON_RPC', `${step.name} is still in the daemon after its removal; the next tick looks again`, {
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
