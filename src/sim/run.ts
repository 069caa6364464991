/**
 * One strategy over one modelled world: every node ticks at its phase, downloads move on,
 * external seeders come and go, trackers are scraped; what the population achieves is sampled
 * every hour. The same options and seed give the same world for every strategy.
 */
import { SIM_START_MS, STEP_MINUTES, createWorld, scrapeNow, seedersOf, stepExternal, type SimOptions, type World } from './model.js';
import type { Strategy } from './baselines.js';
import { addCopy, createNodes, removeCopy, stepDownloads, type SimNode } from './nodes.js';

export interface SimSeries {
  /** Hours since the start, one sample an hour. */
  hours: number[];
  belowTarget: number[];
  atZero: number[];
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
  /** First hour: the largest takers / (2 x deficit) over torrents with a deficit, and takers of torrents with none. */
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
  /** Wall time of the run, ms. */
  wallMs: number;
}

export interface SimRun {
  metrics: SimMetrics;
  series: SimSeries;
}

export function runStrategy(options: SimOptions, strategy: Strategy, inspect?: (w: World, nodes: readonly SimNode[]) => void): SimRun {
  const started = performance.now();
  const w = createWorld(options);
  const stepMs = STEP_MINUTES * 60_000;
  const stepsPerTick = Math.max(1, Math.round(options.tickMinutes / STEP_MINUTES));
  const stepsPerScrape = Math.max(1, Math.round(options.scrapeMinutes / STEP_MINUTES));
  const stepsPerHour = 60 / STEP_MINUTES;
  const steps = Math.round((options.days * 24 * 60) / STEP_MINUTES);
  const nodes = createNodes(w, options.seed, stepsPerTick);
  const donatedBytes = nodes.reduce((a, n) => a + n.budgetBytes, 0);
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

  for (let step = 0; step < steps; step++) {
    const nowMs = SIM_START_MS + step * stepMs;
    if (step % stepsPerScrape === 0 && step > 0) scrapeNow(w, nowMs);
    for (const node of nodes) {
      if (step % stepsPerTick !== node.phase) continue;
      const choice = strategy.tick(node, w, nowMs);
      for (const t of choice.remove) if (removeCopy(w, node, t)) removes++;
      for (const t of choice.add) {
        if (!addCopy(w, node, t, nowMs)) continue;
        adds++;
        if (step < stepsPerHour) firstHourTakers[t] = (firstHourTakers[t] ?? 0) + 1;
      }
    }
    bytes += stepDownloads(w, nodes, nowMs, stepMs);
    stepExternal(w, stepMs);

    if ((step + 1) % stepsPerHour !== 0) continue;
    let below = 0;
    let zero = 0;
    let over = 0;
    for (let i = 0; i < options.torrents; i++) {
      const s = seedersOf(w, i);
      if (s < target) below++;
      if (s === 0) zero++;
      const copies = (w.extSeeders[i] ?? 0) + (w.nodeComplete[i] ?? 0) + (w.nodeLeeching[i] ?? 0);
      if (copies > 2 * target) over++;
      mostNodes = Math.max(mostNodes, (w.nodeComplete[i] ?? 0) + (w.nodeLeeching[i] ?? 0));
    }
    let stalled = 0;
    let noSource = 0;
    const endMs = nowMs + stepMs;
    for (const node of nodes) {
      for (const c of node.copies.values()) {
        if (c.complete) continue;
        const size = w.sizes[c.torrent] ?? 0;
        if (endMs - c.lastProgressAtMs >= 86_400_000) stalled += size;
        if (seedersOf(w, c.torrent) === 0 && w.webSeed[c.torrent] !== 1) noSource += size;
      }
    }
    const stalledShare = donatedBytes > 0 ? stalled / donatedBytes : 0;
    if (fillHours === null && nodes.reduce((a, n) => a + n.usedBytes, 0) >= 0.9 * donatedBytes) fillHours = (step + 1) / stepsPerHour;
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

  inspect?.(w, nodes);
  let firstHourMax = 0;
  let firstHourNoDeficit = 0;
  for (let i = 0; i < options.torrents; i++) {
    const takers = firstHourTakers[i] ?? 0;
    const deficit = w.initialDeficit[i] ?? 0;
    if (deficit > 0) firstHourMax = Math.max(firstHourMax, takers / (2 * deficit));
    else firstHourNoDeficit += takers;
  }
  const n = Math.max(1, half.n);
  return {
    series,
    metrics: {
      strategy: strategy.name,
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
      torrents: options.torrents,
      nodes: options.nodes,
      wallMs: performance.now() - started,
    },
  };
}
