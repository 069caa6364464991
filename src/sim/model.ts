/**
 * The modelled world of `smartnode simulate`, pure and seeded: one feed of torrents, external
 * seeders that come and go, external leechers, and the copies the simulated nodes hold. A
 * download progresses only while its torrent has a source: a complete seeder (external or a
 * node's finished copy) or, when modelled, a web seed (BEP 19/17); partial copies alone never
 * finish one. Trackers are scraped every scrape interval: nodes see counts that old.
 *
 * Outside leechers (outside.ts) arrive at each torrent's own rate, download only while it has
 * a source, and on completion leave or seed briefly; with no source they wait until they give
 * up. The world presets (worlds.ts) vary the population (arrivals, churn, how many nodes, a
 * share running another strategy), the disk, an outside flash crowd, and torrents that are
 * never counted (their feed item carries no counts and scrapes of them fail).
 */
import { seededRandom } from '../shared/index.js';
import { createOutside, stepOutside, type Outside } from './outside.js';

export interface SimOptions {
  nodes: number;
  torrents: number;
  days: number;
  /** Donated disk of all nodes together, as a multiple of what the swarm needs (deficit x size). */
  diskMultiple: number;
  /** Mean days an external seeder stays. */
  seederLifetimeDays: number;
  /** External seeders arriving per torrent per day (mean). */
  seederArrivalsPerDay: number;
  /** Share of torrents whose .torrent names a web seed (0 = none). */
  webSeedShare: number;
  tickMinutes: number;
  scrapeMinutes: number;
  /** Download rate of one node, shared by its downloads that can progress. */
  nodeDownloadBytesPerSec: number;
  targetSeeders: number;
  seed: number;
  /** Nodes start at times spread evenly at random over the first this many days (0: all at once). */
  arrivalDays: number;
  /** Share of the nodes that leave each day, their data gone, each replaced by an empty node. */
  churnPerDay: number;
  /** Outside leechers arriving per torrent per day (the mean; each torrent has its own rate). */
  leecherArrivalsPerDay: number;
  /** One outside leecher's download rate while its torrent has a source. */
  outsideDownloadBytesPerSec: number;
  /** Share of outside leechers that seed for a while after completing (the rest leave at once), and for how long on average. */
  leecherSeedShare: number;
  leecherSeedDays: number;
  /** Mean days an outside leecher waits before it gives up, whether or not it progresses. */
  leecherPatienceDays: number;
  /** Outside flash crowd: `leechers` extra leechers kept on each of `torrents` torrents from `startDay` for `days`. */
  flashCrowd: { torrents: number; leechers: number; startDay: number; days: number } | null;
  /** Share of torrents never counted: their feed item has no counts and scrapes of them fail. */
  uncountedShare: number;
  /** A share of the nodes running another strategy than the one under test (a mixed population). */
  mixed: { share: number; strategy: string } | null;
  /**
   * Shadow run: about one in this many of smartnode's node-ticks is also decided as the agent
   * decides, from its own observation of the feed (nothing shared) and planning every
   * candidate, and counted where that decision differs (0: no shadow run). Changes no outcome.
   */
  shadowEvery: number;
}

export const DEFAULT_SIM: SimOptions = {
  nodes: 200,
  torrents: 2000,
  days: 14,
  diskMultiple: 1.5,
  seederLifetimeDays: 10,
  seederArrivalsPerDay: 0.25,
  webSeedShare: 0,
  tickMinutes: 60,
  scrapeMinutes: 30,
  nodeDownloadBytesPerSec: 20e6,
  targetSeeders: 5,
  seed: 1,
  arrivalDays: 0,
  churnPerDay: 0,
  leecherArrivalsPerDay: 0.3,
  outsideDownloadBytesPerSec: 5e6,
  leecherSeedShare: 0.3,
  leecherSeedDays: 1,
  leecherPatienceDays: 7,
  flashCrowd: null,
  uncountedShare: 0,
  mixed: null,
  shadowEvery: 0,
};

/**
 * Minutes per simulation step: node ticks and scrapes fall on steps (a node's at a random
 * phase), so a step divides both, and an hour: 10 minutes unless a tick or scrape needs less.
 */
export function stepMinutesOf(options: Pick<SimOptions, 'tickMinutes' | 'scrapeMinutes'>): number {
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  return gcd(gcd(10, Math.round(options.tickMinutes)), Math.round(options.scrapeMinutes));
}
export const SIM_START_MS = Date.UTC(2026, 0, 1);
const MIN_BYTES = 100e6;
const MAX_BYTES = 500e9;

