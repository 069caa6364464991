/**
 * Scoring benchmark. Two targets:
 *
 * 1. Scoring 100,000 candidates with 50 peers each, geography on: median <= 500 ms. Timed per
 *    run: each candidate's 50 peer countries counted into a histogram (countCountries), its
 *    scrape history read by Little's law, and its need composed (scarcity x leechers x geo x
 *    slow x herd: composeNeed). Peer addresses are resolved to countries before scoring, in the
 *    observe step, for the few torrents a tick polls or probes (slowDownloads.peerPollsPerTick
 *    + announceProbe.maxPerTick, 50 + 50 by default): the geoip lookup rate is measured and
 *    printed separately, with what that bound costs a tick. A full planMirror of the same
 *    100,000 candidates with signals is printed for reference.
 * 2. Agent peak RSS with 10,000 candidates and geography on: <= 200 MB. A child process runs
 *    real agent ticks: an Academic-Torrents CSV feed of 10,000 items over a real local HTTP
 *    server, the in-memory daemon holding 100 of them with 50 public peers each, announce
 *    probes whose tracker answers (an injected fetch) carry 50 public peers, geoip-lite with
 *    the country tables, the scrape history in a state dir. Peak RSS = process.resourceUsage().maxRSS.
 *
 * Run alone: `npm run build && node dist/bench/score-bench.js`.
 */
import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DEFAULT_SIGNALS,
  composeNeed,
  countCountries,
  estimateByLittle,
  planMirror,
  withSignals,
  type Candidate,
  type ScoringPolicy,
  type ScrapeSample,
} from '../plan/index.js';
import { encodeBencode, toInfoHash, type HttpTransport } from '../shared/index.js';
import { createGeoResolver, loadCountryLookup } from '../swarm/index.js';
import type { AgentConfig, TickResult } from '../agent/index.js';
import { SERVICE_HEAP_MB } from './plan-bench.js';
import { seededRandom } from '../shared/index.js';
import { isMainModule } from './entry.js';

const CANDIDATES = 100_000;
const PEERS = 50;
const RUNS = 7;
const TARGET_MS = 500;
const AGENT_CANDIDATES = 10_000;
const AGENT_HELD = 100;
const TARGET_RSS_MB = 200;
const NOW_MS = Date.UTC(2026, 0, 1);
const HOUR_MS = 3_600_000;
const COUNTRIES =
  'US DE FR GB NL JP CN BR CA AU SE CH IT ES PL RU IN KR FI NO DK AT BE CZ IE PT IL SG ZA MX AR NZ TW HK UA RO HU GR TR CL'.split(' ');

const random = seededRandom;

const hashOf = (i: number): string => toInfoHash(i.toString(16).padStart(40, '0'));

/** A public-looking IPv4 address (first octet 1..223, skipping 10, 100, 127, 169, 172, 192). */
function publicAddress(rnd: () => number): string {
  let a = 1 + Math.floor(rnd() * 223);
  while ([10, 100, 127, 169, 172, 192].includes(a)) a = 1 + Math.floor(rnd() * 223);
  return `${a}.${Math.floor(rnd() * 256)}.${Math.floor(rnd() * 256)}.${1 + Math.floor(rnd() * 254)}`;
}

interface ScoringInput {
  candidates: Candidate[];
  peerCountries: (string | null)[][];
  histories: ScrapeSample[][];
}

export function generateScoringInput(count: number): ScoringInput {
  const rnd = random(7);
  const candidates: Candidate[] = [];
  const peerCountries: (string | null)[][] = [];
  const histories: ScrapeSample[][] = [];
  for (let i = 0; i < count; i++) {
    const infoHash = toInfoHash(hashOf(i + 1));
    const seeders = Math.floor(rnd() * 8);
    const leechers = Math.floor(rnd() * 30);
    candidates.push({
      infoHash,
      name: `dataset-${i}`,
      sizeBytes: Math.round(1e7 * Math.exp(rnd() * Math.log(5e4))),
      feedIds: ['f'],
      counts: { seeders, leechers, completed: 100 + (i % 50), source: 'scrape', observedAtMs: NOW_MS - 60_000, origin: 'bench' },
    });
    // Swarms lean on a home country: half the peers there, the rest anywhere.
    const home = COUNTRIES[Math.floor(rnd() * COUNTRIES.length)] ?? 'US';
    const codes: (string | null)[] = [];
    for (let p = 0; p < PEERS; p++) {
      const r = rnd();
      codes.push(r < 0.05 ? null : r < 0.5 ? home : (COUNTRIES[Math.floor(rnd() * COUNTRIES.length)] ?? 'US'));
    }
    peerCountries.push(codes);
    const base = Math.floor(rnd() * 500);
    histories.push(
      [0, 1, 2, 3].map((k) => ({ atMs: NOW_MS - (4 - k) * HOUR_MS, seeders, leechers, completed: base + k * Math.floor(rnd() * 5) })),
    );
  }
  return { candidates, peerCountries, histories };
}

