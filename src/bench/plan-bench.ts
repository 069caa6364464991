/**
 * Planner benchmark: 100,000 candidates across 20 feeds (10% listed by two feeds, 15% without
 * counts, sizes log-uniform from 10 MB to 500 GB) with 500 held torrents (480 ours, 10 of them
 * pinned, 20 not ours), per-feed byte and count quotas and a disk limit.
 * Targets: median planMirror <= 250 ms, peak RSS <= 300 MB.
 *
 * Run alone: `npm run build && node dist/bench/plan-bench.js`.
 * From the built file, benchPlan() forks a fresh Node process for the measurement so the peak
 * RSS (`process.resourceUsage().maxRSS`, the process's high-water mark, including the generated
 * input) is the planner's alone and not whatever the calling process already used. Run from
 * TypeScript sources (vitest), it measures in-process.
 */
import { fork } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { planMirror, type Candidate, type HeldTorrent, type Plan, type PlanInput } from '../plan/index.js';
import { toInfoHash } from '../shared/index.js';

const CANDIDATES = 100_000;
const FEEDS = 20;
const HELD = 500;
const RUNS = 7;
const TARGET_MS = 250;
const TARGET_RSS_MB = 300;
const NOW_MS = Date.UTC(2026, 0, 1);
const GB = 1e9;
const HOUR_MS = 3_600_000;

export interface PlanBenchOptions {
  candidates?: number;
  held?: number;
  runs?: number;
}

/** mulberry32: a tiny seeded PRNG so every run plans the same input. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function generatePlanInput(candidateCount: number, heldCount: number): PlanInput {
  const rnd = random(42);
  const hex = (n: number) => Math.floor(n).toString(16).padStart(8, '0');
  const feedId = (i: number) => `feed-${String(i).padStart(2, '0')}`;
  const candidates: Candidate[] = [];
  for (let i = 0; i < candidateCount; i++) {
    const hash = toInfoHash(hex(i) + hex(rnd() * 2 ** 32) + hex(rnd() * 2 ** 32) + hex(rnd() * 2 ** 32) + hex(rnd() * 2 ** 32));
    const home = Math.floor(rnd() * FEEDS);
    const feedIds = rnd() < 0.1 ? [feedId(home), feedId((home + 1 + Math.floor(rnd() * (FEEDS - 1))) % FEEDS)] : [feedId(home)];
    const counted = rnd() >= 0.15;
    candidates.push({
      infoHash: hash,
      name: `dataset ${i}`,
      sizeBytes: Math.round(10e6 * Math.pow(50_000, rnd())),
      feedIds,
      counts: counted
        ? {
            seeders: Math.floor(-Math.log(1 - rnd()) * 4),
            leechers: Math.floor(rnd() * rnd() * 50),
            completed: null,
            source: rnd() < 0.5 ? 'feed' : 'scrape',
            observedAtMs: NOW_MS - Math.floor(rnd() * 24 * HOUR_MS),
            origin: feedId(home),
          }
        : null,
    });
  }
  const held: HeldTorrent[] = [];
  for (let i = 0; i < heldCount; i++) {
    const c = candidates[Math.floor((i * candidateCount) / heldCount)];
    if (c === undefined) break;
    const sizeBytes = c.sizeBytes ?? GB;
    held.push({
      infoHash: c.infoHash,
      name: c.name,
      sizeBytes,
      leftUntilDoneBytes: rnd() < 0.1 ? Math.floor(sizeBytes * rnd()) : 0,
      isOwned: i % 25 !== 0,
      addedAtMs: NOW_MS - Math.floor(rnd() * 240 * HOUR_MS),
      pinned: i % 50 === 1,
      feedIds: c.feedIds.slice(0, 1),
    });
  }
  const feeds = Array.from({ length: FEEDS }, (_, i) => ({
    id: feedId(i),
    maxBytes: i % 3 === 0 ? 2_000 * GB : null,
    maxTorrents: i % 4 === 0 ? 500 : null,
  }));
  return {
    candidates,
    held,
    nowMs: NOW_MS,
    diskFreeBytes: 30_000 * GB,
    policy: {
      maxBytes: 20_000 * GB,
      minFreeBytes: 50 * GB,
      feeds,
      scoring: { targetSeeders: 5, leecherWeight: 0.25, replaceMargin: 0.2, minSeedTimeMs: 72 * HOUR_MS },
      maxAddsPerTick: 50,
    },
  };
}

async function measure(options: PlanBenchOptions): Promise<Record<string, number | string>> {
  const candidateCount = options.candidates ?? CANDIDATES;
  const runs = options.runs ?? RUNS;
  const input = generatePlanInput(candidateCount, options.held ?? HELD);
  const timesMs: number[] = [];
  planMirror(input); // warm-up: the first run also pays for JIT compilation
  let plan: Plan | null = null;
  for (let run = 0; run < runs; run++) {
    plan = null; // the agent keeps one plan at a time
    const started = performance.now();
    plan = planMirror(input);
    timesMs.push(performance.now() - started);
  }
  if (plan === null) throw new Error('plan bench: runs must be at least 1');
  if (plan.committedBytes > plan.capacityBytes) {
    throw new Error(`bench plan commits ${plan.committedBytes} bytes over its ${plan.capacityBytes}-byte capacity`);
  }
  timesMs.sort((a, b) => a - b);
  const medianMs = timesMs[Math.floor(timesMs.length / 2)] ?? Number.NaN;
  const peakRssMb = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  const counts: Record<string, number> = {};
  for (const d of plan.decisions) counts[d.action] = (counts[d.action] ?? 0) + 1;
  return {
    planCandidates: candidateCount,
    planFeeds: FEEDS,
    planHeld: input.held.length,
    planRuns: runs,
    planMedianMs: Math.round(medianMs),
    planMinMs: Math.round(timesMs[0] ?? Number.NaN),
    planMaxMs: Math.round(timesMs[timesMs.length - 1] ?? Number.NaN),
    planPeakRssMb: Math.round(peakRssMb),
    planDesired: plan.desired.length,
    planAdds: counts['add'] ?? 0,
    planRemoves: counts['remove'] ?? 0,
    planCommittedGB: Math.round(plan.committedBytes / GB),
    planCapacityGB: Math.round(plan.capacityBytes / GB),
    planTargetMs: TARGET_MS,
    planTargetRssMb: TARGET_RSS_MB,
    planVerdict: medianMs <= TARGET_MS && peakRssMb <= TARGET_RSS_MB ? 'within target' : 'OVER TARGET',
  };
}

export async function benchPlan(options: PlanBenchOptions = {}): Promise<Record<string, number | string>> {
  const self = fileURLToPath(import.meta.url);
  if (!self.endsWith('.js')) return measure(options);
  return new Promise((resolve, reject) => {
    const child = fork(self, ['--child', JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let figures: Record<string, number | string> | null = null;
    child.on('message', (message: unknown) => {
      if (typeof message === 'object' && message !== null) figures = message as Record<string, number | string>;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (figures !== null) resolve(figures);
      else reject(new Error(`plan bench child exited with code ${String(code)} and no figures`));
    });
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--child') {
    const options = JSON.parse(process.argv[3] ?? '{}') as PlanBenchOptions;
    measure(options).then(
      (figures) => process.send?.(figures, () => process.exit(0)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  } else {
    benchPlan().then(
      (figures) => {
        for (const [key, value] of Object.entries(figures)) console.log(`${key.padEnd(24)} ${value}`);
        if (figures['planVerdict'] !== 'within target') process.exitCode = 1;
      },
      (error: unknown) => {
        console.error(error);
        process.exitCode = 1;
      },
    );
  }
}
