/**
 * The decision half of a tick, pure: from the carried state, one Observation and the config,
 * the TickPlan (the desired mirror with a reason per torrent; the adds, each with the .torrent
 * source and target directory it needs; the removals; ownership repairs; bandwidth limits;
 * the integrity steps: verifies, content checks, holds, re-fetches, bans)
 * and the state the next tick starts from. Limits (disk reserve, daily budget, transfer caps,
 * eviction confirmation) are inputs to planning, never edits after it.
 */
import { torrentDownloadDir } from './ownership.js';
import { planWithAvailability, type AvailabilityInput, type AvailabilityPolicy, type Candidate, type HeldTorrent } from '../plan/index.js';
import {
  NO_LIMITS,
  hasZeroNeed,
  hasZeroNeedUnobserved,
  type CountsWithSignals,
  type PlanPolicy,
  type PopulationObservation,
} from '../plan/index.js';
import type { InfoHash } from '../shared/index.js';
import { effectiveRates, planBandwidth, planLimitsFor } from './bandwidth-plan.js';
import { buildHeld } from './candidates.js';
import { planIntegrity } from './integrity-plan.js';
import type { AgentConfig } from './config.js';
import type { AgentEvent } from './events.js';
import { candidateSignals, scoredInputs, signalScoringOf } from './observe-signals.js';
import { HELD, observePopulation, surplusOf, type AvailabilityMemory, type DecideMemory } from './population.js';
import type { AddStep, Observation, RemoveStep, TickPlan } from './tick-types.js';

export interface PlanTickOptions {
  /**
   * 'all' (the default, what the agent plans): a decision with its reason for every candidate.
   * 'actionable': decisions only for the torrents that can be chosen, for a simulator deciding
   * for many nodes. A candidate this node does not hold and whose need is zero (the herd draw
   * left it to others, or it is well seeded) is skipped by the planner before selection and
   * takes no part in it, so the adds, removes, limits and the next memory are exactly those of
   * the full plan; only `plan.decisions` (and so the `planned` event's counts) is shorter.
   */
  decisions?: 'all' | 'actionable';
}

