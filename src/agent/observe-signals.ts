/**
 * Observes the need signals beyond counts once per tick, for the planner:
 * - held torrents (ours, below the seeder target, neediest first, at most peerPollsPerTick):
 *   the daemon's peers -> geography of the complete peers, and leecher rates from progress
 *   deltas since the previous poll;
 * - candidates (not held, below the target, neediest first): an announce probe (rate-limited,
 *   once per torrent per interval, off by policy) -> geography of the peers;
 * - every counted candidate: the scrape history (kept in the state dir) -> Little's law.
 * geoip is loaded only when geography is scored and there is an address to resolve.
 */
import type { DaemonPort, DaemonTorrent } from '../daemon/index.js';
import { estimateByLittle, estimateFromPeers, withSignals } from '../plan/index.js';
import type {
  Candidate,
  PeerSample,
  PlanPolicy,
  PopulationObservation,
  SignalScoring,
  SlowObservation,
  SwarmSignals,
} from '../plan/index.js';
import { type InfoHash, isStopping, toErrorView } from '../shared/index.js';
import type { GeoResolver, SwarmProber } from '../swarm/index.js';
import type { EventBus } from './events.js';
import type { ScrapeHistory } from './history.js';
import type { ProbeCache } from './probe-cache.js';
import { geoFromDaemonPeers, geoFromProbe, peerSamples } from './peer-signals.js';
import type { ObservedSignals } from './tick-types.js';

export interface SignalSettings {
  geography: boolean;
  slowDownloads: boolean;
  peerPollsPerTick: number;
  windowMs: number;
  minSpanMs: number;
  /** From the policy; null = "auto" (detected from what trackers report as our address). */
  country: string | null;
}

export interface SignalSource {
  observe(input: {
    candidates: readonly Candidate[];
    torrents: ReadonlyMap<InfoHash, DaemonTorrent>;
    trackersOf: (infoHash: InfoHash) => string[];
    targetSeeders: number;
    nowMs: number;
  }): Promise<{ signals: Map<InfoHash, SwarmSignals>; selfCountry: string | null }>;
}

