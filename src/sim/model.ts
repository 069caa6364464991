/**
 * The modelled world of `smartnode simulate`, pure and seeded: one feed of torrents, external
 * seeders that come and go, external leechers, and the copies the simulated nodes hold. A
 * download progresses only while its torrent has a source: a complete seeder (external or a
 * node's finished copy) or, when modelled, a web seed (BEP 19/17); partial copies alone never
 * finish one. Trackers are scraped every scrape interval: nodes see counts that old.
 */
import { seededRandom } from '../shared/index.js';

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
};

/** Minutes per simulation step: node ticks fall on steps, at a random phase per node. */
export const STEP_MINUTES = 10;
export const SIM_START_MS = Date.UTC(2026, 0, 1);
const MIN_BYTES = 100e6;
const MAX_BYTES = 500e9;

export interface World {
  options: SimOptions;
  sizes: Float64Array;
  webSeed: Uint8Array;
  /** External complete seeders and leechers now. */
  extSeeders: Int32Array;
  extLeechers: Int32Array;
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
    extLeechers[i] = Math.floor(-Math.log(1 - rnd()) * 3);
    initialDeficit[i] = Math.max(0, options.targetSeeders - (extSeeders[i] ?? 0));
    needBytes += (initialDeficit[i] ?? 0) * (sizes[i] ?? 0);
  }
  const world: World = {
    options,
    sizes,
    webSeed,
    extSeeders,
    extLeechers,
    nodeComplete: new Int32Array(n),
    nodeLeeching: new Int32Array(n),
    completed: new Int32Array(n),
    scrape: { atMs: SIM_START_MS, seeders: new Int32Array(n), leechers: new Int32Array(n), completed: new Int32Array(n) },
    needBytes,
    initialDeficit,
    rnd,
  };
  scrapeNow(world, SIM_START_MS);
  return world;
}

export function seedersOf(w: World, i: number): number {
  return (w.extSeeders[i] ?? 0) + (w.nodeComplete[i] ?? 0);
}

/** A download of torrent i can progress now. */
export function hasSource(w: World, i: number): boolean {
  return seedersOf(w, i) > 0 || w.webSeed[i] === 1;
}

export function scrapeNow(w: World, atMs: number): void {
  for (let i = 0; i < w.sizes.length; i++) {
    w.scrape.seeders[i] = seedersOf(w, i);
    w.scrape.leechers[i] = (w.extLeechers[i] ?? 0) + (w.nodeLeeching[i] ?? 0);
    w.scrape.completed[i] = w.completed[i] ?? 0;
  }
  w.scrape.atMs = atMs;
}

/** External seeders leave and arrive over one step; leechers drift around their level. */
export function stepExternal(w: World, stepMs: number): void {
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
    const l = w.extLeechers[i] ?? 0;
    const u = w.rnd();
    if (u < 0.01 * l) w.extLeechers[i] = l - 1;
    else if (u > 1 - 0.03 * days * 24) w.extLeechers[i] = l + 1;
  }
}
