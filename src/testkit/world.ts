/**
 * A self-contained mirroring world on one machine, shared by the end-to-end tests and
 * `npm run demo`: a real tracker and seeding daemons in network namespaces, one more daemon
 * standing for the volunteer's, and a real HTTP server publishing an Academic Torrents style
 * RSS feed (items with infohash, size, link; the .torrent at /download/<infohash>.torrent).
 * Swarm counts come from the real tracker (scrape), as they would on the internet.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { InfoHash } from '../shared/index.js';
import { createScraper } from '../swarm/index.js';
import { startFeedServer, type FeedServer } from './feed-server.js';
import type { DaemonLine } from './daemon-lines.js';
import { startSwarm, type SeededTorrent, type Swarm, type SwarmDaemon } from './swarm.js';
import { makeDataset, type Dataset, type DatasetFileSpec } from './torrents.js';

export interface WorldDatasetSpec {
  name: string;
  files: DatasetFileSpec[];
  /** How many of the seeder daemons seed it (at least 1, so it can be mirrored). */
  seeders: number;
  title?: string;
}

export interface WorldDataset {
  spec: WorldDatasetSpec;
  dataset: Dataset;
  torrent: SeededTorrent;
  infoHash: InfoHash;
}

export interface MirrorWorld {
  readonly swarm: Swarm;
  readonly feedServer: FeedServer;
  /** The daemon standing for the volunteer's own transmission-daemon. */
  readonly volunteer: SwarmDaemon;
  readonly datasets: readonly WorldDataset[];
  readonly feedUrl: string;
  readonly workDir: string;
  /** Publishes the feed with these datasets (by name), in this order. */
  publishFeed(names: readonly string[]): void;
  dataset(name: string): WorldDataset;
  stop(): Promise<void>;
}

export const WORLD_FEED_PATH = '/collection/demo/rss.xml';

export async function startMirrorWorld(options: {
  id: number;
  workDir: string;
  seeders: number;
  datasets: readonly WorldDatasetSpec[];
  rpcPassword: string;
  rechokeKicker?: boolean;
  /** The Transmission line of the volunteer's daemon (default Debian 12's 3.00); seeders run 3.00. */
  volunteerLine?: DaemonLine;
  /** Extra settings.json keys for every daemon (preallocation, ...). */
  daemonSettings?: Record<string, unknown>;
  onProgress?: (message: string) => void;
}): Promise<MirrorWorld> {
  const say = options.onProgress ?? ((): void => undefined);
  for (const spec of options.datasets) {
    if (spec.seeders < 1 || spec.seeders > options.seeders) {
      throw new Error(`dataset ${spec.name}: seeders must be 1..${options.seeders}, got ${spec.seeders}`);
    }
  }
  say(`starting a swarm: ${options.seeders} seeding daemons and the volunteer's daemon in network namespaces`);
  const swarm = await startSwarm({
    id: options.id,
    seeders: options.seeders,
    extraDaemons: 1,
    workDir: join(options.workDir, 'swarm'),
    rpcUsername: 'volunteer',
    rpcPassword: options.rpcPassword,
    ...(options.rechokeKicker === undefined ? {} : { rechokeKicker: options.rechokeKicker }),
    ...(options.daemonSettings === undefined ? {} : { daemonSettings: options.daemonSettings }),
    lines: { extra: options.volunteerLine ?? 'bookworm' },
  });
  let feedServer: FeedServer | undefined;
  try {
    feedServer = await startFeedServer({ host: '127.0.0.1' });
    const datasets: WorldDataset[] = [];
    for (const [i, spec] of options.datasets.entries()) {
      const dataset = await makeDataset({ dir: join(options.workDir, 'datasets'), name: spec.name, files: spec.files, seed: i + 1 });
      const seederIndexes = Array.from({ length: spec.seeders }, (_, k) => k);
      const torrent = await swarm.seedTorrent(seederIndexes, dataset);
      feedServer.setTorrent(torrent.infoHash, torrent.metainfo);
      datasets.push({ spec, dataset, torrent, infoHash: torrent.infoHash });
      say(`seeded ${spec.name} (${formatMB(dataset.totalBytes)}) on ${spec.seeders} daemon${spec.seeders === 1 ? '' : 's'}`);
    }
    // Seeders announce a moment after they finish verifying: wait until the tracker counts
    // every seeder, so the agent's first look at the swarm is the true one.
    const scraper = createScraper({ requestsPerSecond: 20, timeoutMs: 2000, now: Date.now });
    await swarm.waitFor(
      async () => {
        const outcome = await scraper.scrape(datasets.map((d) => ({ infoHash: d.infoHash, trackers: [swarm.tracker.announceUrl] })));
        return datasets.every((d) => outcome.results.get(d.infoHash)?.seeders === d.spec.seeders);
      },
      { timeoutMs: 30_000, what: 'the tracker to count every seeder' },
    );
    const volunteer = swarm.daemons[0];
    if (volunteer === undefined) throw new Error('the swarm started without the volunteer daemon');
    const server = feedServer;
    const byName = new Map(datasets.map((d) => [d.spec.name, d]));
    const world: MirrorWorld = {
      swarm,
      feedServer: server,
      volunteer,
      datasets,
      workDir: options.workDir,
      feedUrl: `${server.url}${WORLD_FEED_PATH}`,
      dataset(name) {
        const found = byName.get(name);
        if (found === undefined) throw new Error(`no dataset ${name} in this world`);
        return found;
      },
      publishFeed(names) {
        const items = names.map((n) => world.dataset(n));
        server.setRoute(WORLD_FEED_PATH, { body: renderAtRss(items, server.url), contentType: 'application/rss+xml; charset=utf-8' });
      },
      async stop() {
        await server.close().catch(() => undefined);
        await swarm.stop();
      },
    };
    world.publishFeed(datasets.map((d) => d.spec.name));
    return world;
  } catch (error) {
    await feedServer?.close().catch(() => undefined);
    await swarm.stop().catch(() => undefined);
    throw error;
  }
}

