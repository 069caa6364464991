/**
 * One strategy over one modelled world: every node ticks at its phase, downloads move on,
 * external seeders come and go, trackers are scraped; what the population achieves is sampled
 * every hour. The same options and seed give the same world for every strategy.
 *
 * The loop owns the world; the nodes live in shards (shard.ts), in this thread or in worker
 * threads. It is written once, as a generator that yields each request for all shards and
 * resumes with their replies in shard order: runStrategy answers them here, parallel.ts from
 * workers.
 */
import type { Strategy } from './baselines.js';
import { mixedStrategyOf } from './strategies.js';
import { seededRandom } from '../shared/index.js';
import { SIM_START_MS, createWorld, scrapeNow, seedersOf, stepExternal, stepMinutesOf, type SimOptions } from './model.js';
import { createNodes } from './nodes.js';
import {
  ADDED,
  CHANGES,
  LEFT_COMPLETE,
  LEFT_LEECHING,
  REMOVED_COMPLETE,
  Shard,
  type DownloadReply,
  type FinishReply,
  type HourReply,
  type ShardReply,
  type ShardRequest,
  type TickReply,
} from './shard.js';
import type { SmartnodeStats } from './smartnode.js';

export interface SimSeries {
  /** Hours since the start, one sample an hour. */
  hours: number[];
  belowTarget: number[];
  atZero: number[];
}

/**
 * The first-hour target's ratio for one torrent: takers / (2 x deficit), over 1 when more nodes
 * took it than twice its deficit. With no deficit twice the deficit is 0, so any taker is over:
 * 1 + takers, the more the further over.
 */
export function takersPerTwiceDeficit(takers: number, deficit: number): number {
  if (deficit > 0) return takers / (2 * deficit);
  return takers === 0 ? 0 : 1 + takers;
}

export interface SimMetrics {
  strategy: string;
  /** Torrents below the seeder target: time-averaged over the second half, and at the end. */
  belowTargetAvg: number;
  belowTargetEnd: number;
  atZeroAvg: number;
  atZeroEnd: number;
  /** Torrents with more than twice the target in copies (seeders and node downloads), at the end and the maximum. */
  over2xEnd: number;
  over2xMax: number;
  /** Most nodes holding one torrent, at any time. */
  mostNodesOnOne: number;
  /** First hour: the largest takersPerTwiceDeficit over all torrents, and the takers of torrents with no deficit. */
  firstHourMaxTakersPerTwiceDeficit: number;
  firstHourTakersWithoutDeficit: number;
  bytesDownloaded: number;
  donatedBytes: number;
  /** Share of the donated disk on downloads that made no progress for a day: time-averaged (second half) and the maximum. */
  stalledDayShareAvg: number;
  stalledDayShareMax: number;
  /** Share of the donated disk on downloads with no source at that moment, time-averaged. */
  noSourceShareAvg: number;
  adds: number;
  removes: number;
  torrents: number;
  nodes: number;
  /** Hours until the nodes had committed 90 % of the donated disk (null: never). */
  fillHours: number | null;
  /** Share of the donated disk the nodes hold (complete or downloading) at the end. */
  diskInUseEnd: number;
  /** Nodes that left with their data and were replaced by empty ones. */
  replacedNodes: number;
  /** Wall time of the run, ms. */
  wallMs: number;
}

export interface SimRun {
  metrics: SimMetrics;
  series: SimSeries;
}

export type SimLoop = Generator<ShardRequest, SimRun & { stats: SmartnodeStats | null }, ShardReply[]>;

export function stepsPerTickOf(options: SimOptions): number {
  return Math.max(1, Math.round(options.tickMinutes / stepMinutesOf(options)));
}

/**
 * The node indexes of each of `shards` shards, in index order. The nodes that tick at the same
 * step (the same phase) are dealt round-robin over the shards, so every step's decisions split
 * evenly over the workers: a step waits for its slowest shard, and contiguous ranges of nodes
 * with random phases left one shard a tenth more decisions than the other in a typical step.
 */
export function shardMembers(phases: readonly number[], shards: number): number[][] {
  const n = Math.max(1, Math.min(shards, phases.length));
  const members: number[][] = Array.from({ length: n }, () => []);
  // One deal over the nodes grouped by phase: each phase splits within one node, and so do the totals.
  const byPhase = phases.map((_, i) => i).sort((a, b) => (phases[a] as number) - (phases[b] as number) || a - b);
  byPhase.forEach((index, k) => {
    members[k % n]?.push(index);
  });
  for (const shard of members) shard.sort((a, b) => a - b);
  return members;
}

/** What every node of the run would tick at: the members of `shards` shards (shardMembers). */
export function shardsOf(options: SimOptions, shards: number): number[][] {
  const phases = createNodes(createWorld(options), options.seed, stepsPerTickOf(options)).map((node) => node.phase);
  return shardMembers(phases, shards);
}

