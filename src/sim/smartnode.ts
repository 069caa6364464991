/**
 * smartnode in the simulator: every node runs the agent's own decision, planTick, on what the
 * agent's observe() would give it: the whole feed (every item, with the last scrape's counts,
 * or none for a torrent never counted) and the copies it holds. No torrent is left out: the
 * decision's carried memory reads torrents it would not take, so a shorter list would change
 * what it decides later.
 */
import {
  buildCandidates,
  initialDecideMemory,
  mergeFeedItems,
  observationOf,
  planTick,
  type AgentConfig,
  type DecideMemory,
  type HeldView,
  type MergedItem,
  type Observation,
} from '../agent/index.js';
import type { FeedItem } from '../feeds/index.js';
import type { Candidate } from '../plan/index.js';
import { toInfoHash, type InfoHash } from '../shared/index.js';
import { SIM_START_MS, type World } from './model.js';
import type { Strategy } from './baselines.js';

const FEED_ID = 'sim';

export interface SmartnodeStats {
  /** Wall time spent in planTick (and building its observation), ms. */
  decideMs: number;
  decisions: number;
  candidates: number;
  /** Node-ticks also decided by the shadow run, and those where its decision differed. */
  shadowTicks: number;
  shadowChanged: number;
}

/** One node's decision for one tick: planTick with only the decisions that can act (the default). */
export type SimDecide = (carried: DecideMemory, obs: Observation, config: AgentConfig, nowMs: number) => ReturnType<typeof planTick>;
const planActionable: SimDecide = (carried, obs, config, nowMs) => planTick(carried, obs, config, nowMs, { decisions: 'actionable' });

