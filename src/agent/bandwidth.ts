/**
 * Donated limits in the tick: transfer accounting before planning, the limits the plan is
 * held to (daily budget, transfer-cap stop, mass-eviction confirmation), and the bandwidth
 * caps applied after the actions.
 *
 * Caps touch smartnode's own torrents only (scope "owned"), so the owner's other torrents keep
 * their speed. On Transmission 4.x the owned torrents join a bandwidth group of their own
 * whose limit is the cap: one total the active torrents share as they need it, at once, with
 * no per-torrent limit. 3.00 has no groups: the cap is split into per-torrent limits by need
 * at each tick. Both honour the session limits the owner set. Scope
 * "session" sets the daemon's session limits instead, and restores the owner's previous
 * ones when switched back. Every tick re-reads the limits the daemon has and sets only what
 * differs, torrents with equal limits in one call. A hash that is not owned is never sent.
 */
import type { DaemonTorrent, RateLimits, SpeedLimits } from '../daemon/index.js';
import { capRate, ratesAt, shareByNeed, type CappedRate, type LocalTime, type RateRules, type ShareClaim } from '../plan/bandwidth.js';
import { describeReserveBreach, type LimitedPlan, type PlanLimits } from '../plan/limits.js';
import { formatBytes } from '../plan/index.js';
import { SmartnodeError, type InfoHash } from '../shared/index.js';
import type { EventBus } from './events.js';
import { createEvictionGuard, type EvictionGuard } from './eviction-guard.js';
import { openTransferStore, type TransferStore, type TransferUsage } from './transfer.js';
import type { DaemonPort } from '../daemon/index.js';

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

export interface DonatedLimits {
  transfer: TransferStore;
  guard: EvictionGuard;
  /** The last bandwidth summary announced (an event goes out only when it changes). */
  lastSummary: string | null;
}

export function createDonatedLimits(options: { stateDir: string; billingDay: () => number; alwaysConfirmEvictions: boolean; onReset?: (message: string) => void }): DonatedLimits {
  return {
    transfer: openTransferStore({ stateDir: options.stateDir, billingDay: options.billingDay, ...(options.onReset === undefined ? {} : { onReset: options.onReset }) }),
    guard: createEvictionGuard({ alwaysConfirmed: options.alwaysConfirmEvictions }),
    lastSummary: null,
  };
}

export interface EffectiveRates {
  upload: CappedRate;
  download: CappedRate;
  window: number | null;
  usage: TransferUsage;
}

