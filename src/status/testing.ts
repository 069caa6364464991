/** Builders for status snapshots and mirror views (tests and the UI benchmark). */
import type { CandidateView, MirrorView, OwnedTorrentView } from '../agent/index.js';
import { toInfoHash, type InfoHash } from '../shared/index.js';
import { initialStatus, type StatusSnapshot } from './status-model.js';

export const T0_MS = Date.UTC(2026, 0, 1, 12, 0, 0);

export function hashN(n: number): InfoHash {
  return toInfoHash(n.toString(16).padStart(40, '0'));
}

export function anOwnedView(n: number, overrides: Partial<OwnedTorrentView> = {}): OwnedTorrentView {
  return {
    infoHash: hashN(n),
    name: `owned-dataset-${n}`,
    feedId: 'main',
    sizeBytes: 1_000_000_000 + n,
    percentDone: 1,
    status: 'seeding',
    seeders: n % 7,
    leechers: n % 3,
    countsSource: 'daemon',
    countsObservedAtMs: T0_MS - 60_000,
    countries: [],
    uploadRateBytesPerSec: (n % 5) * 10_000,
    downloadRateBytesPerSec: 0,
    uploadedEverBytes: 2_000_000_000,
    ratio: 2,
    score: 1 / (1 + n),
    need: 0.5,
    scarcity: 0.5,
    demand: 1,
    pinned: false,
    factors: null,
    action: 'keep',
    reason: { code: 'KEPT', text: `kept: ${n % 7} seeders against a target of 5; ${n % 3} leechers waiting` },
    ...overrides,
  };
}

export function aCandidateView(n: number, overrides: Partial<CandidateView> = {}): CandidateView {
  return {
    infoHash: hashN(1_000_000 + n),
    name: `candidate-${n}`,
    feedId: 'main',
    sizeBytes: 5_000_000_000,
    seeders: 6,
    leechers: 0,
    countsSource: 'scrape',
    countsObservedAtMs: T0_MS - 120_000,
    score: 1 / (2 + n),
    need: 0,
    scarcity: 0,
    demand: 1,
    factors: null,
    action: 'skip',
    reason: { code: 'WELL_SEEDED', text: '6 seeders already meet the target of 5' },
    ...overrides,
  };
}

export function aMirrorView(options: { owned?: number; candidates?: number } = {}, overrides: Partial<MirrorView> = {}): MirrorView {
  const owned = Array.from({ length: options.owned ?? 3 }, (_, i) => anOwnedView(i));
  const candidates = Array.from({ length: options.candidates ?? 3 }, (_, i) => aCandidateView(i));
  return {
    nowMs: T0_MS,
    owned,
    candidates,
    candidateTotal: candidates.length,
    capacityBytes: 100_000_000_000,
    committedBytes: owned.reduce((s, o) => s + o.sizeBytes, 0),
    maxBytes: 100_000_000_000,
    limitedBy: 'maxBytes',
    diskFreeBytes: 400_000_000_000,
    minFreeBytes: 10_000_000_000,
    uploadRateBytesPerSec: 120_000,
    downloadRateBytesPerSec: 5_000,
    feeds: [{ feedId: 'main', usedBytes: 3_000_000_000, usedTorrents: owned.length, maxBytes: null, maxTorrents: null }],
    ...overrides,
  };
}

export function aStatus(overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  const base = initialStatus({ nodeId: 'node-1234-abcd', nowMs: T0_MS, pins: [], bans: [], paused: false });
  return {
    ...base,
    agent: { ...base.agent, state: 'running', tick: 3, lastTickAtMs: T0_MS - 5000, lastTickDurationMs: 800, nextTickAtMs: T0_MS + 60_000 },
    daemon: { state: 'connected', version: '3.00 (bb6b5a062e)', rpcVersion: 16, error: null },
    mirror: aMirrorView(),
    ...overrides,
  };
}
