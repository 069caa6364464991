/**
 * Outside leechers of the modelled world, as research data is downloaded: each torrent has its
 * own arrival rate (exponentially distributed over torrents), a leecher downloads at its rate
 * only while the torrent has a source, and when complete it leaves or, for a share, seeds for
 * a while; a leecher of a torrent with no source cannot complete and waits until it gives up.
 * An outside flash crowd keeps extra leechers on some torrents for a window, replacing those
 * that complete or give up.
 */

/** The options the outside leechers follow (SimOptions' fields of the same names). */
export interface OutsideOptions {
  leecherArrivalsPerDay: number;
  outsideDownloadBytesPerSec: number;
  leecherSeedShare: number;
  leecherSeedDays: number;
  leecherPatienceDays: number;
  flashCrowd: { torrents: number; leechers: number; startDay: number; days: number } | null;
}

/** The part of the world (model.ts) the outside leechers read and move. */
interface OutsideWorld {
  options: OutsideOptions;
  sizes: Float64Array;
  webSeed: Uint8Array;
  extSeeders: Int32Array;
  extLeechers: Int32Array;
  nodeComplete: Int32Array;
  completed: Int32Array;
  outside: Outside;
}

export interface Outside {
  /** Per torrent: bytes done of each outside leecher present. */
  leechers: number[][];
  /** Per torrent: how many of those leechers belong to the flash crowd. */
  crowd: Int32Array;
  /** Outside leechers that completed and seed for a while. */
  briefSeeders: Int32Array;
  arrivalsPerDay: Float64Array;
  /** The flash crowd's torrents (empty without one). */
  crowdTorrents: number[];
  rnd: () => number;
}

export function createOutside(options: OutsideOptions, sizes: Float64Array, rnd: () => number): Outside {
  const n = sizes.length;
  const arrivalsPerDay = new Float64Array(n);
  const leechers: number[][] = [];
  for (let i = 0; i < n; i++) {
    arrivalsPerDay[i] = -Math.log(1 - rnd()) * options.leecherArrivalsPerDay;
    // The start: leechers that waited on average half their patience, part way through.
    const present = Math.floor(-Math.log(1 - rnd()) * (arrivalsPerDay[i] ?? 0) * options.leecherPatienceDays * 0.5);
    leechers.push(Array.from({ length: present }, () => rnd() * (sizes[i] ?? 0)));
  }
  const crowdTorrents: number[] = [];
  const crowd = options.flashCrowd;
  if (crowd !== null) {
    const order = Array.from({ length: n }, (_, i) => i);
    for (let k = 0; k < Math.min(n, crowd.torrents); k++) {
      const j = k + Math.floor(rnd() * (n - k));
      [order[k], order[j]] = [order[j] as number, order[k] as number];
      crowdTorrents.push(order[k] as number);
    }
  }
  return { leechers, crowd: new Int32Array(n), briefSeeders: new Int32Array(n), arrivalsPerDay, crowdTorrents, rnd };
}

/** Whether the flash crowd is on, `day` days into the run. */
export function crowdOn(options: OutsideOptions, day: number): boolean {
  const c = options.flashCrowd;
  return c !== null && day >= c.startDay && day < c.startDay + c.days;
}

/**
 * One step of the outside leechers. Crowd leechers are the first `crowd[i]` of a torrent's
 * list; a completed or departed one is taken from the list wherever it is and the counts
 * follow (a crowd member is replaced while the window lasts).
 */
export function stepOutside(w: OutsideWorld, day: number, stepMs: number): void {
  const o = w.outside;
  const opt = w.options;
  const days = stepMs / 86_400_000;
  const giveUp = 1 - Math.exp(-days / Math.max(1e-9, opt.leecherPatienceDays));
  const stopSeeding = 1 - Math.exp(-days / Math.max(1e-9, opt.leecherSeedDays));
  const got = opt.outsideDownloadBytesPerSec * (stepMs / 1000);
  for (let i = 0; i < w.sizes.length; i++) {
    const size = w.sizes[i] ?? 0;
    let brief = (o.briefSeeders[i] ?? 0) - departures(o.briefSeeders[i] ?? 0, stopSeeding, o.rnd);
    const list = o.leechers[i] as number[];
    if (o.rnd() < (o.arrivalsPerDay[i] ?? 0) * days) list.push(0);
    // A source at the step's start serves the whole step (as for the nodes' downloads).
    const sourced = (w.extSeeders[i] ?? 0) + brief + (w.nodeComplete[i] ?? 0) > 0 || w.webSeed[i] === 1;
    const crowdAtStart = o.crowd[i] ?? 0;
    let crowd = crowdAtStart;
    let kept = 0;
    for (let k = 0; k < list.length; k++) {
      const done = sourced ? Math.min(size, (list[k] as number) + got) : (list[k] as number);
      const complete = done >= size;
      if (complete) {
        w.completed[i] = (w.completed[i] ?? 0) + 1;
        if (o.rnd() < opt.leecherSeedShare) brief++;
      }
      if (complete || o.rnd() < giveUp) {
        if (k < crowdAtStart) crowd--;
        continue;
      }
      list[kept++] = done;
    }
    list.length = kept;
    o.briefSeeders[i] = brief;
    o.crowd[i] = crowd;
    w.extLeechers[i] = kept;
  }
  if (!crowdOn(opt, day)) return;
  const want = opt.flashCrowd?.leechers ?? 0;
  for (const i of o.crowdTorrents) {
    const list = o.leechers[i] as number[];
    const missing = want - (o.crowd[i] ?? 0);
    if (missing <= 0) continue;
    list.unshift(...new Array<number>(missing).fill(0));
    o.crowd[i] = want;
    w.extLeechers[i] = list.length;
  }
}

/**
 * How many of `n` leave, each with probability `p`: drawn one by one for a few, and from the
 * normal approximation of the binomial for many (a flash crowd's thousands of brief seeders).
 */
function departures(n: number, p: number, rnd: () => number): number {
  if (n <= 64) {
    let k = 0;
    for (let j = 0; j < n; j++) if (rnd() < p) k++;
    return k;
  }
  const gauss = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  return Math.min(n, Math.max(0, Math.round(n * p + gauss * Math.sqrt(n * p * (1 - p)))));
}
