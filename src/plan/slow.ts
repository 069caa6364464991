/**
 * Slow downloads. Pure: samples in, rates out; time comes in as arguments.
 *
 * Two estimates of how fast a swarm's downloaders get the data:
 * - torrents we hold: each leecher's progress (0..1) at two polls; (delta progress x size) /
 *   delta t is its download rate. Our own upload to them is taken out before judging
 *   (a swarm that is fast only because of us still needs us).
 * - candidates: Little's law over scrape history. With L leechers in the swarm on average and
 *   lambda completed downloads per unit of time (the growth of the tracker's `downloaded`
 *   count), the mean time in the swarm is W = L / lambda, so the mean rate is size / W.
 *   A count that goes down means the tracker restarted or lost state: the history before it
 *   is dropped (a reset), never read as a negative rate.
 *
 *   slowness = max(0, 1 - rate / targetRate)      (1: nothing arrives; 0: at or above target)
 *   factor   = 1 + weight * slowness
 */
import type { SignalScoring, SlowFactor, SlowObservation } from './types.js';

/** One scrape observation of a swarm, as the agent keeps it in its history. */
export interface ScrapeSample {
  atMs: number;
  seeders: number;
  leechers: number;
  /** The tracker's `downloaded` (completed downloads ever); null when not reported. */
  completed: number | null;
}

export interface LittleOptions {
  /** Only samples this recent (relative to the newest) are used. */
  windowMs: number;
  /** The samples used must span at least this long, else there is no estimate. */
  minSpanMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * Little's-law estimate from a scrape history (any order; samples without `completed` are
 * ignored). Null when there is too little history, or no leechers (nothing to speed up).
 */
export function estimateByLittle(
  history: readonly ScrapeSample[],
  sizeBytes: number | null,
  options: LittleOptions,
): Extract<SlowObservation, { kind: 'little' }> | null {
  if (sizeBytes === null || !(sizeBytes > 0) || !Number.isFinite(sizeBytes)) return null;
  const usable: ScrapeSample[] = [];
  let sorted = true;
  for (let i = 0; i < history.length; i++) {
    const s = history[i] as ScrapeSample;
    if (s.completed === null || !Number.isFinite(s.atMs) || !isCount(s.completed) || !isCount(s.leechers)) continue;
    const last = usable[usable.length - 1];
    if (last !== undefined && s.atMs < last.atMs) sorted = false;
    usable.push(s);
  }
  // The agent's history is in time order already; sort only what is not.
  if (!sorted) usable.sort((a, b) => a.atMs - b.atMs);
  if (usable.length < 2) return null;
  // The run after the last reset (a `downloaded` count that went down).
  let start = 0;
  for (let i = 1; i < usable.length; i++) {
    if ((usable[i]?.completed ?? 0) < (usable[i - 1]?.completed ?? 0)) start = i;
  }
  const newest = usable[usable.length - 1] as ScrapeSample;
  while (start < usable.length - 1 && newest.atMs - (usable[start] as ScrapeSample).atMs > options.windowMs) start++;
  const run = start === 0 ? usable : usable.slice(start);
  const oldest = run[0];
  if (oldest === undefined || run.length < 2) return null;
  const spanMs = newest.atMs - oldest.atMs;
  if (spanMs < options.minSpanMs || spanMs <= 0) return null;
  // Time-weighted mean of leechers over the span (each sample holds until the next).
  let area = 0;
  for (let i = 0; i < run.length - 1; i++) {
    const a = run[i] as ScrapeSample;
    const b = run[i + 1] as ScrapeSample;
    area += a.leechers * (b.atMs - a.atMs);
  }
  const leechers = area / spanMs;
  if (!(leechers > 0)) return null;
  const completions = (newest.completed ?? 0) - (oldest.completed ?? 0);
  const perMs = completions / spanMs;
  const meanDownloadMs = perMs > 0 ? leechers / perMs : Infinity;
  const rate = Number.isFinite(meanDownloadMs) ? sizeBytes / (meanDownloadMs / 1000) : 0;
  return {
    kind: 'little',
    leechers,
    completionsPerHour: perMs * HOUR_MS,
    meanDownloadMs,
    meanLeecherRateBytesPerSec: rate,
    samples: run.length,
    spanMs,
    observedAtMs: newest.atMs,
  };
}

/** One peer in one poll of a torrent we hold. */
export interface PeerSample {
  /** "address:port": the same peer across polls. */
  key: string;
  /** 0..1 */
  progress: number;
  /** Our upload rate to this peer (Transmission `rateToPeer`), bytes/s. */
  rateToPeerBytesPerSec: number;
}

/**
 * Leecher rates of a held torrent from two polls of its peers. Only peers incomplete at the
 * first poll and present at both count; a progress that went down (the peer restarted) is
 * left out. Null when no such peer exists or the polls are not apart in time.
 */
export function estimateFromPeers(
  before: { atMs: number; peers: readonly PeerSample[] },
  after: { atMs: number; peers: readonly PeerSample[] },
  sizeBytes: number,
): Extract<SlowObservation, { kind: 'peers' }> | null {
  const spanMs = after.atMs - before.atMs;
  if (!(spanMs > 0) || !(sizeBytes > 0)) return null;
  const earlier = new Map<string, number>();
  for (const p of before.peers) if (isFraction(p.progress) && p.progress < 1) earlier.set(p.key, p.progress);
  let leechers = 0;
  let rateSum = 0;
  let uploadSum = 0;
  for (const p of after.peers) {
    const was = earlier.get(p.key);
    if (was === undefined || !isFraction(p.progress) || p.progress < was) continue;
    leechers++;
    rateSum += ((p.progress - was) * sizeBytes) / (spanMs / 1000);
    uploadSum += Number.isFinite(p.rateToPeerBytesPerSec) && p.rateToPeerBytesPerSec > 0 ? p.rateToPeerBytesPerSec : 0;
  }
  if (leechers === 0) return null;
  return {
    kind: 'peers',
    meanLeecherRateBytesPerSec: rateSum / leechers,
    leechers,
    ourUploadPerLeecherBytesPerSec: uploadSum / leechers,
    spanMs,
    observedAtMs: after.atMs,
  };
}

/** The slow-download factor (see the module comment); null when nothing is known. */
export function slowFactor(obs: SlowObservation | null, slow: SignalScoring['slow']): SlowFactor | null {
  if (!slow.enabled || obs === null) return null;
  const target = slow.targetRateBytesPerSec;
  // Held: judge the swarm as it would be without our upload.
  const rate =
    obs.kind === 'peers'
      ? Math.max(0, obs.meanLeecherRateBytesPerSec - obs.ourUploadPerLeecherBytesPerSec)
      : obs.meanLeecherRateBytesPerSec;
  const slowness = target > 0 ? Math.max(0, Math.min(1, 1 - rate / target)) : 0;
  return { factor: 1 + Math.max(0, slow.weight) * slowness, slowness, rateBytesPerSec: rate, observation: obs };
}

function isCount(n: number | null): n is number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0;
}

function isFraction(n: number): boolean {
  return Number.isFinite(n) && n >= 0 && n <= 1;
}
