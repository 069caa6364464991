import { describe, expect, it } from 'vitest';
import type { DaemonTorrent } from '../daemon/index.js';
import type { InfoHash } from '../shared/index.js';
import { diskFullRestarts } from './disk-full.js';
import type { TickPlan } from './tick-types.js';

const hash = (n: number) => String(n).repeat(40).slice(0, 40) as InfoHash;
const torrent = (n: number, extra: Partial<DaemonTorrent> = {}): DaemonTorrent =>
  ({ infoHash: hash(n), name: `t${n}`, status: 'stopped', error: 3, errorString: 'No space left on device', ...extra }) as DaemonTorrent;
const tickPlan = (reserveBreached: boolean, desired: number[], diskFreeBytes: number | null = 100): TickPlan =>
  ({
    reserveBreached,
    plan: { desired: desired.map(hash), capacity: { diskFreeBytes, pendingWriteBytes: 0, minFreeBytes: 0 } },
  }) as unknown as TickPlan;

describe('downloads stopped on a full disk', () => {
  const owned = new Set([1, 2, 3, 4, 5].map(hash));
  const torrents = [
    torrent(1),
    torrent(2, { errorString: 'Permission denied' }),
    torrent(3, { status: 'downloading', error: 0, errorString: '' }),
    torrent(4),
    torrent(6),
  ];

  it('start again when the reserve holds: only owned ones the plan keeps, stopped for space', () => {
    expect(diskFullRestarts(torrents, owned, tickPlan(false, [1, 2, 3, 6])).map((t) => t.name)).toEqual(['t1']);
  });

  it('stay stopped while the reserve is breached or free space is unknown', () => {
    expect(diskFullRestarts(torrents, owned, tickPlan(true, [1, 4]))).toEqual([]);
    expect(diskFullRestarts(torrents, owned, tickPlan(false, [1, 4], null))).toEqual([]);
  });
});