/** Local weekday (0 = Monday) and minute, from the machine's clock zone. */
export function localTimeOf(nowMs: number): LocalTime {
  const d = new Date(nowMs);
  return { weekday: (d.getDay() + 6) % 7, minuteOfDay: d.getHours() * 60 + d.getMinutes() };
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

/** Before planning: count transfer, decide the rates, and say what the plan is held to. */
export function prepareLimits(
  donated: DonatedLimits,
  config: DonatedConfig,
  input: { torrents: readonly DaemonTorrent[]; owned: ReadonlySet<InfoHash>; nowMs: number; dryRun: boolean },
): { planLimits: PlanLimits; rates: EffectiveRates } {
  const usage = input.dryRun ? donated.transfer.usage(input.nowMs) : donated.transfer.observe(input.torrents, input.owned, input.nowMs);
  const rates = effectiveRates(config, usage, input.nowMs, localTimeOf(input.nowMs));
  const budget = config.dailyDownloadBudgetBytes;
  const downCap = config.monthly?.downloadCapBytes ?? null;
  return {
    rates,
    planLimits: {
      addBudgetBytes: budget === null ? null : Math.max(0, budget - usage.addedTodayBytes),
      addsStopped: rates.download.state === 'stopped' && downCap !== null
        ? `the monthly download cap (${formatBytes(downCap)}) is reached; nothing is added until the period ends on ${new Date(usage.periodEndMs).toISOString().slice(0, 10)}`
        : null,
      maxEvictFraction: config.maxEvictFraction,
      evictionConfirmed: donated.guard.isConfirmed(),
    },
  };
}

/** After planning: announce what the limits held back. */
export function reportLimits(bus: EventBus, donated: DonatedLimits, limited: LimitedPlan, nowMs: number, removesApplied: number): void {
  donated.guard.settle(limited.pendingEviction, removesApplied > 0 && donated.guard.isConfirmed());
  if (limited.pendingEviction !== null) {
    const p = limited.pendingEviction;
    bus.emit({ type: 'eviction-held', atMs: nowMs, removes: p.removes, removeBytes: p.removeBytes, ownedBytes: p.ownedBytes, fraction: p.fraction, maxEvictFraction: p.maxEvictFraction });
  }
  if (limited.reserveBreached) {
    bus.emit({
      type: 'disk-reserve', atMs: nowMs, diskFreeBytes: limited.plan.capacity.diskFreeBytes ?? -1, minFreeBytes: limited.plan.capacity.minFreeBytes,
      evictions: limited.actions.filter((a) => a.kind === 'remove').length, pendingWriteBytes: limited.reserveBreach?.pendingWriteBytes ?? 0,
      detail: limited.reserveBreach === null ? '' : describeReserveBreach(limited.reserveBreach),
    });
  }
  const byCode = new Map<string, { count: number; bytes: number }>();
  for (const d of limited.deferred) {
    const c = byCode.get(d.code) ?? { count: 0, bytes: 0 };
    c.count += 1;
    c.bytes += d.sizeBytes;
    byCode.set(d.code, c);
  }
  for (const [code, c] of byCode) bus.emit({ type: 'adds-deferred', atMs: nowMs, code, count: c.count, bytes: c.bytes });
}

export interface AppliedBandwidth {
  /** Torrents whose limits were changed this tick. */
  changed: number;
  uploadBytesPerSec: number | null;
  downloadBytesPerSec: number | null;
}

/**
 * Applies the caps. `torrents` is this tick's poll (it may lack torrents added since: they
 * count as active); `needs` is the planner's need per info-hash.
 */
export async function applyBandwidth(
  deps: { daemon: DaemonPort; bus: EventBus },
  donated: DonatedLimits,
  config: DonatedConfig,
  input: { owned: ReadonlySet<InfoHash>; torrents: ReadonlyMap<InfoHash, DaemonTorrent>; needs: ReadonlyMap<InfoHash, number>; rates: EffectiveRates; nowMs: number },
): Promise<AppliedBandwidth> {
  const { daemon } = deps;
  const { rates } = input;
  const current = (await daemon.listTorrentLimits()).filter((e) => input.owned.has(e.infoHash));
  const desired = new Map<InfoHash, SpeedLimits>();
  const unlimited: SpeedLimits = { uploadBytesPerSec: null, downloadBytesPerSec: null, honorsSessionLimits: true };
  const groupName = config.groupName ?? 'smartnode';
  const groups = current.length > 0 && current.every((e) => e.group !== null);
  let changed = 0;

  if (config.scope === 'session') {
    const session = await daemon.readSessionLimits();
    if (donated.transfer.sessionLimitsBefore() === null) donated.transfer.setSessionLimitsBefore(session);
    const want: RateLimits = { uploadBytesPerSec: kbRound(rates.upload.bytesPerSec), downloadBytesPerSec: kbRound(rates.download.bytesPerSec) };
    if (!sameRates(session, want)) await daemon.setSessionLimits(want);
    for (const e of current) desired.set(e.infoHash, unlimited);
  } else {
    const before = donated.transfer.sessionLimitsBefore();
    if (before !== null) {
      await daemon.setSessionLimits(before);
      donated.transfer.setSessionLimitsBefore(null);
    }
  }
  if (groups) {
    // The group carries the cap (or none in session scope); torrents carry no limit of their own.
    const want: RateLimits = config.scope === 'session'
      ? { uploadBytesPerSec: null, downloadBytesPerSec: null }
      : { uploadBytesPerSec: kbRound(rates.upload.bytesPerSec), downloadBytesPerSec: kbRound(rates.download.bytesPerSec) };
    const have = await daemon.readBandwidthGroup(groupName);
    if (have === null || !sameRates(have, want)) await daemon.setBandwidthGroup(groupName, want);
    const joining = current.filter((e) => e.group !== groupName).map((e) => e.infoHash);
    if (joining.length > 0) await daemon.setTorrentGroup(joining, groupName);
    changed += joining.length;
    for (const e of current) desired.set(e.infoHash, unlimited);
  } else if (config.scope === 'owned') {
    const claims = (active: (t: DaemonTorrent) => boolean): ShareClaim[] =>
      current.map((e) => {
        const t = input.torrents.get(e.infoHash);
        return { infoHash: e.infoHash, need: input.needs.get(e.infoHash) ?? 0, active: t === undefined || active(t) };
      });
    const up = shareByNeed(rates.upload.bytesPerSec, claims((t) => t.peersConnected > 0 || t.rateUploadBytesPerSec > 0));
    const down = shareByNeed(rates.download.bytesPerSec, claims((t) => t.leftUntilDoneBytes > 0 && t.status !== 'stopped'));
    for (const e of current) {
      desired.set(e.infoHash, { uploadBytesPerSec: up.get(e.infoHash) ?? null, downloadBytesPerSec: down.get(e.infoHash) ?? null, honorsSessionLimits: true });
    }
  }

  const sameLimitSets = new Map<string, { limits: SpeedLimits; hashes: InfoHash[] }>();
  for (const e of current) {
    const want = desired.get(e.infoHash);
    if (want === undefined || sameLimits(e, want)) continue;
    const key = `${want.uploadBytesPerSec}/${want.downloadBytesPerSec}/${want.honorsSessionLimits}`;
    const g = sameLimitSets.get(key) ?? { limits: want, hashes: [] };
    g.hashes.push(e.infoHash);
    sameLimitSets.set(key, g);
  }
  for (const g of sameLimitSets.values()) {
    await daemon.setTorrentLimits(g.hashes, g.limits);
    changed += g.hashes.length;
  }

  const applied = { changed, uploadBytesPerSec: rates.upload.bytesPerSec, downloadBytesPerSec: rates.download.bytesPerSec };
  const summary = JSON.stringify([config.scope, kbRound(applied.uploadBytesPerSec), kbRound(applied.downloadBytesPerSec), rates.upload.state, rates.download.state, rates.window]);
  if (summary !== donated.lastSummary || changed > 0) {
    donated.lastSummary = summary;
    deps.bus.emit({
      type: 'bandwidth', atMs: input.nowMs, scope: config.scope, owned: current.length, changed,
      uploadBytesPerSec: applied.uploadBytesPerSec, downloadBytesPerSec: applied.downloadBytesPerSec,
      uploadState: rates.upload.state, downloadState: rates.download.state, window: rates.window,
      periodUploadedBytes: rates.usage.uploadedBytes, periodDownloadedBytes: rates.usage.downloadedBytes,
    });
  }
  return applied;
}

/**
 * After the actions: report what the limits held back and apply the caps to the owned
 * torrents (those added this tick included). A cap that cannot be applied is a warning, not a
 * failed tick, unless the daemon is gone.
 */
export async function finishLimits(
  deps: { daemon: DaemonPort; bus: EventBus; ownedNow: () => ReadonlySet<InfoHash> },
  donated: DonatedLimits,
  config: DonatedConfig,
  input: { limited: LimitedPlan; rates: EffectiveRates; torrents: ReadonlyMap<InfoHash, DaemonTorrent>; nowMs: number; removesApplied: number; dryRun: boolean },
): Promise<void> {
  reportLimits(deps.bus, donated, input.limited, input.nowMs, input.removesApplied);
  if (input.dryRun) return;
  const needs = new Map(input.limited.plan.decisions.map((d) => [d.infoHash, d.need]));
  try {
    await applyBandwidth(deps, donated, config, { owned: deps.ownedNow(), torrents: input.torrents, needs, rates: input.rates, nowMs: input.nowMs });
  } catch (error) {
    if (error instanceof SmartnodeError && error.code === 'DAEMON_UNREACHABLE') throw error;
    deps.bus.emit({ type: 'limits-warning', atMs: input.nowMs, message: `could not apply bandwidth caps: ${error instanceof Error ? error.message : String(error)}` });
  }
}

/** What the daemon stores: whole kB/s (toKBps), or null. */
function kbRound(bytesPerSec: number | null): number | null {
  if (bytesPerSec === null) return null;
  return bytesPerSec > 0 ? Math.max(1, Math.floor(bytesPerSec / 1000)) * 1000 : 0;
}

function sameRates(a: RateLimits, b: RateLimits): boolean {
  return kbRound(a.uploadBytesPerSec) === kbRound(b.uploadBytesPerSec) && kbRound(a.downloadBytesPerSec) === kbRound(b.downloadBytesPerSec);
}

function sameLimits(a: SpeedLimits, b: SpeedLimits): boolean {
  return sameRates(a, b) && a.honorsSessionLimits === b.honorsSessionLimits;
}