export function createSignalSource(options: {
  daemon: DaemonPort;
  prober: SwarmProber | null;
  history: ScrapeHistory;
  /** Loaded on first use; rejects when geoip cannot be loaded (geography is then left out). */
  loadResolver: () => Promise<GeoResolver>;
  settings: () => SignalSettings;
  bus: EventBus;
  /** Probe results across restarts (probe-cache.ts); without it, within this process only. */
  probeCache?: ProbeCache;
  /** The probe interval, for the cache (announceProbe.interval). */
  probeIntervalMs?: () => number;
}): SignalSource {
  const lastPeers = new Map<InfoHash, { atMs: number; peers: PeerSample[] }>();
  let resolver: GeoResolver | null = null;
  let resolverFailed = false;
  let detectedCountry: string | null = null;
  const geoResolver = async (): Promise<GeoResolver | null> => {
    if (resolver !== null || resolverFailed) return resolver;
    try {
      resolver = await options.loadResolver();
    } catch (error) {
      resolverFailed = true;
      options.bus.emit({
        type: 'signals-warning',
        atMs: Date.now(),
        message: `geography is left out of the score: ${toErrorView(error).message}`,
      });
    }
    return resolver;
  };

  return {
    async observe({ candidates, torrents, trackersOf, targetSeeders, nowMs }) {
      const settings = options.settings();
      const signals = new Map<InfoHash, SwarmSignals>();
      const signalOf = (hash: InfoHash): SwarmSignals => {
        let s = signals.get(hash);
        if (s === undefined) {
          s = { infoHash: hash, geo: null, slow: null };
          signals.set(hash, s);
        }
        return s;
      };
      const needy = candidates
        .filter((c) => c.counts !== null && c.counts.seeders < targetSeeders)
        .sort((a, b) => (a.counts?.seeders ?? 0) - (b.counts?.seeders ?? 0) || (a.infoHash < b.infoHash ? -1 : 1));
      for (const c of candidates) if (c.counts !== null) signalOf(c.infoHash);

      // Scrape history and Little's law, for every counted candidate we do not hold.
      for (const c of candidates) {
        if (c.counts === null) continue;
        options.history.record(c.infoHash, c.counts);
        if (!settings.slowDownloads || torrents.has(c.infoHash)) continue;
        const little = estimateByLittle(options.history.samples(c.infoHash), c.sizeBytes, {
          windowMs: settings.windowMs,
          minSpanMs: settings.minSpanMs,
        });
        if (little !== null) signalOf(c.infoHash).slow = little;
      }
      options.history.prune(new Set(candidates.map((c) => c.infoHash)), nowMs);
      await options.history.save().catch((error: unknown) => {
        options.bus.emit({ type: 'signals-warning', atMs: nowMs, message: `scrape history not saved: ${toErrorView(error).message}` });
      });

      // Held torrents: the daemon's peers.
      const held = needy.filter((c) => torrents.has(c.infoHash)).slice(0, settings.peerPollsPerTick);
      const geoOn = settings.geography;
      if (held.length > 0 && (geoOn || settings.slowDownloads)) {
        const answer = await options.daemon.listPeers(held.map((c) => c.infoHash));
        const countryOf = geoOn ? await geoResolver() : null;
        const polled = new Set<InfoHash>();
        for (const { infoHash, peers } of answer) {
          polled.add(infoHash);
          const s = signalOf(infoHash);
          if (countryOf !== null) s.geo = geoFromDaemonPeers(peers, (a) => countryOf.countryOf(a), nowMs);
          const samples = peerSamples(peers);
          const before = lastPeers.get(infoHash);
          const size = torrents.get(infoHash)?.sizeWhenDoneBytes ?? 0;
          if (settings.slowDownloads && before !== undefined) {
            const est: SlowObservation | null = estimateFromPeers(before, { atMs: nowMs, peers: samples }, size);
            if (est !== null) s.slow = est;
          }
          lastPeers.set(infoHash, { atMs: nowMs, peers: samples });
        }
        for (const hash of [...lastPeers.keys()]) if (!polled.has(hash)) lastPeers.delete(hash);
      }

      // Candidates: announce probes.
      if (geoOn && options.prober !== null) {
        const cache = options.probeCache;
        const intervalMs = options.probeIntervalMs?.() ?? 0;
        const requests = [];
        for (const c of needy) {
          if (torrents.has(c.infoHash)) continue;
          // Probed within the interval (by this process or an earlier one): reuse what it found.
          const memo = cache?.fresh(c.infoHash, nowMs, intervalMs);
          if (memo !== undefined) {
            signalOf(c.infoHash).geo = memo.geo;
            continue;
          }
          const trackers = trackersOf(c.infoHash);
          if (trackers.length > 0) requests.push({ infoHash: c.infoHash, trackers, sizeBytes: c.sizeBytes });
        }
        const outcome = await options.prober.probe(requests, nowMs);
        for (const { tracker, error } of outcome.errors) {
          options.bus.emit({ type: 'probe-failed', atMs: nowMs, tracker, error: toErrorView(error) });
        }
        const countryOf = outcome.results.size > 0 ? await geoResolver() : null;
        if (countryOf !== null) {
          for (const [hash, result] of outcome.results) {
            if (result.reply === null) continue;
            const geo = geoFromProbe(result.reply.peers, (a) => countryOf.countryOf(a), result.atMs);
            signalOf(hash).geo = geo;
            if (result.atMs === nowMs) cache?.put(hash, { atMs: result.atMs, geo });
            const external = result.reply.externalIp === null ? null : countryOf.countryOf(result.reply.externalIp);
            if (external !== null) detectedCountry = external;
          }
        }
        for (const [hash, result] of outcome.results)
          if (result.reply === null && result.atMs === nowMs) cache?.put(hash, { atMs: nowMs, geo: null });
        await cache?.save(nowMs, intervalMs).catch((error: unknown) => {
          options.bus.emit({ type: 'signals-warning', atMs: nowMs, message: `probe cache not saved: ${toErrorView(error).message}` });
        });
      }
      return { signals, selfCountry: settings.country ?? detectedCountry };
    },
  };
}

/**
 * The planner's inputs with the observed signals, pure: candidates carry them (in their
 * counts, as the planner's scoring reads them: withSignals), and the scoring policy names this
 * node, its country and the herd epoch. Without observed signals (no source, or scoring has no
 * signals) the candidates and policy are unchanged.
 */