export function smartnodeStrategy(
  template: AgentConfig,
  sizes: { torrents: number; shadowEvery?: number },
  decide: SimDecide = planActionable,
): Strategy & { stats: SmartnodeStats } {
  const hashes: InfoHash[] = Array.from({ length: sizes.torrents }, (_, i) => toInfoHash((i + 1).toString(16).padStart(40, '0')));
  const index = new Map(hashes.map((h, i) => [h, i]));
  const memory = new Map<number, DecideMemory>();
  const configs = new Map<number, AgentConfig>();
  const stats: SmartnodeStats = { decideMs: 0, decisions: 0, candidates: 0, shadowTicks: 0, shadowChanged: 0 };
  const shadowEvery = sizes.shadowEvery ?? 0;
  let webSeeds: Map<InfoHash, number> | null = null;
  /**
   * What every node observes of the feed at one scrape and tick time, built once and shared
   * (planTick reads its observation and never writes it): the merged items of every torrent,
   * and the candidates in feed order, which are the same for a node holding the torrent (the
   * simulated daemon reports no tracker counts, so the feed's counts are picked either way).
   */
  let shared: { scrapeAtMs: number; nowMs: number; merged: Map<InfoHash, MergedItem>; candidates: Candidate[] } | null = null;
  const sharedFor = (w: World, nowMs: number, maxCountAgeMs: number): NonNullable<typeof shared> => {
    if (shared !== null && shared.scrapeAtMs === w.scrape.atMs && shared.nowMs === nowMs) return shared;
    const merged =
      shared !== null && shared.scrapeAtMs === w.scrape.atMs
        ? shared.merged
        : mergeFeedItems([{ feedId: FEED_ID, items: Array.from({ length: w.sizes.length }, (_, i) => itemOf(w, i)) }], new Set());
    webSeeds ??= new Map(hashes.flatMap((h, i) => (w.webSeed[i] === 1 ? [[h, 1] as const] : [])));
    const seeds = webSeeds;
    const candidates = buildCandidates({
      merged,
      torrents: new Map(),
      scraped: new Map(),
      nowMs,
      maxCountAgeMs,
      cachedTorrent: (hash) => {
        const m = merged.get(hash);
        const n = seeds.get(hash);
        return n === undefined || m === undefined
          ? undefined
          : { infoHash: hash, name: m.item.name, totalSizeBytes: m.item.sizeBytes ?? 0, trackers: [], webSeeds: n };
      },
    });
    shared = { scrapeAtMs: w.scrape.atMs, nowMs, merged, candidates };
    return shared;
  };
  const itemOf = (w: World, i: number): FeedItem => ({
    infoHash: hashes[i] as InfoHash,
    name: `t${i}`,
    sizeBytes: w.sizes[i] ?? 0,
    torrentUrl: `http://sim/${i}.torrent`,
    magnetUri: null,
    trackers: [],
    counts:
      w.counted[i] === 1
        ? {
            seeders: w.scrape.seeders[i] ?? 0,
            leechers: w.scrape.leechers[i] ?? 0,
            completed: w.scrape.completed[i] ?? 0,
            source: 'scrape',
            observedAtMs: w.scrape.atMs,
            origin: 'sim',
          }
        : null,
    publishedAtMs: null,
  });

  return {
    name: 'smartnode',
    stats,
    forget(nodeIndex) {
      memory.delete(nodeIndex);
    },
    tick(node, world, nowMs) {
      const started = performance.now();
      const held: HeldView[] = [];
      for (const c of node.copies.values()) {
        held.push({
          infoHash: hashes[c.torrent] as InfoHash,
          name: `t${c.torrent}`,
          sizeBytes: world.sizes[c.torrent] ?? 0,
          leftBytes: (world.sizes[c.torrent] ?? 0) - c.doneBytes,
          addedAtMs: c.addedAtMs,
          feedIds: [FEED_ID],
        });
      }
      let config = configs.get(node.index);
      if (config === undefined) {
        config = {
          ...template,
          planPolicy: {
            ...template.planPolicy,
            maxBytes: node.budgetBytes,
            minFreeBytes: 0,
            feeds: [{ id: FEED_ID, maxBytes: null, maxTorrents: null }],
          },
        };
        delete config.donated;
        configs.set(node.index, config);
      }
      const feed = sharedFor(world, nowMs, config.maxCountAgeMs);
      const listed = feed.candidates;
      // The node's own part (its torrents, records and ownership) from observationOf; the feed's part shared.
      const own = observationOf({
        nodeId: node.nodeId,
        nowMs,
        downloadDir: config.downloadDir,
        label: config.label,
        maxCountAgeMs: config.maxCountAgeMs,
        feeds: [],
        held,
        diskFreeBytes: null,
      });
      const obs: Observation = { ...own, merged: feed.merged, candidates: listed };
      const carried = memory.get(node.index) ?? initialDecideMemory();
      const decided = decide(carried, obs, config, nowMs);
      const { plan, next } = decided;
      memory.set(node.index, next);
      stats.decideMs += performance.now() - started;
      stats.decisions++;
      stats.candidates += listed.length;
      if (shadowEvery > 0 && isShadowed(node.index, nowMs, world.options.tickMinutes, shadowEvery)) {
        // The agent's own way: this node's observation of the whole feed, nothing shared, every candidate planned.
        const own = observationOf({
          nodeId: node.nodeId,
          nowMs,
          downloadDir: config.downloadDir,
          label: config.label,
          maxCountAgeMs: config.maxCountAgeMs,
          feeds: [{ feedId: FEED_ID, items: Array.from({ length: world.sizes.length }, (_, i) => itemOf(world, i)) }],
          held,
          diskFreeBytes: null,
          webSeeds: webSeeds ?? new Map(),
        });
        stats.shadowTicks++;
        if (decisionOf(planTick(carried, own, config, nowMs)) !== decisionOf(decided)) stats.shadowChanged++;
      }
      return {
        add: plan.adds.map((a) => index.get(a.action.infoHash) ?? -1).filter((i) => i >= 0),
        remove: plan.removes.map((r) => index.get(r.action.infoHash) ?? -1).filter((i) => i >= 0),
      };
    },
  };
}

/**
 * Whether a node-tick is in the shadow run: about one in `every`, spread over the nodes and,
 * for each node, over its ticks.
 */
function isShadowed(nodeIndex: number, nowMs: number, tickMinutes: number, every: number): boolean {
  const tick = Math.round((nowMs - SIM_START_MS) / (tickMinutes * 60_000));
  return (nodeIndex * 7 + tick) % every === 0;
}

/**
 * A decision as it acts and as it is carried: the adds and removes in order, and the memory
 * the next tick starts from (herd levels per swarm, progress and back-offs), as one string.
 */
function decisionOf(decided: ReturnType<SimDecide>): string {
  const { plan, next } = decided;
  const herd = next.herd;
  return JSON.stringify({
    adds: plan.adds.map((a) => a.action.infoHash),
    removes: plan.removes.map((r) => r.action.infoHash),
    herd: {
      competitors: herd.competitors,
      updatedAtMs: herd.updatedAtMs,
      slowStartRate: herd.slowStartRate,
      startedAtMs: herd.startedAtMs,
      ticks: herd.ticks,
      startedEmpty: herd.startedEmpty,
      feedsSeenAt: [...herd.feedsSeenAt],
      baselines: [...herd.baselines],
      lastSample: herd.lastSample,
    },
    progress: [...next.availability.progress],
    backoffUntil: [...next.availability.backoffUntil],
    bandwidthSummary: next.bandwidthSummary,
  });
}