export function planTick(
  carried: DecideMemory,
  obs: Observation,
  config: AgentConfig,
  nowMs: number,
  options: PlanTickOptions = {},
): { plan: TickPlan; next: DecideMemory } {
  const byHash = new Map(obs.torrents.map((t) => [t.infoHash, t]));
  const records = new Map(obs.records.map((r) => [r.infoHash, r]));
  const held = buildHeld({
    torrents: obs.torrents,
    owned: obs.ownership.owned,
    records,
    pins: obs.pins,
    bans: obs.bans,
    offDownloadFs: obs.offDownloadFs,
    ...(obs.unallocated === undefined ? {} : { unallocated: obs.unallocated }),
  });
  const herdPolicy = config.planPolicy.scoring.signals?.herd;
  const population =
    herdPolicy?.enabled && herdPolicy.adaptive === true && obs.signals !== null
      ? observePopulation(carried.herd, {
          candidates: obs.candidates,
          held,
          nodeId: obs.nodeId,
          nowMs,
          targetSeeders: config.planPolicy.scoring.targetSeeders,
          slowStartAdds: herdPolicy.slowStartAdds ?? 4,
        })
      : null;
  const listed =
    options.decisions === 'actionable'
      ? actionable(obs, held, config.planPolicy, population, nowMs)
      : { candidates: obs.candidates, observations: population?.observations };
  const { candidates, policy } = scoredInputs(
    listed.candidates,
    config.planPolicy,
    obs.signals,
    obs.nodeId,
    nowMs,
    population === null || listed.observations === undefined
      ? undefined
      : { observations: listed.observations, competitors: population.view.competitors },
  );
  const availability = availabilityOf(
    carried.availability,
    held,
    obs.candidates,
    config.planPolicy.scoring.availability,
    nowMs,
    carried.herd.ticks === 0,
  );

  const donated = config.donated !== undefined && obs.donated !== null ? { config: config.donated, seen: obs.donated } : null;
  const rates = donated === null ? null : effectiveRates(donated.config, donated.seen.usage, nowMs, donated.seen.localTime);
  const limits =
    donated === null || rates === null
      ? NO_LIMITS
      : planLimitsFor(donated.config, rates, donated.seen.evictionConfirmed, donated.seen.reserveInForce ?? null);
  // With self-calibrating herd avoidance, a swarm over twice its target sheds copies (herd.ts).
  const targetSeeders = config.planPolicy.scoring.targetSeeders;
  const surplus =
    population === null
      ? undefined
      : {
          copies: surplusOf(
            held,
            obs.candidates,
            { nodeId: obs.nodeId, targetSeeders, epoch: policy.scoring.signals?.herd.epoch ?? 0 },
            population.positions,
          ),
          targetSeeders,
        };
  const limited = planWithAvailability(
    { candidates, held, policy, nowMs, diskFreeBytes: obs.diskFreeBytes },
    limits,
    availability?.input ?? null,
    surplus,
  );

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

  let next: DecideMemory = {
    ...carried,
    herd: population?.next ?? carried.herd,
    availability: availability?.next ?? carried.availability,
  };
  let bandwidth: TickPlan['bandwidth'] = null;
  if (donated !== null && rates !== null) {
    const planned = planBandwidth(donated.config, {
      rates,
      owned: limited.plan.desired,
      needs: new Map(limited.plan.decisions.map((d) => [d.infoHash, d.need])),
      torrents: byHash,
      lastSummary: carried.bandwidthSummary,
    });
    bandwidth = planned.bandwidth;
    next = { ...next, bandwidthSummary: planned.summary };
  }

  return {
    plan: {
      nowMs,
      plan: limited.plan,
      actions: limited.actions,
      repairs: obs.ownership.ops,
      removes,
      adds,
      bandwidth,
      dataDirs,
      population: population === null ? null : { ...population.view, releasing: surplus?.copies.size ?? 0 },
      reserveBreached: limited.reserveBreached,
      reserveBreach: limited.reserveBreach,
      pendingEviction: limited.pendingEviction,
      deferred: limited.deferred,
      integrity:
        obs.integrity === null
          ? { records: new Map(), forget: [], steps: [] }
          : planIntegrity(obs, obs.integrity, config, new Set(limited.plan.desired), nowMs),
    },
    next,
  };
}

/**
 * The candidates selection can choose (see PlanTickOptions): held ones, and those whose need,
 * as the planner will score them after scoredInputs, is above zero. Left out before
 * scoredInputs, which gives each candidate a new object, so the others cost no allocation.
 * With them, the population observations of those candidates (by position: no map of all).
 */
function actionable(
  obs: Observation,
  held: readonly HeldTorrent[],
  policy: PlanPolicy,
  population: ReturnType<typeof observePopulation> | null,
  nowMs: number,
): { candidates: readonly Candidate[]; observations: ReadonlyMap<InfoHash, PopulationObservation> | undefined } {
  const base = policy.scoring.signals;
  const observed = obs.signals;
  // scoredInputs' policy and signals; without either, the candidates' own counts are scored as given.
  const signalScoring =
    observed === null || base === undefined ? undefined : signalScoringOf(base, observed, obs.nodeId, nowMs, population?.view.competitors);
  const scoring = signalScoring === undefined ? policy.scoring : { ...policy.scoring, signals: signalScoring };
  // observePopulation's marks for these candidates when it saw them; otherwise sets by info-hash.
  const positions = population?.positions;
  const heldHashes = new Set<InfoHash>();
  if (positions === undefined) for (const h of held) heldHashes.add(h.infoHash);
  const seen = positions?.unique === true ? null : new Set<InfoHash>();
  const out: Candidate[] = [];
  const observations = population === null ? undefined : new Map<InfoHash, PopulationObservation>();
  const keep = (c: Candidate, p: PopulationObservation | undefined) => {
    out.push(c);
    if (p !== undefined) observations?.set(c.infoHash, p);
  };
  for (let i = 0; i < obs.candidates.length; i++) {
    const c = obs.candidates[i] as Candidate;
    // The planner merges candidates listed twice (their counts may differ): then it sees them all.
    if (seen !== null) {
      if (seen.has(c.infoHash)) return { candidates: obs.candidates, observations: population?.observations };
      seen.add(c.infoHash);
    }
    const p = positions?.observationAt[i];
    const isHeld = positions === undefined ? heldHashes.has(c.infoHash) : ((positions.heldAt[i] as number) & HELD) !== 0;
    if (isHeld || c.counts === null) {
      keep(c, p);
      continue;
    }
    if (observed !== null && signalScoring !== undefined) {
      // candidateSignals' object without building it: what hasZeroNeed reads of it when nothing
      // was observed of the swarm's geography or speed (web seeds do not enter the test).
      const o = observed.signals.get(c.infoHash);
      if (o === undefined || (o.geo === null && o.slow === null)) {
        const zero = hasZeroNeedUnobserved(
          c.counts,
          o?.infoHash ?? c.infoHash,
          o?.held === true,
          p ?? o?.population,
          scoring,
          signalScoring,
        );
        if (!zero) keep(c, p);
        continue;
      }
    }
    const given = observed === null || base === undefined ? undefined : (candidateSignals(c, observed, p) ?? c.signals);
    // withSignals puts the candidate's signals in its counts; otherwise the counts keep their own.
    if (!hasZeroNeed(c.counts, given ?? (c.counts as CountsWithSignals).signals, scoring)) keep(c, p);
  }
  return { candidates: out, observations };
}