export function scoredInputs(
  candidates: readonly Candidate[],
  policy: PlanPolicy,
  observed: ObservedSignals | null,
  nodeId: string,
  nowMs: number,
  population?: { observations: ReadonlyMap<InfoHash, PopulationObservation>; competitors: number },
): { candidates: Candidate[]; policy: PlanPolicy } {
  const scoring = policy.scoring;
  if (observed === null || scoring.signals === undefined) return { candidates: [...candidates], policy };
  const signalsPolicy = signalScoringOf(scoring.signals, observed, nodeId, nowMs, population?.competitors);
  const withObs = candidates.map((c) => {
    const signals = candidateSignals(c, observed, population?.observations.get(c.infoHash));
    // Object.assign({}, c, x) is the spread { ...c, ...x }: V8 runs it several times faster when it adds keys.
    return signals === undefined ? c : Object.assign({}, c, { signals });
  });
  return { candidates: withSignals(withObs), policy: { ...policy, scoring: { ...scoring, signals: signalsPolicy } } };
}

/**
 * The signal scoring one tick plans with: this node, its country, the herd epoch, and the nodes
 * it saw taking the same torrents as itself (population.ts), when more than the policy's hint.
 */
export function signalScoringOf(
  base: SignalScoring,
  observed: ObservedSignals,
  nodeId: string,
  nowMs: number,
  competitors = 1,
): SignalScoring {
  const expectedNodes = Math.max(base.herd.expectedNodes, competitors);
  return {
    ...base,
    geo: { ...base.geo, selfCountry: observed.selfCountry },
    herd: { ...base.herd, nodeId, expectedNodes, epoch: Math.floor(nowMs / Math.max(1, base.herd.redrawIntervalMs)) },
  };
}

/** The signals scoredInputs attaches to a candidate (`p`: its population observation): undefined when it leaves it as it is. */
export function candidateSignals(c: Candidate, observed: ObservedSignals, p: PopulationObservation | undefined): SwarmSignals | undefined {
  const observedSignals = observed.signals.get(c.infoHash);
  // Web seeds are a source (sources.ts): they go with the signals the score reads.
  const s =
    c.webSeeds === undefined || c.webSeeds === 0
      ? observedSignals
      : Object.assign({}, observedSignals ?? { infoHash: c.infoHash, geo: null, slow: null }, { webSeeds: c.webSeeds });
  if (p !== undefined)
    return s === undefined ? { infoHash: c.infoHash, geo: null, slow: null, population: p } : Object.assign({}, s, { population: p });
  // A counted swarm is scored with its signals even when none was observed (each is then a factor of 1; the herd draw still applies).
  if (s === undefined) return c.counts !== null ? { infoHash: c.infoHash, geo: null, slow: null } : undefined;
  return s;
}

/**
 * Observes the signals for this tick's candidates (IO): null without a signal source or when
 * scoring has no signals. An observation that fails is reported and leaves the plan on
 * counts alone (an empty set of signals).
 */
export async function observeSignals(
  source: SignalSource | undefined,
  args: {
    candidates: readonly Candidate[];
    policy: PlanPolicy;
    torrents: ReadonlyMap<InfoHash, DaemonTorrent>;
    trackersOf: (infoHash: InfoHash) => string[];
    nowMs: number;
    bus: EventBus;
  },
): Promise<ObservedSignals | null> {
  const signals = args.policy.scoring.signals;
  if (source === undefined || signals === undefined) return null;
  try {
    return await source.observe({
      candidates: args.candidates,
      torrents: args.torrents,
      trackersOf: args.trackersOf,
      targetSeeders: args.policy.scoring.targetSeeders,
      nowMs: args.nowMs,
    });
  } catch (error) {
    // A stopping agent plans nothing: the tick ends after observe.
    if (isStopping(error)) throw error;
    args.bus.emit({ type: 'signals-warning', atMs: args.nowMs, message: `signals not observed this tick: ${toErrorView(error).message}` });
    return { signals: new Map(), selfCountry: signals.geo.selfCountry };
  }
}

/** observeSignals then scoredInputs: what one tick plans with. */
export async function planInputsWithSignals(
  source: SignalSource | undefined,
  args: {
    candidates: Candidate[];
    policy: PlanPolicy;
    torrents: ReadonlyMap<InfoHash, DaemonTorrent>;
    trackersOf: (infoHash: InfoHash) => string[];
    nodeId: string;
    nowMs: number;
    bus: EventBus;
  },
): Promise<{ candidates: Candidate[]; policy: PlanPolicy }> {
  const observed = await observeSignals(source, args);
  return scoredInputs(args.candidates, args.policy, observed, args.nodeId, args.nowMs);
}
