/** The agent's side of live progress (control/progress.ts): one light read of the daemon. */
import type { ProgressSample } from '../agent/index.js';
import type { ProgressReading } from '../control/index.js';
import type { DaemonPort } from '../daemon/index.js';
import type { InfoHash } from '../shared/index.js';

/** One light poll of the daemon (no tracker stats): the owned torrents' numbers and the total rates. */
export async function readOwnedProgress(
  daemon: Pick<DaemonPort, 'listTorrents'>,
  isOwned: (hash: InfoHash) => boolean,
): Promise<ProgressReading> {
  const torrents = await daemon.listTorrents({ trackerStats: false });
  let up = 0;
  let down = 0;
  const owned: ProgressSample[] = [];
  for (const t of torrents) {
    up += t.rateUploadBytesPerSec;
    down += t.rateDownloadBytesPerSec;
    if (!isOwned(t.infoHash)) continue;
    owned.push({
      infoHash: t.infoHash,
      percentDone: t.percentDone,
      status: t.status,
      rateUploadBytesPerSec: t.rateUploadBytesPerSec,
      rateDownloadBytesPerSec: t.rateDownloadBytesPerSec,
      uploadedEverBytes: t.uploadedEverBytes,
    });
  }
  return { torrents: owned, uploadRateBytesPerSec: up, downloadRateBytesPerSec: down };
}
