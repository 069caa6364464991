/**
 * The announce prober: peers of candidates the daemon does not hold.
 *
 * - at most once per torrent per `intervalMs` (a failure counts too: a tracker that refuses is
 *   not asked again and again); results are kept for the interval and reused;
 * - at most `maxPerTick` new probes per call, the caller's order first (the agent puts the
 *   neediest candidates first); every announce takes its turn in the per-site budget when one
 *   is given (shared with scrapes and .torrent downloads), else `requestsPerSecond` across all
 *   trackers; a "slow down" answer pauses the tracker's site;
 * - each probe: event=started asking for `numwant` peers, then event=stopped; the first
 *   tracker of a torrent that answers wins;
 * - `enabled()` false: nothing is sent (operators who do not want smartnode to announce).
 */
import { randomBytes } from 'node:crypto';
import PQueue from 'p-queue';
import { SmartnodeError, isStopping } from '../shared/index.js';
import type { HttpTransport, InfoHash, SiteBudget } from '../shared/index.js';
import { pauseOnSlowDown } from './scraper.js';
import { fetchAnnounce, type AnnounceReply, type AnnounceRequest } from './announce.js';
import { createUdpConnectionCache } from './scrape-udp.js';
import { redactTrackerUrl, trackerProtocol } from './tracker-url.js';

export interface ProbeRequest {
  infoHash: InfoHash;
  trackers: readonly string[];
  /** Announced as `left` (so the tracker treats us as a leecher); 1 when unknown. */
  sizeBytes: number | null;
}

export interface ProbeResult {
  /** Null when no tracker answered (see the errors the call reported). */
  reply: AnnounceReply | null;
  /** Redacted tracker that answered. */
  tracker: string | null;
  atMs: number;
}

export interface ProbeOutcome {
  /** Every requested torrent with a result (fresh or from this interval). */
  results: Map<InfoHash, ProbeResult>;
  /** Probes sent by this call. */
  probed: number;
  errors: { tracker: string; error: SmartnodeError }[];
}

export interface SwarmProberOptions {
  enabled: () => boolean;
  intervalMs: () => number;
  maxPerTick: number;
  requestsPerSecond: number;
  /** The per-site request budget shared with scrapes and .torrent downloads. */
  budget?: SiteBudget;
  numwant: number;
  /**
   * The port we announce (nothing listens there; peers that dial it are refused). Some
   * trackers hand the asker back in its own peer list: peers on this port are dropped, so
   * pick an unusual one (default: a random port in 49152..65535 per prober).
   */
  port?: number;
  timeoutMs: number;
  transport?: HttpTransport;
  now: () => number;
  /** 20-byte peer ids; default "-SN0100-" + 12 random bytes per probe. */
  peerId?: () => Uint8Array;
}

export interface SwarmProber {
  probe(requests: readonly ProbeRequest[], nowMs: number): Promise<ProbeOutcome>;
  /** The last result for a torrent within its interval, if any. */
  cached(infoHash: InfoHash, nowMs: number): ProbeResult | undefined;
}

const PEER_ID_PREFIX = new TextEncoder().encode('-SN0100-');

export function createSwarmProber(options: SwarmProberOptions): SwarmProber {
  const results = new Map<InfoHash, ProbeResult>();
  const queue = new PQueue({ concurrency: 4, ...(options.budget === undefined ? rateLimit(options.requestsPerSecond) : {}) });
  const { budget } = options;
  const send = (tracker: string, request: AnnounceRequest, announceOptions: Parameters<typeof fetchAnnounce>[2]) =>
    budget === undefined
      ? fetchAnnounce(tracker, request, announceOptions)
      : budget.run(tracker, (signal) => pauseOnSlowDown(budget, tracker, fetchAnnounce(tracker, request, { ...announceOptions, signal })));
  const connections = createUdpConnectionCache();
  const port = options.port ?? 49152 + (randomBytes(2).readUInt16BE(0) % 16384);
  const peerId =
    options.peerId ??
    (() => {
      const id = new Uint8Array(20);
      id.set(PEER_ID_PREFIX, 0);
      id.set(randomBytes(12), 8);
      return id;
    });

  const fresh = (hash: InfoHash, nowMs: number): ProbeResult | undefined => {
    const r = results.get(hash);
    return r !== undefined && nowMs - r.atMs < options.intervalMs() ? r : undefined;
  };

  const probeOne = async (req: ProbeRequest, nowMs: number, errors: ProbeOutcome['errors']): Promise<ProbeResult> => {
    for (const tracker of req.trackers) {
      if (trackerProtocol(tracker) === null) continue;
      const base: AnnounceRequest = {
        infoHash: req.infoHash,
        peerId: peerId(),
        port,
        leftBytes: req.sizeBytes !== null && req.sizeBytes > 0 ? req.sizeBytes : 1,
        numwant: options.numwant,
        event: 'started',
        key: randomBytes(4).readUInt32BE(0),
      };
      const announceOptions = {
        timeoutMs: options.timeoutMs,
        now: options.now,
        connections,
        ...(options.transport === undefined ? {} : { transport: options.transport }),
      };
      try {
        const reply = await queue.add(() => send(tracker, base, announceOptions));
        // Say goodbye so the tracker does not hand our address out; its answer does not matter.
        await queue.add(() => send(tracker, { ...base, event: 'stopped' }, announceOptions)).catch(() => undefined);
        const peers = reply.peers.filter((p) => p.port !== port);
        return { reply: { ...reply, peers }, tracker: redactTrackerUrl(tracker), atMs: nowMs };
      } catch (error) {
        // A stopping agent probes no further and remembers nothing of this torrent.
        if (isStopping(error)) throw error;
        errors.push({ tracker: redactTrackerUrl(tracker), error: asAnnounceError(error, tracker) });
      }
    }
    return { reply: null, tracker: null, atMs: nowMs };
  };

  return {
    cached: (hash, nowMs) => fresh(hash, nowMs),
    async probe(requests, nowMs) {
      const out = new Map<InfoHash, ProbeResult>();
      const errors: ProbeOutcome['errors'] = [];
      const due: ProbeRequest[] = [];
      for (const r of requests) {
        const hit = fresh(r.infoHash, nowMs);
        if (hit !== undefined) out.set(r.infoHash, hit);
        else if (options.enabled() && due.length < options.maxPerTick && r.trackers.some((t) => trackerProtocol(t) !== null)) due.push(r);
      }
      const done = await Promise.all(due.map(async (r) => [r.infoHash, await probeOne(r, nowMs, errors)] as const));
      for (const [hash, result] of done) {
        results.set(hash, result);
        out.set(hash, result);
      }
      // Forget what is older than the interval (a long-running agent sees many torrents).
      if (results.size > 4 * Math.max(1, options.maxPerTick) + requests.length) {
        for (const [hash, r] of results) if (nowMs - r.atMs >= options.intervalMs()) results.delete(hash);
      }
      return { results: out, probed: due.length, errors };
    },
  };
}

function rateLimit(requestsPerSecond: number): { intervalCap: number; interval: number } {
  if (requestsPerSecond >= 1) return { intervalCap: Math.floor(requestsPerSecond), interval: 1000 };
  return { intervalCap: 1, interval: Math.round(1000 / requestsPerSecond) };
}

function asAnnounceError(error: unknown, tracker: string): SmartnodeError {
  if (error instanceof SmartnodeError) return error;
  return new SmartnodeError('ANNOUNCE_FAILED', `announce probe of tracker ${redactTrackerUrl(tracker)} failed unexpectedly`, {
    retryable: true,
    details: { tracker: redactTrackerUrl(tracker) },
  });
}