/** One strategy over the world, every node in this thread. */
export function runStrategy(
  options: SimOptions,
  strategy: Strategy,
  /** Called after each tick with the simulated time it reached. */
  onStep?: (nowMs: number) => void,
): SimRun & { stats: SmartnodeStats | null } {
  const all = Array.from({ length: options.nodes }, (_, i) => i);
  const shard = new Shard(options, strategy, all, stepsPerTickOf(options), mixedStrategyOf(options));
  const loop = simulationLoop(options, strategy.name, [all]);
  let next = loop.next();
  while (!next.done) {
    const request = next.value;
    next = loop.next([shard.handle(request)]);
    if (request.kind === 'tick') onStep?.(request.nowMs);
  }
  return next.value;
}

/**
 * The run: the world's steps, with each step's requests answered by the shards (`members`: the
 * node indexes of each, in the order the replies come). Per-node figures are put back in node
 * order before they are summed, so the result does not depend on how the nodes are split.
 */
export function* simulationLoop(options: SimOptions, strategyName: string, members: readonly (readonly number[])[]): SimLoop {
  const started = performance.now();
  const w = createWorld(options);
  const stepMinutes = stepMinutesOf(options);
  const stepMs = stepMinutes * 60_000;
  const stepsPerScrape = Math.max(1, Math.round(options.scrapeMinutes / stepMinutes));
  const stepsPerHour = 60 / stepMinutes;
  const steps = Math.round((options.days * 24 * 60) / stepMinutes);
  const churn = churnOf(options, stepMs);
  const donatedBytes = createNodes(w, options.seed, stepsPerTickOf(options)).reduce((a, n) => a + n.budgetBytes, 0);
  const target = options.targetSeeders;
  const series: SimSeries = { hours: [], belowTarget: [], atZero: [] };
  const firstHourTakers = new Int32Array(options.torrents);
  let adds = 0;
  let removes = 0;
  let bytes = 0;
  let mostNodes = 0;
  let over2xMax = 0;
  const half = { n: 0, below: 0, zero: 0, stalled: 0, noSource: 0 };
  let stalledMax = 0;
  let over2xEnd = 0;
  let fillHours: number | null = null;
  let diskInUseEnd = 0;
  let scrapeSent = -1;

  for (let step = 0; step < steps; step++) {
    const nowMs = SIM_START_MS + step * stepMs;
    if (step % stepsPerScrape === 0 && step > 0) scrapeNow(w, nowMs);
    const scrape = scrapeSent === w.scrape.atMs ? null : { ...w.scrape };
    scrapeSent = w.scrape.atMs;
    const replaced = churn.next();
    const ticks = (yield { kind: 'tick', step, nowMs, scrape, replaced }) as TickReply[];
    for (const { changes } of ticks) {
      for (const change of changes) {
        const t = Math.floor(change / CHANGES);
        const kind = change % CHANGES;
        if (kind === ADDED) {
          w.nodeLeeching[t] = (w.nodeLeeching[t] ?? 0) + 1;
          adds++;
          if (step < stepsPerHour) firstHourTakers[t] = (firstHourTakers[t] ?? 0) + 1;
        } else if (kind === REMOVED_COMPLETE || kind === LEFT_COMPLETE) {
          w.nodeComplete[t] = (w.nodeComplete[t] ?? 0) - 1;
          if (kind === REMOVED_COMPLETE) removes++;
        } else {
          w.nodeLeeching[t] = (w.nodeLeeching[t] ?? 0) - 1;
          if (kind !== LEFT_LEECHING) removes++;
        }
      }
    }
    const sourced = new Uint8Array(options.torrents);
    for (let i = 0; i < sourced.length; i++) sourced[i] = seedersOf(w, i) > 0 || w.webSeed[i] === 1 ? 1 : 0;
    const downloads = (yield { kind: 'download', nowMs, stepMs, sourced }) as DownloadReply[];
    for (const b of inNodeOrder(options.nodes, members, downloads, (d) => d.nodeBytes)) bytes += b;
    for (const { finished } of downloads) {
      for (const t of finished) {
        w.nodeLeeching[t] = (w.nodeLeeching[t] ?? 0) - 1;
        w.nodeComplete[t] = (w.nodeComplete[t] ?? 0) + 1;
        w.completed[t] = (w.completed[t] ?? 0) + 1;
      }
    }
    stepExternal(w, nowMs, stepMs);

    if ((step + 1) % stepsPerHour !== 0) continue;
    let below = 0;
    let zero = 0;
    let over = 0;
    const sourceless = new Uint8Array(options.torrents);
    for (let i = 0; i < options.torrents; i++) {
      const s = seedersOf(w, i);
      if (s < target) below++;
      if (s === 0) zero++;
      if (s === 0 && w.webSeed[i] !== 1) sourceless[i] = 1;
      const copies = (w.extSeeders[i] ?? 0) + (w.nodeComplete[i] ?? 0) + (w.nodeLeeching[i] ?? 0);
      if (copies > 2 * target) over++;
      mostNodes = Math.max(mostNodes, (w.nodeComplete[i] ?? 0) + (w.nodeLeeching[i] ?? 0));
    }
    const hour = (yield { kind: 'hour', endMs: nowMs + stepMs, sourceless }) as HourReply[];
    const stalled = sum(inNodeOrder(options.nodes, members, hour, (h) => h.stalledBytes));
    const noSource = sum(inNodeOrder(options.nodes, members, hour, (h) => h.noSourceBytes));
    const usedBytes = sum(inNodeOrder(options.nodes, members, hour, (h) => h.usedBytes));
    const stalledShare = donatedBytes > 0 ? stalled / donatedBytes : 0;
    if (fillHours === null && usedBytes >= 0.9 * donatedBytes) fillHours = (step + 1) / stepsPerHour;
    diskInUseEnd = donatedBytes > 0 ? usedBytes / donatedBytes : 0;
    stalledMax = Math.max(stalledMax, stalledShare);
    over2xMax = Math.max(over2xMax, over);
    over2xEnd = over;
    series.hours.push((step + 1) / stepsPerHour);
    series.belowTarget.push(below);
    series.atZero.push(zero);
    if (step >= steps / 2) {
      half.n++;
      half.below += below;
      half.zero += zero;
      half.stalled += stalledShare;
      half.noSource += donatedBytes > 0 ? noSource / donatedBytes : 0;
    }
  }

  const finish = (yield { kind: 'finish' }) as FinishReply[];
  let firstHourMax = 0;
  let firstHourNoDeficit = 0;
  for (let i = 0; i < options.torrents; i++) {
    const takers = firstHourTakers[i] ?? 0;
    const deficit = w.initialDeficit[i] ?? 0;
    firstHourMax = Math.max(firstHourMax, takersPerTwiceDeficit(takers, deficit));
    if (deficit <= 0) firstHourNoDeficit += takers;
  }
  const n = Math.max(1, half.n);
  return {
    series,
    stats: sumStats(finish.map((f) => f.stats)),
    metrics: {
      strategy: strategyName,
      belowTargetAvg: half.below / n,
      belowTargetEnd: series.belowTarget.at(-1) ?? 0,
      atZeroAvg: half.zero / n,
      atZeroEnd: series.atZero.at(-1) ?? 0,
      over2xEnd,
      over2xMax,
      mostNodesOnOne: mostNodes,
      firstHourMaxTakersPerTwiceDeficit: firstHourMax,
      firstHourTakersWithoutDeficit: firstHourNoDeficit,
      bytesDownloaded: bytes,
      donatedBytes,
      stalledDayShareAvg: half.stalled / n,
      stalledDayShareMax: stalledMax,
      noSourceShareAvg: half.noSource / n,
      adds,
      removes,
      fillHours,
      diskInUseEnd,
      replacedNodes: churn.total(),
      torrents: options.torrents,
      nodes: options.nodes,
      wallMs: performance.now() - started,
    },
  };
}

