/**
 * The signal observer over the memory daemon (its peers are recorded 3.00 peer lists with
 * public addresses: resolved by the real geoip-lite country tables, never contacted) and a
 * real tracker on loopback for the announce probe, with a CIDR override giving it a country.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryDaemon, type DaemonPeer } from '../daemon/index.js';
import { DEFAULT_SIGNALS, countryHistogram, type Candidate, type PlanPolicy } from '../plan/index.js';
import { aPlanPolicy } from '../plan/testing.js';
import { toInfoHash, type InfoHash } from '../shared/index.js';
import { createGeoResolver, createSwarmProber, loadCountryLookup, type GeoResolver } from '../swarm/index.js';
import { announcePeer, startTracker, type RunningTracker } from '../testkit/index.js';
import { createEventBus, type AgentEvent } from './events.js';
import { createMemoryHistory } from './history.js';
import { createSignalSource, planInputsWithSignals } from './observe-signals.js';
import { openProbeCache } from './probe-cache.js';

const HELD = toInfoHash('1'.repeat(40));
const CAND = toInfoHash('2'.repeat(40));
const GB = 1e9;
const peer = (address: string, progress: number, rateToPeerBytesPerSec = 0, port = 51413): DaemonPeer => ({
  address,
  port,
  progress,
  rateToClientBytesPerSec: 0,
  rateToPeerBytesPerSec,
});

describe('observing signals', () => {
  let dir = '';
  let tracker: RunningTracker;
  let resolver: GeoResolver;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sn-signals-'));
    resolver = createGeoResolver(await loadCountryLookup(dir), [{ cidr: '127.0.0.0/8', country: 'BR' }]);
    tracker = await startTracker({ host: '127.0.0.1', stopGraceMs: 0 });
    await announcePeer(tracker.announceUrl, { infoHash: CAND, port: 7401, left: 0 });
    await announcePeer(tracker.announceUrl, { infoHash: CAND, port: 7402, left: 0 });
  });
  afterAll(async () => {
    await tracker?.close();
    await rm(dir, { recursive: true, force: true });
  });

  function setup() {
    const daemon = createMemoryDaemon();
    daemon.control.seed({ infoHash: HELD, name: 'held', sizeWhenDoneBytes: GB, downloadDir: '/d', labels: ['smartnode'] });
    const events: AgentEvent[] = [];
    const bus = createEventBus();
    bus.subscribe((e) => events.push(e));
    let loads = 0;
    const source = createSignalSource({
      daemon,
      history: createMemoryHistory({ maxSamples: 8, maxAgeMs: 100 * 3_600_000 }),
      prober: createSwarmProber({
        enabled: () => true,
        intervalMs: () => 60_000,
        maxPerTick: 10,
        requestsPerSecond: 50,
        numwant: 50,
        timeoutMs: 2000,
        now: Date.now,
      }),
      loadResolver: async () => {
        loads++;
        return resolver;
      },
      settings: () => ({
        geography: true,
        slowDownloads: true,
        peerPollsPerTick: 10,
        windowMs: 48 * 3_600_000,
        minSpanMs: 3_600_000,
        country: null,
      }),
      bus,
    });
    return { daemon, source, events, loads: () => loads };
  }

  const candidates = (atMs: number, completed: number): Candidate[] => [
    {
      infoHash: HELD,
      name: 'held',
      sizeBytes: GB,
      feedIds: ['f'],
      counts: { seeders: 2, leechers: 3, completed: null, source: 'daemon', observedAtMs: atMs, origin: 't' },
    },
    {
      infoHash: CAND,
      name: 'cand',
      sizeBytes: GB,
      feedIds: ['f'],
      counts: { seeders: 2, leechers: 6, completed, source: 'scrape', observedAtMs: atMs, origin: 't' },
    },
  ];

  it('resolves held peers (seeders only) to countries, probes candidates, estimates rates', async () => {
    const { daemon, source, loads } = setup();
    daemon.control.setPeers(HELD, [
      peer('130.149.7.201', 1),
      peer('131.188.0.1', 1),
      peer('202.12.27.33', 1),
      peer('10.0.0.7', 1),
      peer('not-an-address', 1),
      peer('200.160.0.8', 0.2),
      peer('2001:4860:4860::8888', 0.5, 200_000),
    ]);
    const torrents = new Map((await daemon.listTorrents()).map((t) => [t.infoHash, t]));
    const trackersOf = (h: InfoHash) => (h === CAND ? [tracker.announceUrl] : []);
    const first = await source.observe({ candidates: candidates(0, 100), torrents, trackersOf, targetSeeders: 5, nowMs: 0 });
    const held = first.signals.get(HELD);
    expect(held?.geo).toMatchObject({ unknownPeers: 2, peersAre: 'seeders', source: 'daemon' });
    expect(countryHistogram(held?.geo ?? { countries: [], peers: [] })).toEqual({ DE: 2, JP: 1 });
    expect(held?.slow).toBeNull(); // one poll: no delta yet
    const cand = first.signals.get(CAND);
    expect(cand?.geo).toMatchObject({ countries: ['BR'], peers: [2], peersAre: 'peers', source: 'announce' });
    expect(loads()).toBe(1);

    // 100 s later: the Brazilian leecher got 10% of 1 GB, the American one 20%; we sent the
    // American 200 kB/s. Two hours of history: 20 more completions.
    daemon.control.setPeers(HELD, [peer('200.160.0.8', 0.3), peer('2001:4860:4860::8888', 0.7, 200_000)]);
    const second = await source.observe({ candidates: candidates(100_000, 100), torrents, trackersOf, targetSeeders: 5, nowMs: 100_000 });
    const slow = second.signals.get(HELD)?.slow;
    expect(slow).toMatchObject({ kind: 'peers', leechers: 2, ourUploadPerLeecherBytesPerSec: 100_000 });
    expect(slow?.meanLeecherRateBytesPerSec).toBeCloseTo(1.5e6, 3);
    const third = await source.observe({
      candidates: candidates(2 * 3_600_000 + 100_000, 120),
      torrents,
      trackersOf,
      targetSeeders: 5,
      nowMs: 2 * 3_600_000 + 100_000,
    });
    const little = third.signals.get(CAND)?.slow;
    expect(little).toMatchObject({ kind: 'little', leechers: 6, samples: 3 });
    expect(little?.kind === 'little' ? little.completionsPerHour : 0).toBeCloseTo(20 / ((2 * 3_600_000 + 100_000) / 3_600_000), 9);
    expect(loads()).toBe(1);
  });

  it('feeds the planner: the node id and country reach the scoring; failures leave counts alone', async () => {
    const { daemon, source } = setup();
    const torrents = new Map((await daemon.listTorrents()).map((t) => [t.infoHash, t]));
    const policy: PlanPolicy = aPlanPolicy({ scoring: { ...aPlanPolicy().scoring, signals: DEFAULT_SIGNALS } });
    const bus = createEventBus();
    const out = await planInputsWithSignals(source, {
      candidates: candidates(0, 5),
      policy,
      torrents,
      trackersOf: () => [tracker.announceUrl],
      nodeId: 'node-z',
      nowMs: 0,
      bus,
    });
    expect(out.policy.scoring.signals?.herd.nodeId).toBe('node-z');
    const counts = out.candidates.find((c) => c.infoHash === CAND)?.counts as { signals?: { geo: unknown } } | null;
    expect(counts?.signals?.geo).toMatchObject({ countries: ['BR'], peers: [2] });

    const events: AgentEvent[] = [];
    bus.subscribe((e) => events.push(e));
    daemon.control.down();
    const failed = await planInputsWithSignals(source, {
      candidates: candidates(0, 5),
      policy,
      torrents,
      trackersOf: () => [],
      nodeId: 'n',
      nowMs: 1,
      bus,
    });
    expect(failed.candidates.every((c) => c.signals === undefined || (c.signals.geo === null && c.signals.slow === null))).toBe(true);
    expect(events.some((e) => e.type === 'signals-warning')).toBe(true);
    const off = await planInputsWithSignals(undefined, {
      candidates: candidates(0, 5),
      policy,
      torrents,
      trackersOf: () => [],
      nodeId: 'n',
      nowMs: 1,
      bus,
    });
    expect(off.policy).toBe(policy);
  });

  it('probes a torrent at most once per interval, also across restarts (the probe cache in the state dir)', async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'sn-probe-cache-'));
    try {
      const make = async () => {
        const daemon = createMemoryDaemon();
        return createSignalSource({
          daemon,
          history: createMemoryHistory({ maxSamples: 8, maxAgeMs: 3_600_000 }),
          prober: createSwarmProber({
            enabled: () => true,
            intervalMs: () => 60_000,
            maxPerTick: 10,
            requestsPerSecond: 50,
            numwant: 50,
            timeoutMs: 2000,
            now: Date.now,
          }),
          loadResolver: async () => resolver,
          settings: () => ({ geography: true, slowDownloads: false, peerPollsPerTick: 0, windowMs: 1, minSpanMs: 1, country: null }),
          bus: createEventBus(),
          probeCache: await openProbeCache(stateDir),
          probeIntervalMs: () => 60_000,
        });
      };
      const input = {
        candidates: candidates(0, 5).filter((c) => c.infoHash === CAND),
        torrents: new Map(),
        trackersOf: () => [tracker.announceUrl],
        targetSeeders: 5,
      };
      const before = tracker.requestCounts().httpAnnounce;
      await (await make()).observe({ ...input, nowMs: 1_000 });
      expect(tracker.requestCounts().httpAnnounce - before).toBe(2);
      // A new process (say `smartnode explain`) within the interval: no probe, same geography.
      const again = await (await make()).observe({ ...input, nowMs: 30_000 });
      expect(tracker.requestCounts().httpAnnounce - before).toBe(2);
      expect(again.signals.get(CAND)?.geo).toMatchObject({ countries: ['BR'], peers: [2], observedAtMs: 1_000 });
      // After the interval it probes again.
      await (await make()).observe({ ...input, nowMs: 61_000 });
      expect(tracker.requestCounts().httpAnnounce - before).toBe(4);
    } finally {
      await rm(stateDir, { recursive: true, force: true });
    }
  });

  it('reports a tracker that answers the probe with an error and keeps going', async () => {
    const { daemon, source, events } = setup();
    const torrents = new Map((await daemon.listTorrents()).map((t) => [t.infoHash, t]));
    const out = await source.observe({
      candidates: candidates(0, 5),
      torrents,
      trackersOf: () => ['http://127.0.0.1:1/announce'],
      targetSeeders: 5,
      nowMs: 0,
    });
    expect(out.signals.get(CAND)?.geo).toBeNull();
    expect(events.filter((e) => e.type === 'probe-failed')).toHaveLength(1);
  });
});
