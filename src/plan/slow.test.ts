import { describe, expect, it } from 'vitest';
import { DEFAULT_SIGNALS } from './score.js';
import { estimateByLittle, estimateFromPeers, slowFactor, type ScrapeSample } from './slow.js';

const HOUR = 3_600_000;
const GB = 1e9;
const opts = { windowMs: 48 * HOUR, minSpanMs: HOUR };
const sample = (h: number, leechers: number, completed: number | null, seeders = 1): ScrapeSample => ({
  atMs: h * HOUR,
  seeders,
  leechers,
  completed,
});

describe("Little's law on scrape histories", () => {
  it('W = L / lambda and rate = size / W', () => {
    // 10 leechers throughout, 5 completions per hour: W = 2 h, 1 GB / 7200 s.
    const est = estimateByLittle([sample(0, 10, 100), sample(1, 10, 105), sample(2, 10, 110)], GB, opts);
    expect(est?.completionsPerHour).toBeCloseTo(5, 10);
    expect(est?.meanDownloadMs).toBeCloseTo(2 * HOUR, 6);
    expect(est?.meanLeecherRateBytesPerSec).toBeCloseTo(GB / 7200, 6);
    expect(est?.samples).toBe(3);
  });

  it('weights leechers by time and accepts samples in any order', () => {
    const est = estimateByLittle([sample(3, 99, 30), sample(0, 4, 0), sample(1, 10, 10)], GB, opts);
    // leechers 4 for 1 h, 10 for 2 h: L = 8; lambda = 10 per hour; W = 0.8 h.
    expect(est?.leechers).toBeCloseTo(8, 10);
    expect(est?.completionsPerHour).toBeCloseTo(10, 10);
    expect(est?.meanDownloadMs).toBeCloseTo(0.8 * HOUR, 6);
  });

  it('reads nothing completing while leechers wait as rate 0 (W infinite)', () => {
    const est = estimateByLittle([sample(0, 5, 7), sample(6, 5, 7)], GB, opts);
    expect(est?.meanDownloadMs).toBe(Infinity);
    expect(est?.meanLeecherRateBytesPerSec).toBe(0);
  });

  it('drops the history before a reset (downloaded went down), never a negative rate', () => {
    const history = [sample(0, 10, 500), sample(1, 10, 520), sample(2, 10, 3), sample(4, 10, 13)];
    const est = estimateByLittle(history, GB, opts);
    expect(est?.samples).toBe(2);
    expect(est?.completionsPerHour).toBeCloseTo(5, 10);
    // A reset as the newest sample leaves a single sample: no estimate.
    expect(estimateByLittle([sample(0, 10, 500), sample(2, 10, 520), sample(3, 10, 1)], GB, opts)).toBeNull();
  });

  it('gives no estimate for too little history, no leechers, no size, or no downloaded counts', () => {
    expect(estimateByLittle([sample(0, 10, 1)], GB, opts)).toBeNull();
    expect(estimateByLittle([sample(0, 10, 1), sample(0.5, 10, 2)], GB, opts)).toBeNull();
    expect(estimateByLittle([sample(0, 0, 1), sample(2, 0, 1)], GB, opts)).toBeNull();
    expect(estimateByLittle([sample(0, 10, 1), sample(2, 10, 5)], null, opts)).toBeNull();
    expect(estimateByLittle([sample(0, 10, null), sample(2, 10, null)], GB, opts)).toBeNull();
    expect(estimateByLittle([sample(0, -1, 1), sample(2, Number.NaN, 5)], GB, opts)).toBeNull();
  });

  it('uses only the window', () => {
    const est = estimateByLittle([sample(0, 10, 0), sample(100, 10, 1000), sample(101, 10, 1001)], GB, {
      windowMs: 2 * HOUR,
      minSpanMs: HOUR,
    });
    expect(est?.completionsPerHour).toBeCloseTo(1, 10);
  });
});

describe('leecher rates from two polls of the peers', () => {
  const t0 = {
    atMs: 0,
    peers: [
      { key: '1.2.3.4:6881', progress: 0.1, rateToPeerBytesPerSec: 0 },
      { key: '5.6.7.8:6881', progress: 0.5, rateToPeerBytesPerSec: 0 },
      { key: '9.9.9.9:1', progress: 1, rateToPeerBytesPerSec: 0 },
      { key: '8.8.8.8:1', progress: 0.9, rateToPeerBytesPerSec: 0 },
    ],
  };
  const t1 = {
    atMs: 100_000,
    peers: [
      { key: '1.2.3.4:6881', progress: 0.2, rateToPeerBytesPerSec: 1000 },
      { key: '5.6.7.8:6881', progress: 0.5, rateToPeerBytesPerSec: 3000 },
      { key: '9.9.9.9:1', progress: 1, rateToPeerBytesPerSec: 0 },
      { key: '8.8.8.8:1', progress: 0.4, rateToPeerBytesPerSec: 0 },
      { key: '7.7.7.7:1', progress: 0.3, rateToPeerBytesPerSec: 0 },
    ],
  };

  it('averages delta progress x size over leechers seen twice; seeders, newcomers and restarts left out', () => {
    const est = estimateFromPeers(t0, t1, GB);
    expect(est?.leechers).toBe(2);
    // (0.1 GB / 100 s + 0) / 2 = 500 kB/s
    expect(est?.meanLeecherRateBytesPerSec).toBeCloseTo(500_000, 6);
    expect(est?.ourUploadPerLeecherBytesPerSec).toBe(2000);
  });

  it('is null without overlap or time between polls', () => {
    expect(estimateFromPeers(t0, { atMs: 0, peers: t1.peers }, GB)).toBeNull();
    expect(estimateFromPeers(t0, { atMs: 10, peers: [] }, GB)).toBeNull();
  });

  it('judges a held swarm without our own upload', () => {
    const slow = DEFAULT_SIGNALS.slow;
    const fast = slowFactor(
      { kind: 'peers', meanLeecherRateBytesPerSec: 2e6, leechers: 3, ourUploadPerLeecherBytesPerSec: 0, spanMs: 1, observedAtMs: 0 },
      slow,
    );
    const becauseOfUs = slowFactor(
      { kind: 'peers', meanLeecherRateBytesPerSec: 2e6, leechers: 3, ourUploadPerLeecherBytesPerSec: 2e6, spanMs: 1, observedAtMs: 0 },
      slow,
    );
    expect(fast?.slowness).toBe(0);
    expect(becauseOfUs?.slowness).toBe(1);
    expect(becauseOfUs?.factor).toBeCloseTo(1 + slow.weight, 10);
    expect(slowFactor(null, slow)).toBeNull();
  });
});