export interface World {
  options: SimOptions;
  sizes: Float64Array;
  webSeed: Uint8Array;
  /** External complete seeders (long-lived ones and outside leechers seeding briefly) and outside leechers now. */
  extSeeders: Int32Array;
  extLeechers: Int32Array;
  outside: Outside;
  /** 1: the torrent is counted (its feed item has counts, scrapes of it answer). */
  counted: Uint8Array;
  /** Node copies: complete and still downloading. */
  nodeComplete: Int32Array;
  nodeLeeching: Int32Array;
  /** Completed downloads ever (the tracker's `downloaded`). */
  completed: Int32Array;
  /** The last scrape: what nodes see. */
  scrape: { atMs: number; seeders: Int32Array; leechers: Int32Array; completed: Int32Array };
  /** Deficit x size at the start: the need donated disk is measured against. */
  needBytes: number;
  initialDeficit: Int32Array;
  rnd: () => number;
}

export function createWorld(options: SimOptions): World {
  const rnd = seededRandom(options.seed);
  const n = options.torrents;
  const sizes = new Float64Array(n);
  const webSeed = new Uint8Array(n);
  const extSeeders = new Int32Array(n);
  const extLeechers = new Int32Array(n);
  const initialDeficit = new Int32Array(n);
  // Steady state of arrivals and departures: mean seeders = arrivals x lifetime.
  const meanSeeders = options.seederArrivalsPerDay * options.seederLifetimeDays;
  let needBytes = 0;
  for (let i = 0; i < n; i++) {
    sizes[i] = Math.round(MIN_BYTES * Math.exp(rnd() * Math.log(MAX_BYTES / MIN_BYTES)));
    webSeed[i] = rnd() < options.webSeedShare ? 1 : 0;
    extSeeders[i] = Math.floor(-Math.log(1 - rnd()) * meanSeeders);
    initialDeficit[i] = Math.max(0, options.targetSeeders - (extSeeders[i] ?? 0));
    needBytes += (initialDeficit[i] ?? 0) * (sizes[i] ?? 0);
  }
  // The population's draws come from their own streams, so a world option leaves the others' draws as they are.
  const counted = new Uint8Array(n);
  const countRnd = seededRandom(options.seed * 31 + 17);
  for (let i = 0; i < n; i++) counted[i] = countRnd() < options.uncountedShare ? 0 : 1;
  const world: World = {
    options,
    sizes,
    webSeed,
    extSeeders,
    extLeechers,
    outside: createOutside(options, sizes, seededRandom(options.seed * 131 + 7)),
    counted,
    nodeComplete: new Int32Array(n),
    nodeLeeching: new Int32Array(n),
    completed: new Int32Array(n),
    scrape: { atMs: SIM_START_MS, seeders: new Int32Array(n), leechers: new Int32Array(n), completed: new Int32Array(n) },
    needBytes,
    initialDeficit,
    rnd,
  };
  world.outside.leechers.forEach((l, i) => {
    extLeechers[i] = l.length;
  });
  scrapeNow(world, SIM_START_MS);
  return world;
}

export function seedersOf(w: World, i: number): number {
  return (w.extSeeders[i] ?? 0) + (w.outside.briefSeeders[i] ?? 0) + (w.nodeComplete[i] ?? 0);
}

/** A download of torrent i can progress now. */
export function hasSource(w: World, i: number): boolean {
  return seedersOf(w, i) > 0 || w.webSeed[i] === 1;
}

/** A torrent's seeders as its observers see them (the last scrape), or null when it is never counted. */
export function seenSeeders(w: World, i: number): number | null {
  return w.counted[i] === 1 ? (w.scrape.seeders[i] ?? 0) : null;
}

/** Scrapes every tracker; a torrent never counted reads 0 everywhere (seenSeeders says null). */
export function scrapeNow(w: World, atMs: number): void {
  for (let i = 0; i < w.sizes.length; i++) {
    if (w.counted[i] !== 1) continue;
    w.scrape.seeders[i] = seedersOf(w, i);
    w.scrape.leechers[i] = (w.extLeechers[i] ?? 0) + (w.nodeLeeching[i] ?? 0);
    w.scrape.completed[i] = w.completed[i] ?? 0;
  }
  w.scrape.atMs = atMs;
}

/**
 * External seeders leave and arrive over one step; outside leechers arrive, download while a
 * source exists, complete (leaving or seeding briefly) or give up (outside.ts).
 */
export function stepExternal(w: World, nowMs: number, stepMs: number): void {
  const days = stepMs / 86_400_000;
  const leave = 1 - Math.exp(-days / Math.max(1e-9, w.options.seederLifetimeDays));
  const arrive = w.options.seederArrivalsPerDay * days;
  for (let i = 0; i < w.sizes.length; i++) {
    let s = w.extSeeders[i] ?? 0;
    for (let k = s; k > 0; k--) if (w.rnd() < leave) s--;
    if (w.rnd() < arrive) {
      s++;
      w.completed[i] = (w.completed[i] ?? 0) + 1;
    }
    w.extSeeders[i] = s;
  }
  stepOutside(w, (nowMs - SIM_START_MS) / 86_400_000, stepMs);
}