/** Academic Torrents' rss.xml shape: unprefixed infohash and size, no enclosure. */
export function renderAtRss(items: readonly WorldDataset[], origin: string): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const body = items
    .map(
      (d) => `    <item>
      <title>${esc(d.spec.title ?? d.spec.name)}</title>
      <category>Dataset</category>
      <infohash>${d.infoHash}</infohash>
      <guid>${d.infoHash}</guid>
      <link>${origin}/details/${d.infoHash}</link>
      <description>${esc(d.spec.name)}, ${d.dataset.files.length} files</description>
      <size>${d.dataset.totalBytes}</size>
    </item>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:academictorrents="http://academictorrents.com/">
  <channel>
    <title>Demo collection</title>
    <link>${origin}/collection/demo</link>
    <description>Generated datasets for the smartnode demo and tests</description>
${body}
  </channel>
</rss>
`;
}

/** Writes a policy for the agent driving the world's volunteer daemon. */
export async function writeWorldPolicy(
  world: MirrorWorld,
  options: {
    path: string;
    downloadDir: string;
    stateDir: string;
    maxBytes: number;
    passwordEnv: string;
    tick?: string;
    extra?: string;
  },
): Promise<void> {
  await mkdir(options.downloadDir, { recursive: true });
  await writeFile(
    options.path,
    `# Written by the smartnode test world.
version: 1
node:
  stateDir: ${options.stateDir}
daemon:
  url: ${world.volunteer.rpcUrl}
  username: ${world.volunteer.username}
  passwordEnv: ${options.passwordEnv}
storage:
  downloadDir: ${options.downloadDir}
  maxBytes: ${options.maxBytes}
  minFreeBytes: 0
feeds:
  - id: demo
    url: ${world.feedUrl}
    format: rss
scoring:
  targetSeeders: 4
  minSeedTime: 0s
intervals:
  tick: ${options.tick ?? '5s'}
  feedRefresh: 10s
  scrape: 10s
${options.extra ?? ''}`,
  );
}

function formatMB(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
