/**
 * Donated limits as planning inputs, pure: the rates in force (schedule, monthly caps), what
 * the plan is held to (daily budget, a transfer cap's stop, eviction confirmation), and the
 * limits each owned torrent should carry once a tick's actions are applied (one cap shared by
 * need, never N x cap). Applying them is bandwidth.ts's job.
 */
import type { DaemonTorrent, RateLimits, SpeedLimits } from '../daemon/index.js';
import { capRate, ratesAt, shareByNeed, type CappedRate, type LocalTime, type RateRules, type ShareClaim } from '../plan/index.js';
import type { PlanLimits } from '../plan/index.js';
import type { InfoHash } from '../shared/index.js';
import type { TransferUsage } from './transfer.js';

export interface MonthlyCaps {
  uploadCapBytes: number | null;
  downloadCapBytes: number | null;
  billingDay: number;
  throttleAt: number;
}

export interface DonatedConfig {
  scope: 'owned' | 'session';
  rules: RateRules;
  monthly: MonthlyCaps | null;
  dailyDownloadBudgetBytes: number | null;
  maxEvictFraction: number;
  /** Policy pins (storage.pins), besides the dashboard's pins in agent state. */
  pins: readonly InfoHash[];
  /** The bandwidth group owned torrents join on 4.x (node.label); default "smartnode". */
  groupName?: string;
}

export interface EffectiveRates {
  upload: CappedRate;
  download: CappedRate;
  window: number | null;
  usage: TransferUsage;
}

/** The daemon limits a tick wants on the owned torrents once its actions are applied. */
export interface BandwidthPlan {
  scope: 'owned' | 'session';
  rates: EffectiveRates;
  /** Session scope: the session limits to set. Owned scope: null (the owner's are restored). */
  session: RateLimits | null;
  /** Limits per owned torrent after this tick's actions; a hash not here is left as it is. */
  perTorrent: ReadonlyMap<InfoHash, SpeedLimits>;
  /** The bandwidth group the owned torrents join where the daemon has groups (4.x), with its limits. */
  group: { name: string; limits: RateLimits } | null;
  /** Whether the rates in force differ from those announced last (a `bandwidth` event). */
  announce: boolean;
}

export function effectiveRates(config: DonatedConfig, usage: TransferUsage, nowMs: number, local: LocalTime): EffectiveRates {
  const rates = ratesAt(config.rules, local);
  const m = config.monthly;
  const msLeft = usage.periodEndMs - nowMs;
  const cap = (capBytes: number | null, usedBytes: number) =>
    m === null || capBytes === null ? null : { capBytes, usedBytes, throttleAt: m.throttleAt, msLeft };
  return {
    upload: capRate(rates.uploadBytesPerSec, cap(m?.uploadCapBytes ?? null, usage.uploadedBytes)),
    download: capRate(rates.downloadBytesPerSec, cap(m?.downloadCapBytes ?? null, usage.downloadedBytes)),
    window: rates.window,
    usage,
  };
}

/** What the plan is held to, from this tick's transfer usage and rates. */
export function planLimitsFor(
  config: DonatedConfig,
  rates: EffectiveRates,
  evictionConfirmed: boolean,
  reserveInForceBytes: number | null = null,
): PlanLimits {
  const usage = rates.usage;
  const budget = config.dailyDownloadBudgetBytes;
  const downCap = config.monthly?.downloadCapBytes ?? null;
  return {
    addBudgetBytes: budget === null ? null : Math.max(0, budget - usage.addedTodayBytes),
    addsStopped:
      rates.download.state === 'stopped' && downCap !== null ? { downloadCapBytes: downCap, periodEndMs: usage.periodEndMs } : null,
    maxEvictFraction: config.maxEvictFraction,
    evictionConfirmed,
    reserveInForceBytes,
  };
}

/**
 * The limits for the torrents owned once the plan is applied (`owned`: its desired set), the
 * cap shared by `needs` (the planner's need per info-hash). A torrent the poll does not show
 * yet (added this tick) counts as active.
 */
export function planBandwidth(
  config: DonatedConfig,
  input: {
    rates: EffectiveRates;
    owned: readonly InfoHash[];
    needs: ReadonlyMap<InfoHash, number>;
    torrents: ReadonlyMap<InfoHash, DaemonTorrent>;
    lastSummary: string | null;
  },
): { bandwidth: BandwidthPlan; summary: string } {
  const { rates } = input;
  const perTorrent = new Map<InfoHash, SpeedLimits>();
  let session: RateLimits | null = null;
  if (config.scope === 'session') {
    session = { uploadBytesPerSec: kbRound(rates.upload.bytesPerSec), downloadBytesPerSec: kbRound(rates.download.bytesPerSec) };
    for (const hash of input.owned) perTorrent.set(hash, { uploadBytesPerSec: null, downloadBytesPerSec: null, honorsSessionLimits: true });
  } else {
    const claims = (active: (t: DaemonTorrent) => boolean): ShareClaim[] =>
      input.owned.map((infoHash) => {
        const t = input.torrents.get(infoHash);
        return { infoHash, need: input.needs.get(infoHash) ?? 0, active: t === undefined || active(t) };
      });
    const up = shareByNeed(
      rates.upload.bytesPerSec,
      claims((t) => t.peersConnected > 0 || t.rateUploadBytesPerSec > 0),
    );
    const down = shareByNeed(
      rates.download.bytesPerSec,
      claims((t) => t.leftUntilDoneBytes > 0 && t.status !== 'stopped'),
    );
    for (const hash of input.owned) {
      perTorrent.set(hash, {
        uploadBytesPerSec: up.get(hash) ?? null,
        downloadBytesPerSec: down.get(hash) ?? null,
        honorsSessionLimits: true,
      });
    }
  }
  const summary = JSON.stringify([
    config.scope,
    kbRound(rates.upload.bytesPerSec),
    kbRound(rates.download.bytesPerSec),
    rates.upload.state,
    rates.download.state,
    rates.window,
  ]);
  // The group carries the cap in owned scope; in session scope the session limits do.
  const groupLimits: RateLimits =
    config.scope === 'session'
      ? { uploadBytesPerSec: null, downloadBytesPerSec: null }
      : { uploadBytesPerSec: kbRound(rates.upload.bytesPerSec), downloadBytesPerSec: kbRound(rates.download.bytesPerSec) };
  const group = { name: config.groupName ?? 'smartnode', limits: groupLimits };
  return { bandwidth: { scope: config.scope, rates, session, perTorrent, group, announce: summary !== input.lastSummary }, summary };
}

/** What the daemon stores: whole kB/s (toKBps), or null. */
export function kbRound(bytesPerSec: number | null): number | null {
  if (bytesPerSec === null) return null;
  return bytesPerSec > 0 ? Math.max(1, Math.floor(bytesPerSec / 1000)) * 1000 : 0;
}

export function sameRates(a: RateLimits, b: RateLimits): boolean {
  return kbRound(a.uploadBytesPerSec) === kbRound(b.uploadBytesPerSec) && kbRound(a.downloadBytesPerSec) === kbRound(b.downloadBytesPerSec);
}

export function sameLimits(a: SpeedLimits, b: SpeedLimits): boolean {
  return sameRates(a, b) && a.honorsSessionLimits === b.honorsSessionLimits;
}
