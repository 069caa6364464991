/**
 * The apply half of a tick, IO only, in a fixed order: ownership repairs, removals, adds,
 * the bandwidth limits, then the integrity steps (integrity-apply.ts). Every step is idempotent ("add if absent", "remove if present and
 * ours", "set the limits that differ"), and every change of ownership is written to agent
 * state BEFORE the daemon call that makes it, so a crash between any two steps leaves an
 * intent the next tick converges from (ownership.ts).
 */
import type { Action } from '../plan/index.js';
import { SmartnodeError, formatBytes, type InfoHash, toErrorView } from '../shared/index.js';
import { applyBandwidth, reportLimits } from './bandwidth.js';
import type { AgentConfig, AgentDeps } from './config.js';
import { readDaemonLatestStartMs } from './daemon-start.js';
import { applyIntegrity } from './integrity-apply.js';
import type { OwnershipOp } from './ownership.js';
import { removeOwned } from './remove-owned.js';
import type { TorrentFile } from './sources.js';
import { settledOrStopped } from './stop-wait.js';
import type { AddStep, Applied, RemoveStep, TickPlan } from './tick-types.js';

/**
 * Carries out a TickPlan. One failed action is reported and the rest go on, except when the
 * daemon went away: then every further action would fail too, so it stops and the loop
 * retries with backoff. A cap that cannot be applied is a warning, not a failed tick. A dry
 * run reports each action and what the limits held back, and changes nothing.
 */
