/**
 * A shard: some of the simulated nodes (shardMembers) with their strategy, in this thread or
 * in a worker. The world (external peers, per-torrent counts, the scrape) stays with the run
 * loop; a shard sees it as its nodes do, through the last scrape, and reports back what its
 * nodes changed. Requests come in a fixed order per step (tick, then downloads, then, at an
 * hour's end, the hour's figures), and every reply lists its nodes in the order of its member
 * indexes, which the run loop puts back in node order, so the run gives the same result however
 * the nodes are split.
 */
import { createWorld, stepMinutesOf, type SimOptions, type World } from './model.js';
import type { Strategy } from './baselines.js';
import { addCopy, createNodes, removeCopy, replaceNode, runsOther, stepNodeDownloads, type SimNode } from './nodes.js';
import type { SmartnodeStats } from './smartnode.js';

/** What a node did to a torrent's counts (in a tick reply, as torrent x CHANGES + change). */
export const ADDED = 0;
export const REMOVED_LEECHING = 1;
export const REMOVED_COMPLETE = 2;
/** The node left (churn): its copy went with it, not by a decision. */
export const LEFT_LEECHING = 3;
export const LEFT_COMPLETE = 4;
export const CHANGES = 8;

export interface ScrapeSnapshot {
  atMs: number;
  seeders: Int32Array;
  leechers: Int32Array;
  completed: Int32Array;
}

export type ShardRequest =
  | { kind: 'tick'; step: number; nowMs: number; scrape: ScrapeSnapshot | null; replaced: number[] }
  | { kind: 'download'; nowMs: number; stepMs: number; sourced: Uint8Array }
  | { kind: 'hour'; endMs: number; sourceless: Uint8Array }
  | { kind: 'finish' };

export interface TickReply {
  /** torrent x CHANGES + ADDED | REMOVED_* | LEFT_*, in node order. */
  changes: number[];
}
export interface DownloadReply {
  /** Torrents whose download completed this step. */
  finished: number[];
  /** Bytes each node downloaded, in member order. */
  nodeBytes: number[];
}
export interface HourReply {
  /** Per node: bytes on downloads with no progress for a day, on downloads with no source now, and in use. */
  stalledBytes: number[];
  noSourceBytes: number[];
  usedBytes: number[];
}
export interface FinishReply {
  stats: SmartnodeStats | null;
}
export type ShardReply = TickReply | DownloadReply | HourReply | FinishReply;

const DAY_MS = 86_400_000;

export class Shard {
  private readonly world: World;
  private readonly nodes: SimNode[];

  constructor(
    options: SimOptions,
    private readonly strategy: Strategy,
    members: readonly number[],
    stepsPerTick: number,
    /** The strategy of the nodes that run another one (SimOptions.mixed), if any. */
    private readonly other: Strategy | null = null,
  ) {
    // The same seeded world and nodes as the run loop's; this copy is read for sizes, web seeds and the scrape.
    this.world = createWorld(options);
    const all = createNodes(this.world, options.seed, stepsPerTick);
    this.nodes = members.map((i) => all[i] as SimNode);
  }

  handle(request: ShardRequest): ShardReply {
    switch (request.kind) {
      case 'tick':
        return this.tick(request.step, request.nowMs, request.scrape, request.replaced);
      case 'download':
        return this.download(request.nowMs, request.stepMs, request.sourced);
      case 'hour':
        return this.hour(request.endMs, request.sourceless);
      case 'finish':
        return { stats: 'stats' in this.strategy ? (this.strategy.stats as SmartnodeStats) : null };
    }
  }

  private tick(step: number, nowMs: number, scrape: ScrapeSnapshot | null, replaced: readonly number[]): TickReply {
    const w = this.world;
    if (scrape !== null) w.scrape = scrape;
    const stepsPerTick = Math.max(1, Math.round(w.options.tickMinutes / stepMinutesOf(w.options)));
    const changes: number[] = [];
    const leaving = new Set(replaced);
    for (const node of this.nodes) {
      const strategy = this.other !== null && runsOther(w.options, node.index) ? this.other : this.strategy;
      if (leaving.has(node.index)) {
        for (const c of replaceNode(node, w.options.seed, nowMs))
          changes.push(c.torrent * CHANGES + (c.complete ? LEFT_COMPLETE : LEFT_LEECHING));
        strategy.forget?.(node.index);
      }
      if (step % stepsPerTick !== node.phase || nowMs < node.startMs) continue;
      const choice = strategy.tick(node, w, nowMs);
      for (const t of choice.remove) {
        const copy = removeCopy(w.sizes, node, t);
        if (copy !== undefined) changes.push(t * CHANGES + (copy.complete ? REMOVED_COMPLETE : REMOVED_LEECHING));
      }
      for (const t of choice.add) if (addCopy(w.sizes, node, t, nowMs)) changes.push(t * CHANGES + ADDED);
    }
    return { changes };
  }

  private download(nowMs: number, stepMs: number, sourced: Uint8Array): DownloadReply {
    const finished: number[] = [];
    const rate = this.world.options.nodeDownloadBytesPerSec;
    const nodeBytes = this.nodes.map((node) => stepNodeDownloads(this.world.sizes, node, sourced, rate, nowMs, stepMs, finished));
    return { finished, nodeBytes };
  }

  private hour(endMs: number, sourceless: Uint8Array): HourReply {
    const reply: HourReply = { stalledBytes: [], noSourceBytes: [], usedBytes: [] };
    for (const node of this.nodes) {
      let stalledBytes = 0;
      let noSourceBytes = 0;
      for (const c of node.downloading) {
        const size = this.world.sizes[c.torrent] ?? 0;
        if (endMs - c.lastProgressAtMs >= DAY_MS) stalledBytes += size;
        if (sourceless[c.torrent] === 1) noSourceBytes += size;
      }
      reply.stalledBytes.push(stalledBytes);
      reply.noSourceBytes.push(noSourceBytes);
      reply.usedBytes.push(node.usedBytes);
    }
    return reply;
  }
}