function scoringPolicy(): ScoringPolicy {
  return {
    targetSeeders: 5,
    leecherWeight: 0.5,
    replaceMargin: 0.2,
    minSeedTimeMs: 72 * HOUR_MS,
    signals: { ...DEFAULT_SIGNALS, herd: { ...DEFAULT_SIGNALS.herd, nodeId: 'bench-node', expectedNodes: 50 } },
  };
}

/** One scoring pass over every candidate; returns a checksum so nothing is optimized away. */
export function scoreAll(input: ScoringInput, scoring: ScoringPolicy): number {
  const config = scoring.signals ?? DEFAULT_SIGNALS;
  let sum = 0;
  for (let i = 0; i < input.candidates.length; i++) {
    const c = input.candidates[i] as Candidate;
    const geo = {
      ...countCountries(input.peerCountries[i] ?? []),
      peersAre: 'peers' as const,
      source: 'announce' as const,
      observedAtMs: NOW_MS,
    };
    const slow = estimateByLittle(input.histories[i] ?? [], c.sizeBytes, { windowMs: 48 * HOUR_MS, minSpanMs: HOUR_MS });
    const components = composeNeed(c.counts, scoring, null, { infoHash: c.infoHash, geo, slow }, config);
    sum += components.scarcity * components.demand;
  }
  return sum;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

async function benchScoring(): Promise<Record<string, number | string>> {
  const input = generateScoringInput(CANDIDATES);
  const scoring = scoringPolicy();
  const times: number[] = [];
  let checksum = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    checksum += scoreAll(input, scoring);
    times.push(performance.now() - t0);
  }
  // The same candidates through the whole planner, signals attached.
  const config = scoring.signals ?? DEFAULT_SIGNALS;
  const signalled = withSignals(
    input.candidates.map((c, i) => ({
      ...c,
      signals: {
        infoHash: c.infoHash,
        geo: {
          ...countCountries(input.peerCountries[i] ?? []),
          peersAre: 'peers' as const,
          source: 'announce' as const,
          observedAtMs: NOW_MS,
        },
        slow: null,
      },
    })),
  );
  const planTimes: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    planMirror({
      candidates: signalled,
      held: [],
      nowMs: NOW_MS,
      diskFreeBytes: null,
      policy: {
        maxBytes: 20e12,
        minFreeBytes: 0,
        feeds: [{ id: 'f', maxBytes: null, maxTorrents: null }],
        scoring: { ...scoring, signals: config },
        maxAddsPerTick: 10,
      },
    });
    planTimes.push(performance.now() - t0);
  }
  // geoip-lite lookups with the country tables (cold addresses: no cache hits).
  const dir = await mkdtemp(join(tmpdir(), 'sn-score-bench-'));
  try {
    const resolver = createGeoResolver(await loadCountryLookup(dir));
    const rnd = random(11);
    const addresses = Array.from({ length: 100_000 }, () => publicAddress(rnd));
    const t0 = performance.now();
    let located = 0;
    for (const a of addresses) if (resolver.countryOf(a) !== null) located++;
    const lookupUs = ((performance.now() - t0) * 1000) / addresses.length;
    const medianMs = median(times);
    return {
      scoreCandidates: CANDIDATES,
      scorePeersEach: PEERS,
      scoreRuns: RUNS,
      scoreMedianMs: Math.round(medianMs),
      scoreTargetMs: TARGET_MS,
      scoreMsVsTarget: Number((medianMs / TARGET_MS).toFixed(2)),
      planWithSignalsMedianMs: Math.round(median(planTimes)),
      geoipLookupUs: Number(lookupUs.toFixed(2)),
      geoipLocatedShare: Number((located / addresses.length).toFixed(2)),
      geoipMsPerTickAtDefaults: Number((((50 + 50) * PEERS * lookupUs) / 1000).toFixed(1)),
      checksum: Number(checksum.toFixed(3)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** In a child process: real agent ticks with 10,000 candidates, geography on. */
/** The feed the agent reads: an Academic Torrents collection CSV of `count` items. */
export function benchFeedCsv(count: number): string {
  const rnd = random(5);
  const rows = ['TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED'];
  for (let i = 0; i < count; i++) {
    const sizeBytes = Math.round(1e7 * Math.exp(rnd() * Math.log(5e4)));
    const mirrors = Math.floor(rnd() * 8);
    const downloaders = Math.floor(rnd() * 30);
    rows.push(`Dataset,dataset ${i},${hashOf(i + 1)},${sizeBytes},${mirrors},${downloaders},${100 + (i % 97)},1600000000,1600000000`);
  }
  return `${rows.join('\n')}\n`;
}

export async function agentTicks(
  candidateCount: number,
  heldCount: number,
  ticks: number,
  geography = true,
  feedUrl?: string,
  feedMaxItems?: number,
): Promise<Record<string, number>> {
  const {
    createEventBus,
    createHttpFeedSource,
    createHttpTorrentSource,
    createScrapeCountSource,
    createSignalSource,
    openAgentState,
    openScrapeHistory,
    runTick,
  } = await import('../agent/index.js');
  const { createMemoryDaemon } = await import('../daemon/index.js');
  const { createSwarmProber, createScraper } = await import('../swarm/index.js');
  const { startFeedServer } = await import('../testkit/index.js');
  const dir = await mkdtemp(join(tmpdir(), 'sn-agent-bench-'));
  const server = feedUrl === undefined ? await startFeedServer({ host: '127.0.0.1' }) : null;
  server?.setRoute('/collection/bench.csv', { body: benchFeedCsv(candidateCount), contentType: 'text/csv' });
  const url = feedUrl ?? `${server?.url ?? ''}/collection/bench.csv`;
  try {
    const rnd = random(6);
    const daemon = createMemoryDaemon({ directories: [dir] });
    for (let i = 0; i < heldCount; i++) {
      const infoHash = toInfoHash(hashOf(i + 1));
      daemon.control.seed({ infoHash, name: `dataset ${i}`, sizeWhenDoneBytes: 1e7, downloadDir: join(dir, 'owner') });
      daemon.control.setPeers(
        infoHash,
        Array.from({ length: PEERS }, (_, p) => ({
          address: publicAddress(rnd),
          port: 6881 + p,
          progress: p % 3 === 0 ? 1 : rnd(),
          rateToClientBytesPerSec: 0,
          rateToPeerBytesPerSec: Math.floor(rnd() * 1e5),
        })),
      );
    }
    const bus = createEventBus();
    const limits = {
      timeoutMs: 10_000,
      feedMaxBytes: 50e6,
      torrentFileMaxBytes: 10e6,
      userAgent: 'bench',
      ...(feedMaxItems === undefined ? {} : { feedMaxItems }),
    };
    const peersReply = (): Uint8Array => {
      const bytes = new Uint8Array(6 * PEERS);
      for (let p = 0; p < PEERS; p++) {
        const parts = publicAddress(rnd).split('.').map(Number);
        bytes.set([...parts, 0x1a, 0xe1], 6 * p);
      }
      return encodeBencode({ complete: 3, incomplete: 4, interval: 1800, peers: bytes });
    };
    // A tracker answering every announce with PEERS public peers, without a socket.
    const fakeTracker: HttpTransport = async (url, _options, read) => {
      const reply = peersReply();
      return read(
        { status: 200, url, header: () => null },
        {
          bytes: async () => reply,
          chunks: async function* () {
            yield reply;
          },
        },
      );
    };
    let clockMs = Date.now();
    const history = await openScrapeHistory(dir, { maxSamples: 12, maxAgeMs: 4 * 86_400_000 });
    const signals = createSignalSource({
      daemon,
      history,
      prober: createSwarmProber({
        enabled: () => true,
        intervalMs: () => 6 * HOUR_MS,
        maxPerTick: 50,
        requestsPerSecond: 100,
        numwant: PEERS,
        timeoutMs: 5000,
        now: () => clockMs,
        transport: fakeTracker,
      }),
      loadResolver: async () => createGeoResolver(await loadCountryLookup(dir)),
      settings: () => ({
        geography,
        slowDownloads: geography,
        peerPollsPerTick: 50,
        windowMs: 2 * 86_400_000,
        minSpanMs: HOUR_MS,
        country: null,
      }),
      bus,
    });
    const deps = {
      daemon,
      state: openAgentState(join(dir, 'state')),
      bus,
      feeds: createHttpFeedSource({
        feeds: () => [{ id: 'bench', url, format: 'at-csv' as const, cookie: undefined }],
        refreshIntervalMs: () => HOUR_MS,
        limits,
        bus,
        extraTrackers: () => ['http://tracker.bench.invalid/announce'],
      }),
      counts: createScrapeCountSource({
        scraper: createScraper({ requestsPerSecond: 1, timeoutMs: 1000, now: Date.now }),
        enabled: () => false,
        intervalMs: () => HOUR_MS,
        bus,
      }),
      torrents: createHttpTorrentSource({ cookieFor: () => undefined, limits, refusalTtlMs: HOUR_MS, clock: () => clockMs }),
      clock: () => clockMs,
      signals,
    };
    const config: AgentConfig = {
      label: 'smartnode',
      downloadDir: join(dir, 'mirror'),
      maxCountAgeMs: 2 * HOUR_MS,
      trackerStatsIntervalMs: HOUR_MS,
      maxTorrentProbesPerTick: 0,
      planPolicy: {
        maxBytes: 2e12,
        minFreeBytes: 0,
        feeds: [{ id: 'bench', maxBytes: null, maxTorrents: null }],
        maxAddsPerTick: 10,
        scoring: { targetSeeders: 5, leecherWeight: 0.5, replaceMargin: 0.2, minSeedTimeMs: 72 * HOUR_MS, signals: DEFAULT_SIGNALS },
      },
    };
    let signalled = 0;
    let decisions = 0;
    let carried: TickResult['carried'] | undefined;
    for (let t = 0; t < ticks; t++) {
      const result: TickResult = await runTick(deps, config, { dryRun: true, tick: t, ...(carried === undefined ? {} : { carried }) });
      carried = result.carried;
      signalled = result.plan.decisions.filter((d) => d.components.factors?.geo != null).length;
      decisions = result.plan.decisions.length;
      clockMs += HOUR_MS;
    }
    return {
      agentCandidates: candidateCount,
      agentHeld: heldCount,
      agentTicks: ticks,
      agentScoredGeo: signalled,
      agentDecisions: decisions,
      agentHistoryTorrents: history.size,
    };
  } finally {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchAgentRss(): Promise<Record<string, number | string>> {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.js')) {
    const figures = await agentTicks(AGENT_CANDIDATES, AGENT_HELD, 3);
    return { ...figures, agentPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024), agentRssMeasuredIn: 'this process' };
  }
  // The feed is served from this process; the child is the agent alone, run with the
  // service's V8 heap limit (NODE_OPTIONS in examples/smartnode.service), as in production.
  const { startFeedServer } = await import('../testkit/index.js');
  const server = await startFeedServer({ host: '127.0.0.1' });
  server.setRoute('/collection/bench.csv', { body: benchFeedCsv(AGENT_CANDIDATES), contentType: 'text/csv' });
  try {
    return await new Promise((resolve, reject) => {
      const child = fork(self, ['--agent-child', `${server.url}/collection/bench.csv`], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        execArgv: [`--max-old-space-size=${SERVICE_HEAP_MB}`],
      });
      child.on('message', (m) => resolve(m as Record<string, number | string>));
      child.on('error', reject);
      child.on('exit', (code) => {
        if (code !== 0) reject(new Error(`agent bench child exited ${code}`));
      });
    });
  } finally {
    await server.close();
  }
}

export async function benchScore(): Promise<Record<string, number | string>> {
  const scoring = await benchScoring();
  const agent = await benchAgentRss();
  const rss = Number(agent['agentPeakRssMb']);
  const misses: string[] = [];
  if (Number(scoring['scoreMedianMs']) > TARGET_MS) misses.push(`scoring median ${scoring['scoreMedianMs']} ms > ${TARGET_MS} ms`);
  if (rss > TARGET_RSS_MB) misses.push(`agent peak RSS ${rss} MB > ${TARGET_RSS_MB} MB`);
  return {
    ...scoring,
    ...agent,
    agentTargetRssMb: TARGET_RSS_MB,
    agentRssVsTarget: Number((rss / TARGET_RSS_MB).toFixed(2)),
    scoreVerdict: misses.length === 0 ? 'within target' : misses.join('; '),
  };
}

if (isMainModule(import.meta.url)) {
  if (process.argv.includes('--agent-child')) {
    const feedUrl = process.argv[process.argv.indexOf('--agent-child') + 1];
    const figures = await agentTicks(AGENT_CANDIDATES, AGENT_HELD, 3, true, feedUrl);
    process.send?.({
      ...figures,
      agentPeakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      agentRssMeasuredIn: `a fresh process, --max-old-space-size=${SERVICE_HEAP_MB} as the service`,
    });
    process.disconnect?.();
  } else {
    const figures = await benchScore();
    for (const [k, v] of Object.entries(figures)) process.stdout.write(`${k}: ${v}\n`);
    process.exitCode = figures['scoreVerdict'] === 'within target' ? 0 : 1;
  }
}
