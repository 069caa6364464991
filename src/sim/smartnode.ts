/**
 * smartnode in the simulator: every node runs the agent's own decision, planTick, on what it
 * would observe (the feed's items with the last scrape's counts, the copies it holds). Only
 * torrents below the seeder target, and those the node holds, are passed: a well-seeded
 * torrent it does not hold is always skipped (WELL_SEEDED), so leaving it out changes no
 * decision and keeps a tick's cost to the torrents that matter.
 */
import { planTick } from '../agent/index.js';
import { observationOf, type HeldView } from '../agent/index.js';
import { initialDecideMemory, type DecideMemory } from '../agent/index.js';
import type { AgentConfig, Observation } from '../agent/index.js';
import type { FeedItem } from '../feeds/index.js';
import { toInfoHash, type InfoHash } from '../shared/index.js';
import type { World } from './model.js';
import type { Strategy } from './baselines.js';

const FEED_ID = 'sim';

export interface SmartnodeStats {
  /** Wall time spent in planTick (and building its observation), ms. */
  decideMs: number;
  decisions: number;
  candidates: number;
}

/** One node's decision for one tick: planTick with only the decisions that can act (the default). */
export type SimDecide = (carried: DecideMemory, obs: Observation, config: AgentConfig, nowMs: number) => ReturnType<typeof planTick>;
const planActionable: SimDecide = (carried, obs, config, nowMs) => planTick(carried, obs, config, nowMs, { decisions: 'actionable' });

export function smartnodeStrategy(
  template: AgentConfig,
  sizes: { torrents: number },
  decide: SimDecide = planActionable,
): Strategy & { stats: SmartnodeStats } {
  const hashes: InfoHash[] = Array.from({ length: sizes.torrents }, (_, i) => toInfoHash((i + 1).toString(16).padStart(40, '0')));
  const index = new Map(hashes.map((h, i) => [h, i]));
  const memory = new Map<number, DecideMemory>();
  const configs = new Map<number, AgentConfig>();
  const stats: SmartnodeStats = { decideMs: 0, decisions: 0, candidates: 0 };
  let itemsAt = Number.NaN;
  let needy: FeedItem[] = [];
  // One item per torrent and scrape, shared by every node that ticks on it (items are read-only).
  let items: Array<FeedItem | undefined> = [];
  const itemOf = (w: World, i: number): FeedItem => {
    let item = items[i];
    if (item === undefined) {
      item = newItem(w, i);
      items[i] = item;
    }
    return item;
  };
  const newItem = (w: World, i: number): FeedItem => ({
    infoHash: hashes[i] as InfoHash,
    name: `t${i}`,
    sizeBytes: w.sizes[i] ?? 0,
    torrentUrl: `http://sim/${i}.torrent`,
    magnetUri: null,
    trackers: [],
    counts: {
      seeders: w.scrape.seeders[i] ?? 0,
      leechers: w.scrape.leechers[i] ?? 0,
      completed: w.scrape.completed[i] ?? 0,
      source: 'scrape',
      observedAtMs: w.scrape.atMs,
      origin: 'sim',
    },
    publishedAtMs: null,
  });
  const target = template.planPolicy.scoring.targetSeeders;
  let webSeeds: Map<InfoHash, number> | null = null;

  return {
    name: 'smartnode',
    stats,
    tick(node, world, nowMs) {
      const started = performance.now();
      if (itemsAt !== world.scrape.atMs) {
        itemsAt = world.scrape.atMs;
        items = new Array<FeedItem | undefined>(world.sizes.length);
        needy = [];
        for (let i = 0; i < world.sizes.length; i++) if ((world.scrape.seeders[i] ?? 0) < target) needy.push(itemOf(world, i));
      }
      const extra: FeedItem[] = [];
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
        if ((world.scrape.seeders[c.torrent] ?? 0) >= target) extra.push(itemOf(world, c.torrent));
      }
      const listed = extra.length === 0 ? needy : needy.concat(extra);
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
      webSeeds ??= new Map(hashes.flatMap((h, i) => (world.webSeed[i] === 1 ? [[h, 1] as const] : [])));
      const obs = observationOf({
        webSeeds,
        nodeId: node.nodeId,
        nowMs,
        downloadDir: config.downloadDir,
        label: config.label,
        maxCountAgeMs: config.maxCountAgeMs,
        feeds: [{ feedId: FEED_ID, items: listed }],
        held,
        diskFreeBytes: null,
      });
      const { plan, next } = decide(memory.get(node.index) ?? initialDecideMemory(), obs, config, nowMs);
      memory.set(node.index, next);
      stats.decideMs += performance.now() - started;
      stats.decisions++;
      stats.candidates += listed.length;
      return {
        add: plan.adds.map((a) => index.get(a.action.infoHash) ?? -1).filter((i) => i >= 0),
        remove: plan.removes.map((r) => index.get(r.action.infoHash) ?? -1).filter((i) => i >= 0),
      };
    },
  };
}
