/**
 * Downloads the daemon stopped because the disk was full start again once space is back.
 * Transmission stops a torrent whose write fails with ENOSPC (error 3, a local error, with the
 * errno text) and never retries it. The planner's reserve already counts such a torrent's
 * missing bytes as still to be written, so when the reserve holds this tick (free space less
 * every pending write, these included, is at least minFreeBytes) there is room for it again.
 * Only owned torrents, only that error, only ones the plan keeps; at most once a tick, so a disk
 * that fills again stops them again, breaches the reserve and the planner evicts instead.
 */
import type { DaemonTorrent } from '../daemon/index.js';
import type { InfoHash } from '../shared/index.js';
import type { AgentDeps } from './config.js';
import type { TickPlan } from './tick-types.js';

/** Transmission's TR_STAT_LOCAL_ERROR: a local error (disk full, permissions, missing files). */
const LOCAL_ERROR = 3;

/** Whether the daemon stopped this torrent because its filesystem was full. */
export function isStoppedForSpace(t: DaemonTorrent): boolean {
  return t.status === 'stopped' && t.error === LOCAL_ERROR && /no space left/i.test(t.errorString);
}

/** The owned torrents stopped for space that may start now, by info-hash order. */
export function diskFullRestarts(torrents: readonly DaemonTorrent[], owned: ReadonlySet<InfoHash>, tickPlan: TickPlan): DaemonTorrent[] {
  if (tickPlan.reserveBreached || tickPlan.plan.capacity.diskFreeBytes === null) return [];
  const desired = new Set(tickPlan.plan.desired);
  return torrents
    .filter((t) => owned.has(t.infoHash) && desired.has(t.infoHash) && isStoppedForSpace(t))
    .sort((a, b) => (a.infoHash < b.infoHash ? -1 : 1));
}

/** Starts them and says so; a daemon that went away ends the step (the loop retries). */
export async function applyDiskFullRestarts(
  deps: Pick<AgentDeps, 'daemon' | 'bus' | 'clock'>,
  torrents: readonly DaemonTorrent[],
  owned: ReadonlySet<InfoHash>,
  tickPlan: TickPlan,
): Promise<number> {
  const restarts = diskFullRestarts(torrents, owned, tickPlan);
  const { diskFreeBytes, pendingWriteBytes, minFreeBytes } = tickPlan.plan.capacity;
  for (const t of restarts) {
    await deps.daemon.startTorrent(t.infoHash);
    deps.bus.emit({
      type: 'disk-full-restart',
      atMs: deps.clock(),
      infoHash: t.infoHash,
      name: t.name,
      detail:
        `the daemon had stopped it ("${t.errorString}"); ${diskFreeBytes ?? 0} bytes free now, ` +
        `${pendingWriteBytes} still to be written by downloads there, reserve ${minFreeBytes}: started again`,
    });
  }
  return restarts.length;
}