/**
 * Which nodes leave at each step (churn): `churnPerDay` of the nodes a day, spread over the
 * steps as they fall due, each drawn at random from all nodes (its own stream: churn leaves
 * every other draw of the world as it is).
 */
function churnOf(options: SimOptions, stepMs: number): { next: () => number[]; total: () => number } {
  const rnd = seededRandom(options.seed * 613 + 29);
  const perStep = (options.churnPerDay * options.nodes * stepMs) / 86_400_000;
  let steps = 0;
  let total = 0;
  return {
    next() {
      // Due by the end of this step, counted from the start (no drift from summing fractions).
      const due = Math.floor(++steps * perStep + 1e-9);
      const out = new Set<number>();
      while (total + out.size < due && out.size < options.nodes) {
        let node = Math.floor(rnd() * options.nodes);
        while (out.has(node)) node = Math.floor(rnd() * options.nodes);
        out.add(node);
      }
      total = Math.max(total, due);
      return [...out];
    },
    total: () => total,
  };
}

function sumStats(all: ReadonlyArray<SmartnodeStats | null>): SmartnodeStats | null {
  const present = all.filter((s): s is SmartnodeStats => s !== null);
  if (present.length === 0) return null;
  return present.reduce((a, s) => ({
    decideMs: a.decideMs + s.decideMs,
    decisions: a.decisions + s.decisions,
    candidates: a.candidates + s.candidates,
    shadowTicks: a.shadowTicks + s.shadowTicks,
    shadowChanged: a.shadowChanged + s.shadowChanged,
  }));
}

function sum(values: Float64Array): number {
  return values.reduce((a, b) => a + b, 0);
}

/** Per-node values from the shards' replies (each in its members' order), by node index. */
function inNodeOrder<R>(
  nodes: number,
  members: readonly (readonly number[])[],
  replies: readonly R[],
  values: (reply: R) => readonly number[],
): Float64Array {
  const out = new Float64Array(nodes);
  replies.forEach((reply, k) => {
    const indexes = members[k] ?? [];
    values(reply).forEach((v, j) => {
      out[indexes[j] as number] = v;
    });
  });
  return out;
}
