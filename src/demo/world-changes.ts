/**
 * The demo's world does not stand still: while the viewer watches, a seeder leaves one swarm,
 * downloaders crowd into another and a new dataset appears in the feed, one after the other,
 * so the agent is seen re-planning, each time with its reasons. Every change is real: a seeding
 * daemon drops the torrent, leechers announce to the real tracker, the feed server publishes
 * the new item.
 */
import { announcePeer, rpcCall, type MirrorWorld } from '../testkit/index.js';

export interface WorldChangePlan {
  /** The dataset left out of the feed until the last change. */
  newcomer: string;
  /** Loses one of its seeders (it must have two or more). */
  seederLeaves: string;
  /** Gets `leechers` downloaders at once. */
  leechersSurge: string;
  leechers: number;
  /** Wall time between the start and the first change, and between changes. */
  everyMs: number;
}

/** Starts the changes; `onChange` runs after each (say it, wake the agent). Returns a stop. */
export function startWorldChanges(
  world: MirrorWorld,
  plan: WorldChangePlan,
  onChange: (what: string) => void,
  onError: (what: string, error: unknown) => void,
): () => void {
  const timers: NodeJS.Timeout[] = [];
  let reannounce: NodeJS.Timeout | null = null;
  let stopped = false;
  const announceUrl = world.swarm.tracker.announceUrl;
  const surge = world.dataset(plan.leechersSurge);
  // The tracker forgets a peer that stops announcing: the crowd re-announces while the demo runs.
  const announceCrowd = (): Promise<unknown> =>
    Promise.all(
      Array.from({ length: plan.leechers }, (_, i) =>
        announcePeer(announceUrl, { infoHash: surge.infoHash, port: 41_000 + i, left: surge.dataset.totalBytes }),
      ),
    );
  const steps: Array<[string, () => Promise<unknown>]> = [
    [
      `a seeder leaves: one of the seeders of ${titleOf(world, plan.seederLeaves)} drops it`,
      () =>
        rpcCall(world.swarm.seeders[1] ?? world.swarm.seeders[0]!, 'torrent-remove', { ids: [world.dataset(plan.seederLeaves).infoHash] }),
    ],
    [
      `downloaders surge: ${plan.leechers} leechers ask for ${titleOf(world, plan.leechersSurge)}`,
      async () => {
        await announceCrowd();
        reannounce = setInterval(() => void announceCrowd().catch(() => undefined), 4000);
      },
    ],
    [
      `a new dataset appears in the feed: ${titleOf(world, plan.newcomer)}`,
      async () => world.publishFeed(world.datasets.map((d) => d.spec.name)),
    ],
  ];
  steps.forEach(([what, change], k) => {
    timers.push(
      setTimeout(
        () => {
          if (stopped) return;
          change().then(
            () => onChange(what),
            (error: unknown) => onError(what, error),
          );
        },
        plan.everyMs * (k + 1),
      ),
    );
  });
  return () => {
    stopped = true;
    for (const t of timers) clearTimeout(t);
    if (reannounce !== null) clearInterval(reannounce);
  };
}

function titleOf(world: MirrorWorld, name: string): string {
  return `"${world.dataset(name).spec.title ?? name}"`;
}
