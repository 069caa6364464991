/**
 * Donated limits in the tick, the IO half: transfer accounting and the eviction guard live
 * here, and the bandwidth limits the tick planned (bandwidth-plan.ts) are applied here.
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
import type { DaemonPort, SpeedLimits } from '../daemon/index.js';
import type { LocalTime } from '../plan/index.js';
import { describeReserveBreach, type LimitedPlan } from '../plan/index.js';
import type { InfoHash } from '../shared/index.js';
import { sameLimits, sameRates } from './bandwidth-plan.js';
import type { EventBus } from './events.js';
import { createEvictionGuard, type EvictionGuard } from './eviction-guard.js';
import type { BandwidthPlan } from './bandwidth-plan.js';
import { openTransferStore, type TransferStore } from './transfer.js';

export interface DonatedLimits {
  transfer: TransferStore;
  guard: EvictionGuard;
}

export function createDonatedLimits(options: {
  stateDir: string;
  billingDay: () => number;
  alwaysConfirmEvictions: boolean;
  onReset?: (message: string) => void;
}): DonatedLimits {
  return {
    transfer: openTransferStore({
      stateDir: options.stateDir,
      billingDay: options.billingDay,
      ...(options.onReset === undefined ? {} : { onReset: options.onReset }),
    }),
    guard: createEvictionGuard({ alwaysConfirmed: options.alwaysConfirmEvictions }),
  };
}

/** Local weekday (0 = Monday) and minute, from the machine's clock zone. */
export function localTimeOf(nowMs: number): LocalTime {
  const d = new Date(nowMs);
  return { weekday: (d.getDay() + 6) % 7, minuteOfDay: d.getHours() * 60 + d.getMinutes() };
}

/** After the actions: settle the eviction guard and announce what the limits held back. */
export function reportLimits(
  bus: EventBus,
  donated: DonatedLimits | undefined,
  limited: Pick<LimitedPlan, 'plan' | 'pendingEviction' | 'reserveBreached' | 'reserveBreach' | 'deferred' | 'actions'>,
  nowMs: number,
  removesApplied: number,
): void {
  donated?.guard.settle(limited.pendingEviction, removesApplied > 0 && donated.guard.isConfirmed(), limited.plan.capacity.minFreeBytes);
  if (limited.pendingEviction !== null) {
    const p = limited.pendingEviction;
    bus.emit({
      type: 'eviction-held',
      atMs: nowMs,
      removes: p.removes,
      removeBytes: p.removeBytes,
      ownedBytes: p.ownedBytes,
      fraction: p.fraction,
      maxEvictFraction: p.maxEvictFraction,
    });
  }
  if (limited.reserveBreached) {
    bus.emit({
      type: 'disk-reserve',
      atMs: nowMs,
      diskFreeBytes: limited.plan.capacity.diskFreeBytes ?? -1,
      minFreeBytes: limited.plan.capacity.minFreeBytes,
      evictions: limited.actions.filter((a) => a.kind === 'remove').length,
      pendingWriteBytes: limited.reserveBreach?.pendingWriteBytes ?? 0,
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
 * Applies the planned limits to the torrents owned now (`owned`, read after the actions):
 * reads what the daemon has and sets only what differs.
 */
export async function applyBandwidth(
  deps: { daemon: DaemonPort; bus: EventBus },
  donated: DonatedLimits,
  plan: BandwidthPlan,
  input: { owned: ReadonlySet<InfoHash>; nowMs: number },
): Promise<AppliedBandwidth> {
  const { daemon } = deps;
  const { rates } = plan;
  const current = (await daemon.listTorrentLimits()).filter((e) => input.owned.has(e.infoHash));

  if (plan.session !== null) {
    const session = await daemon.readSessionLimits();
    if (donated.transfer.sessionLimitsBefore() === null) donated.transfer.setSessionLimitsBefore(session);
    if (!sameRates(session, plan.session)) await daemon.setSessionLimits(plan.session);
  } else {
    const before = donated.transfer.sessionLimitsBefore();
    if (before !== null) {
      await daemon.setSessionLimits(before);
      donated.transfer.setSessionLimitsBefore(null);
    }
  }

  // 4.x (every owned torrent reports a group): one bandwidth group carries the whole cap, the
  // active torrents share it as they need; the torrents carry no limit of their own. 3.00
  // has no groups: the per-torrent limits the plan shared by need.
  const inGroup = plan.group !== null && current.length > 0 && current.every((e) => e.group !== null);
  let changed = 0;
  if (inGroup && plan.group !== null) {
    const { name, limits } = plan.group;
    const have = await daemon.readBandwidthGroup(name);
    if (have === null || !sameRates(have, limits)) await daemon.setBandwidthGroup(name, limits);
    const joining = current.filter((e) => e.group !== name).map((e) => e.infoHash);
    if (joining.length > 0) await daemon.setTorrentGroup(joining, name);
    changed += joining.length;
  }
  const unlimited: SpeedLimits = { uploadBytesPerSec: null, downloadBytesPerSec: null, honorsSessionLimits: true };
  const sameLimitSets = new Map<string, { limits: SpeedLimits; hashes: InfoHash[] }>();
  for (const e of current) {
    const want = inGroup ? unlimited : plan.perTorrent.get(e.infoHash);
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
  if (plan.announce || changed > 0) {
    deps.bus.emit({
      type: 'bandwidth',
      atMs: input.nowMs,
      scope: plan.scope,
      owned: current.length,
      changed,
      uploadBytesPerSec: applied.uploadBytesPerSec,
      downloadBytesPerSec: applied.downloadBytesPerSec,
      uploadState: rates.upload.state,
      downloadState: rates.download.state,
      window: rates.window,
      periodUploadedBytes: rates.usage.uploadedBytes,
      periodDownloadedBytes: rates.usage.downloadedBytes,
    });
  }
  return applied;
}