export async function apply(
  deps: AgentDeps,
  config: AgentConfig,
  tickPlan: TickPlan,
  options: { dryRun: boolean; stop?: AbortSignal | undefined },
): Promise<Applied> {
  const stopping = (): boolean => options.stop?.aborted === true;
  if (options.dryRun) {
    for (const action of tickPlan.actions) deps.bus.emit(actionEvent(action, tickPlan.nowMs, true));
    if (deps.donated !== undefined && tickPlan.bandwidth !== null) reportLimits(deps.bus, deps.donated, tickPlan, tickPlan.nowMs, 0);
    return { appliedAdds: 0, appliedRemoves: 0, failed: 0, added: [] };
  }
  if (stopping()) return { appliedAdds: 0, appliedRemoves: 0, failed: 0, added: [] };
  await applyRepairs(deps, config, tickPlan.repairs, tickPlan.dataDirs, tickPlan.nowMs);
  const result: Applied = { appliedAdds: 0, appliedRemoves: 0, failed: 0, added: [] };
  // Every add's .torrent is fetched at once (the torrent source bounds it per host); each add
  // goes to the daemon as soon as its file is there, so a slow host holds up only its own adds.
  const files = new Map(
    tickPlan.adds.map((step) => {
      const file = deps.torrents.readTorrent(step.source.item, step.source.feedId);
      file.catch(() => undefined);
      return [step.action.infoHash, file] as const;
    }),
  );
  // Read once, before the first add: every add's intent records the daemon that took it.
  let daemonStart: Promise<number | undefined> | undefined;
  const daemonLatestStart = (): Promise<number | undefined> => (daemonStart ??= readDaemonLatestStartMs(deps.daemon, deps.clock));
  const run = async (step: RemoveStep | AddStep): Promise<void> => {
    const { action } = step;
    // A stop lets the action under way finish and starts no other: each is whole on its own.
    if (stopping()) return;
    try {
      const done =
        'dataDir' in step
          ? await applyRemove(deps, config, step)
          : await applyAdd(deps, config, step, files.get(action.infoHash), await daemonLatestStart());
      if (!done) return;
      if (action.kind === 'add') {
        result.appliedAdds++;
        result.added.push(action.infoHash);
        deps.donated?.transfer.recordAdd(action.sizeBytes, deps.clock());
      } else {
        result.appliedRemoves++;
      }
      deps.bus.emit(actionEvent(action, deps.clock(), false));
    } catch (error) {
      result.failed++;
      deps.bus.emit({
        type: 'action-failed',
        atMs: deps.clock(),
        kind: action.kind,
        infoHash: action.infoHash,
        name: action.name,
        error: toErrorView(error),
      });
      if (error instanceof SmartnodeError && error.code === 'DAEMON_UNREACHABLE') throw error;
    }
  };
  for (const step of tickPlan.removes) await run(step);
  // Adds one at a time (state and daemon calls stay in sequence), in the order their files arrive.
  let stopped: unknown = null;
  let chain = Promise.resolve();
  await Promise.all(
    tickPlan.adds.map(async (step) => {
      // A stop does not wait for files still queued: no add starts after it anyway.
      await settledOrStopped(files.get(step.action.infoHash), options.stop);
      chain = chain.then(async () => {
        if (stopped === null)
          await run(step).catch((error: unknown) => {
            stopped = error;
          });
      });
      await chain;
    }),
  );
  await chain;
  if (stopped !== null) throw stopped;
  if (stopping()) return result;
  if (deps.donated !== undefined && tickPlan.bandwidth !== null) {
    reportLimits(deps.bus, deps.donated, tickPlan, tickPlan.nowMs, result.appliedRemoves);
    const owned = new Set(
      deps.state
        .owned()
        .filter((r) => r.phase === 'owned')
        .map((r) => r.infoHash),
    );
    try {
      await applyBandwidth(deps, deps.donated, tickPlan.bandwidth, { owned, nowMs: tickPlan.nowMs });
    } catch (error) {
      if (error instanceof SmartnodeError && error.code === 'DAEMON_UNREACHABLE') throw error;
      deps.bus.emit({
        type: 'limits-warning',
        atMs: tickPlan.nowMs,
        message: `could not apply bandwidth caps: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }
  // Scheduled re-verification and content checks, once the mirror is as planned.
  if (!stopping()) result.failed += await applyIntegrity(deps, config, tickPlan.integrity);
  return result;
}

function actionEvent(action: Action, atMs: number, dryRun: boolean) {
  return {
    type: 'action' as const,
    atMs,
    kind: action.kind,
    infoHash: action.infoHash,
    name: action.name,
    sizeBytes: action.kind === 'add' ? action.sizeBytes : 0,
    reason: { code: action.reason.code, text: action.reason.text },
    dryRun,
  };
}

/** Applies ownership repairs; `dataDirs` is where each torrent's data is once they are made. */
async function applyRepairs(
  deps: AgentDeps,
  config: AgentConfig,
  ops: readonly OwnershipOp[],
  dataDirs: ReadonlyMap<InfoHash, string>,
  nowMs: number,
): Promise<void> {
  const { state, daemon, bus } = deps;
  const adopted = ops.filter((op) => op.kind === 'adopt').length;
  if (adopted > 0) {
    // Ownership rebuilt from labels means the state was lost: say so once, loudly, with what is gone.
    bus.emit({
      type: 'state-warning',
      atMs: nowMs,
      message:
        `ownership rebuilt by adoption: ${adopted} torrent(s) labelled "${config.label}" inside ${config.downloadDir} ` +
        'had no record in the agent state and were taken back; pins, bans and feed links of the lost state are not ' +
        'recovered (if an older copy of state.json exists, stop smartnode and put it back)',
    });
  }
  for (const op of ops) {
    switch (op.kind) {
      case 'confirm':
        if (op.needsLabel) await daemon.setLabels(op.record.infoHash, [config.label]);
        state.putOwned({ ...op.record, phase: 'owned' });
        bus.emit({
          type: 'ownership',
          atMs: nowMs,
          op: op.kind,
          infoHash: op.record.infoHash,
          detail: `${op.record.name}: an interrupted add completed`,
        });
        break;
      case 'forget':
        state.deleteOwned(op.infoHash);
        if (op.why !== 'removed') {
          const where = op.where === undefined ? '' : ` (the daemon keeps it in ${op.where})`;
          bus.emit({ type: 'ownership', atMs: nowMs, op: op.kind, infoHash: op.infoHash, detail: forgetText[op.why] + where });
        }
        break;
      case 'adopt':
        state.putOwned({
          infoHash: op.torrent.infoHash,
          name: op.torrent.name,
          sizeBytes: op.torrent.sizeWhenDoneBytes,
          feedIds: [],
          phase: 'owned',
          intentAtMs: op.torrent.addedDate * 1000,
          downloadDir: op.torrent.downloadDir,
        });
        bus.emit({
          type: 'ownership',
          atMs: nowMs,
          op: op.kind,
          infoHash: op.torrent.infoHash,
          detail: `${op.torrent.name}: labelled "${config.label}" inside ${config.downloadDir}, taken back into agent state`,
        });
        break;
      case 'finish-remove':
        await removeOwned(deps, config, op.record.infoHash, dataDirs.get(op.record.infoHash) ?? op.record.downloadDir);
        bus.emit({
          type: 'ownership',
          atMs: nowMs,
          op: op.kind,
          infoHash: op.record.infoHash,
          detail: `${op.record.name}: an interrupted removal completed`,
        });
        break;
      case 'relocate':
        await daemon.setLocation(op.infoHash, op.downloadDir);
        bus.emit({
          type: 'ownership',
          atMs: nowMs,
          op: op.kind,
          infoHash: op.infoHash,
          detail:
            `owned torrent was outside ${config.downloadDir} (a daemon restart lost its location); ` +
            `pointed back at ${op.downloadDir}, no files moved`,
        });
        break;
      case 'restore':
        state.putOwned(op.record);
        bus.emit({
          type: 'ownership',
          atMs: nowMs,
          op: op.kind,
          infoHash: op.record.infoHash,
          detail:
            `${op.record.name}: the agent state owned nothing, but its backup owns this torrent and the daemon holds it ` +
            `(labelled "${config.label}" or in ${op.record.downloadDir}): ownership restored from the backup`,
        });
        break;
      case 'move':
        await daemon.moveData(op.record.infoHash, op.downloadDir);
        state.putOwned({ ...op.record, downloadDir: op.downloadDir });
        bus.emit({
          type: 'ownership',
          atMs: nowMs,
          op: op.kind,
          infoHash: op.record.infoHash,
          detail: `${op.record.name}: storage.downloadDir is now ${config.downloadDir}; data moved from ${op.record.downloadDir} to ${op.downloadDir}`,
        });
        break;
      case 'relabel':
        await daemon.setLabels(op.infoHash, [config.label]);
        bus.emit({
          type: 'ownership',
          atMs: nowMs,
          op: op.kind,
          infoHash: op.infoHash,
          detail: 'owned torrent had lost its label; label restored',
        });
        break;
    }
  }
}

const forgetText = {
  'never-added': 'an add was interrupted before the daemon had it; will be planned again',
  'not-ours': "the daemon already held this torrent before our add: it is the owner's, left untouched",
  unproven:
    'an interrupted add found the torrent in the daemon, but not in the directory smartnode asked for and with no ' +
    "daemon restart since to explain it: it may be the owner's own copy, so it is left untouched (not labelled, moved or removed)",
  'removed-outside': 'an owned torrent was removed outside smartnode; forgotten',
  removed: 'removal completed',
} as const;

async function applyRemove(deps: AgentDeps, config: AgentConfig, step: RemoveStep): Promise<boolean> {
  const { action } = step;
  const record = deps.state.ownedRecord(action.infoHash);
  // Belt and braces: the planner never plans removing what is not ours, and we check again.
  if (record === undefined || record.phase === 'adding') return false;
  await removeOwned(deps, config, action.infoHash, step.dataDir ?? record.downloadDir);
  return true;
}

async function applyAdd(
  deps: AgentDeps,
  config: AgentConfig,
  step: AddStep,
  prefetched: Promise<TorrentFile> | undefined,
  daemonStartLatestMs: number | undefined,
): Promise<boolean> {
  const { action, downloadDir } = step;
  const file = (await prefetched) ?? (await deps.torrents.readTorrent(step.source.item, step.source.feedId));
  refuseLargerThanPlanned(file, action.sizeBytes);
  deps.state.putOwned({
    infoHash: action.infoHash,
    name: file.name,
    sizeBytes: file.totalSizeBytes,
    feedIds: step.feedIds,
    phase: 'adding',
    intentAtMs: deps.clock(),
    downloadDir,
    ...(daemonStartLatestMs === undefined ? {} : { daemonStartLatestMs }),
  });
  const result = await deps.daemon.addTorrent({ metainfo: file.metainfo, downloadDir, labels: [config.label] });
  if (result.duplicate) {
    // The daemon already had it: someone else's torrent. Never take it over.
    deps.state.deleteOwned(action.infoHash);
    throw new SmartnodeError('DAEMON_RPC', `${file.name} is already in the daemon, added outside smartnode; left untouched`, {
      details: { infoHash: action.infoHash },
    });
  }
  deps.state.putOwned({ ...deps.state.ownedRecord(action.infoHash)!, phase: 'owned' });
  return true;
}

/**
 * The plan fitted each add into the budget, the reserve and the no-source share at the size the
 * feed listed; a .torrent holding more would break all three, so it is not added. The torrent
 * source keeps the file's summary, and the next plan weighs the torrent at its real size.
 */
function refuseLargerThanPlanned(file: TorrentFile, plannedBytes: number): void {
  if (file.totalSizeBytes <= plannedBytes) return;
  throw new SmartnodeError(
    'TORRENT_SIZE_MISMATCH',
    `${file.name}: its .torrent holds ${formatBytes(file.totalSizeBytes)} but was planned at ${formatBytes(plannedBytes)} ` +
      '(the size its feed listed); not added',
    {
      retryable: true,
      hint: 'nothing to do: the next plan weighs it at its real size and adds it only if that fits the budget',
      details: { infoHash: file.infoHash, plannedBytes, realBytes: file.totalSizeBytes },
    },
  );
}