/**
 * Which held downloads stalled (no progress for stalledAfterMs) and which torrents still back
 * off after one did. A fresh memory (the first tick) starts every clock now: progress not
 * watched is not taken for no progress.
 */
function availabilityOf(
  memory: AvailabilityMemory,
  held: readonly HeldTorrent[],
  candidates: readonly Candidate[],
  policy: AvailabilityPolicy | undefined,
  nowMs: number,
  fresh: boolean,
): { input: AvailabilityInput; next: AvailabilityMemory } | null {
  if (policy === undefined) return null;
  const progress = new Map<InfoHash, { leftBytes: number; sinceMs: number }>();
  const backoffUntil = new Map<InfoHash, number>();
  for (const [hash, until] of memory.backoffUntil) if (until > nowMs) backoffUntil.set(hash, until);
  const stalled = new Set<InfoHash>();
  for (const h of held) {
    if (!h.isOwned || h.leftUntilDoneBytes <= 0) continue;
    const prev = memory.progress.get(h.infoHash);
    const sinceMs =
      prev !== undefined && h.leftUntilDoneBytes >= prev.leftBytes
        ? prev.sinceMs
        : prev === undefined && !fresh
          ? Math.min(nowMs, h.addedAtMs)
          : nowMs;
    progress.set(h.infoHash, { leftBytes: h.leftUntilDoneBytes, sinceMs });
    if (nowMs - sinceMs >= policy.stalledAfterMs && !h.pinned) {
      stalled.add(h.infoHash);
      backoffUntil.set(h.infoHash, nowMs + policy.backoffMs);
    }
  }
  const webSeeds = new Map<InfoHash, number>();
  for (const c of candidates) if (c.webSeeds !== undefined && c.webSeeds > 0) webSeeds.set(c.infoHash, c.webSeeds);
  const backingOff = new Map([...backoffUntil].filter(([h]) => !stalled.has(h)));
  return { input: { policy, stalled, backingOff, webSeeds }, next: { progress, backoffUntil } };
}

/** The `planned` event: what a TickPlan decided, in numbers. */
export function plannedEvent(obs: Observation, tickPlan: TickPlan): Extract<AgentEvent, { type: 'planned' }> {
  const { plan, actions } = tickPlan;
  const noSource = plan.decisions.filter((d) => d.reason.code === 'NO_SOURCE');
  const stalled = plan.decisions.filter((d) => d.reason.code === 'STALLED').length;
  return {
    type: 'planned',
    atMs: tickPlan.nowMs,
    candidates: obs.candidates.length,
    desired: plan.desired.length,
    adds: actions.filter((a) => a.kind === 'add').length,
    removes: actions.filter((a) => a.kind === 'remove').length,
    capacityBytes: plan.capacityBytes,
    committedBytes: plan.committedBytes,
    noSource: noSource.length,
    stalled,
    noSourceReason: noSource[0]?.reason.text ?? null,
    ...(tickPlan.population === null ? {} : { population: { ...tickPlan.population, noSource: noSource.length, stalled } }),
  };
}
