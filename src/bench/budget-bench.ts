/**
 * Budget accounting benchmark: what the donated limits add to one tick with 2,000 owned
 * torrents (and 10,000 candidates): transfer accounting (deltas of every owned torrent's
 * counters, written to the state file), the limits around the plan (planWithinLimits less the
 * plain planMirror it wraps), and the bandwidth caps (share by need, diff against the daemon's
 * limits, grouped sets) against the in-memory daemon, so RPC time is not counted.
 * Target: the median overhead <= 20 ms.
 *
 * Run alone: `npm run build && node dist/bench/budget-bench.js`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyBandwidth, createDonatedLimits, localTimeOf, type DonatedConfig } from '../agent/index.js';
import { effectiveRates, planBandwidth, planLimitsFor } from '../agent/index.js';
import { createEventBus } from '../agent/index.js';
import { createMemoryDaemon, type DaemonTorrent } from '../daemon/index.js';
import { diffPlan, planMirror, type Candidate, type HeldTorrent, type PlanInput } from '../plan/index.js';
import { planWithinLimits } from '../plan/index.js';
import { toInfoHash, type InfoHash } from '../shared/index.js';
import { isMainModule, runBenchMain } from './entry.js';

const OWNED = 2000;
const CANDIDATES = 10_000;
const RUNS = 11;
/** Runs before measuring (JIT warm-up). */
const WARMUP = 2;
const TARGET_MS = 20;
const NOW = Date.UTC(2026, 5, 15, 12);

const hash = (n: number): InfoHash => toInfoHash(n.toString(16).padStart(40, '0'));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

export async function benchBudget(): Promise<Record<string, number | string>> {
  const stateDir = mkdtempSync(join(tmpdir(), 'smartnode-budget-bench-'));
  try {
    const daemon = createMemoryDaemon({ directories: ['/d'] });
    const feeds = ['a', 'b', 'c', 'd'];
    const candidates: Candidate[] = [];
    const held: HeldTorrent[] = [];
    for (let i = 1; i <= CANDIDATES; i++) {
      const sizeBytes = (1 + (i % 50)) * 1e9;
      const counts = {
        seeders: i % 7,
        leechers: i % 11,
        completed: null,
        source: 'scrape' as const,
        observedAtMs: NOW - 60_000,
        origin: 'http://t/announce',
      };
      candidates.push({ infoHash: hash(i), name: `c${i}`, sizeBytes, feedIds: [feeds[i % 4] ?? 'a'], counts });
      if (i <= OWNED) {
        daemon.control.seed({ infoHash: hash(i), name: `c${i}`, sizeWhenDoneBytes: sizeBytes, downloadDir: '/d', labels: ['smartnode'] });
        held.push({
          infoHash: hash(i),
          name: `c${i}`,
          sizeBytes,
          leftUntilDoneBytes: 0,
          isOwned: true,
          addedAtMs: NOW - 30 * 86_400_000,
          feedIds: [feeds[i % 4] ?? 'a'],
        });
      }
    }
    const owned = new Set(held.map((h) => h.infoHash));
    const config: DonatedConfig = {
      scope: 'owned',
      rules: {
        uploadBytesPerSec: 50e6,
        downloadBytesPerSec: 20e6,
        schedule: [{ days: [0, 1, 2, 3, 4], fromMinute: 540, toMinute: 1080, uploadBytesPerSec: 5e6 }],
      },
      monthly: { uploadCapBytes: 10e12, downloadCapBytes: 2e12, billingDay: 31, throttleAt: 0.9 },
      dailyDownloadBudgetBytes: 200e9,
      maxEvictFraction: 0.5,
      pins: [],
    };
    const input: PlanInput = {
      candidates,
      held,
      nowMs: NOW,
      diskFreeBytes: 5e12,
      policy: {
        maxBytes: 60e12,
        minFreeBytes: 50e9,
        maxAddsPerTick: 10,
        feeds: feeds.map((id, i) => ({ id, maxBytes: null, maxTorrents: null, share: 0.4, weight: 1 + i })),
        scoring: { targetSeeders: 5, leecherWeight: 0.5, replaceMargin: 0.2, minSeedTimeMs: 3 * 86_400_000 },
      },
    };
    const donated = createDonatedLimits({ stateDir, billingDay: () => 31, alwaysConfirmEvictions: false });
    const bus = createEventBus();

    const accounting: number[] = [];
    const limits: number[] = [];
    const bandwidth: number[] = [];
    const total: number[] = [];
    for (let run = 0; run < WARMUP + RUNS; run++) {
      // Every owned torrent moved some bytes since the last tick.
      for (let i = 1; i <= OWNED; i++) daemon.control.addTransfer(hash(i), { uploadedBytes: 1e6 + i, downloadedBytes: i });
      const torrents: DaemonTorrent[] = (await daemon.listTorrents()).map((t) => ({
        ...t,
        peersConnected: t.infoHash.endsWith('0') ? 0 : 3,
      }));
      const byHash = new Map(torrents.map((t) => [t.infoHash, t]));
      const nowMs = NOW + run * 900_000;

      let t0 = performance.now();
      const usage = donated.transfer.observe(torrents, owned, nowMs);
      const rates = effectiveRates(config, usage, nowMs, localTimeOf(nowMs));
      const planLimits = planLimitsFor(config, rates, donated.guard.isConfirmed());
      const accountingMs = performance.now() - t0;

      // The plain tick plans and diffs too: only what the limits add is counted.
      t0 = performance.now();
      diffPlan(planMirror(input), held);
      const plainMs = performance.now() - t0;
      t0 = performance.now();
      const limited = planWithinLimits(input, planLimits);
      const limitsMs = Math.max(0, performance.now() - t0 - plainMs);

      t0 = performance.now();
      const needs = new Map(limited.plan.decisions.map((d) => [d.infoHash, d.need]));
      const { bandwidth: planned } = planBandwidth(config, { rates, owned: [...owned], needs, torrents: byHash, lastSummary: null });
      await applyBandwidth({ daemon, bus }, donated, planned, { owned, nowMs });
      const bandwidthMs = performance.now() - t0;

      if (run < WARMUP) continue;
      accounting.push(accountingMs);
      limits.push(limitsMs);
      bandwidth.push(bandwidthMs);
      total.push(accountingMs + limitsMs + bandwidthMs);
    }
    const medianTotal = median(total);
    return {
      budgetOwnedTorrents: OWNED,
      budgetCandidates: CANDIDATES,
      budgetRuns: RUNS,
      budgetAccountingMedianMs: Number(median(accounting).toFixed(2)),
      budgetPlanLimitsMedianMs: Number(median(limits).toFixed(2)),
      budgetBandwidthMedianMs: Number(median(bandwidth).toFixed(2)),
      budgetOverheadMedianMs: Number(medianTotal.toFixed(2)),
      budgetTargetMs: TARGET_MS,
      budgetVerdict: medianTotal <= TARGET_MS ? 'within target' : 'OVER TARGET',
    };
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

if (isMainModule(import.meta.url)) runBenchMain(benchBudget, (f) => f['budgetVerdict'] === 'within target');
