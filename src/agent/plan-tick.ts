/**
 * The decision half of a tick, pure: from the carried state, one Observation and the config,
 * the TickPlan (the desired mirror with a reason per torrent; the adds, each with the .torrent
 * source and target directory it needs; the removals; ownership repairs; bandwidth limits)
 * and the state the next tick starts from. Limits (disk reserve, daily budget, transfer caps,
 * eviction confirmation) are inputs to planning, never edits after it.
 */
import { torrentDownloadDir } from './ownership.js';
import { NO_LIMITS, planWithinLimits } from '../plan/limits.js';
import type { InfoHash } from '../shared/index.js';
import { effectiveRates, planBandwidth, planLimitsFor } from './bandwidth-plan.js';
import { buildHeld } from './candidates.js';
import type { AgentConfig } from './config.js';
import { scoredInputs } from './observe-signals.js';
import type { DecideMemory } from './population.js';
import type { AddStep, Observation, RemoveStep, TickPlan } from './tick-types.js';

export function planTick(carried: DecideMemory, obs: Observation, config: AgentConfig, nowMs: number): { plan: TickPlan; next: DecideMemory } {
  const byHash = new Map(obs.torrents.map((t) => [t.infoHash, t]));
  const records = new Map(obs.records.map((r) => [r.infoHash, r]));
  const held = buildHeld({ torrents: obs.torrents, owned: obs.ownership.owned, records, pins: obs.pins, bans: obs.bans });
  const { candidates, policy } = scoredInputs(obs.candidates, config.planPolicy, obs.signals, obs.nodeId, nowMs);

  const donated = config.donated !== undefined && obs.donated !== null ? { config: config.donated, seen: obs.donated } : null;
  const rates = donated === null ? null : effectiveRates(donated.config, donated.seen.usage, nowMs, donated.seen.localTime);
  const limits = donated === null || rates === null ? NO_LIMITS : planLimitsFor(donated.config, rates, donated.seen.evictionConfirmed);
  const limited = planWithinLimits({ candidates, held, policy, nowMs, diskFreeBytes: obs.diskFreeBytes }, limits);

  // Where each torrent's data is once the repairs are made: a relocation points it back home.
  const dataDirs = new Map<InfoHash, string>(obs.torrents.map((t) => [t.infoHash, t.downloadDir]));
  for (const op of obs.ownership.ops) if (op.kind === 'relocate') dataDirs.set(op.infoHash, op.downloadDir);

  const removes: RemoveStep[] = [];
  const adds: AddStep[] = [];
  for (const action of limited.actions) {
    if (action.kind === 'remove') {
      removes.push({ action, dataDir: dataDirs.get(action.infoHash) ?? records.get(action.infoHash)?.downloadDir ?? null });
      continue;
    }
    const m = obs.merged.get(action.infoHash);
    if (m === undefined) continue;
    adds.push({
      action,
      source: { item: m.item, feedId: m.primaryFeedId },
      // The feed the planner charged it to is its home: it stays charged there while that feed has room.
      feedIds: action.feedId === null ? [...m.feedIds] : [action.feedId],
      downloadDir: torrentDownloadDir(config.downloadDir, action.infoHash),
    });
  }

  let next = carried;
  let bandwidth: TickPlan['bandwidth'] = null;
  if (donated !== null && rates !== null) {
    const planned = planBandwidth(donated.config, {
      rates, owned: limited.plan.desired, needs: new Map(limited.plan.decisions.map((d) => [d.infoHash, d.need])), torrents: byHash, lastSummary: carried.bandwidthSummary,
    });
    bandwidth = planned.bandwidth;
    next = { ...next, bandwidthSummary: planned.summary };
  }

  return {
    plan: {
      nowMs, plan: limited.plan, actions: limited.actions, repairs: obs.ownership.ops, removes, adds, bandwidth, dataDirs,
      reserveBreached: limited.reserveBreached, pendingEviction: limited.pendingEviction, deferred: limited.deferred,
    },
    next,
  };
}
