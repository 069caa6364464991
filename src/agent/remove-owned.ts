/**
 * Removing an owned torrent with its data, the one daemon write that both apply (a planned
 * removal, a finished interrupted one) and the integrity step (bad data) make. Agent state
 * records the intent ('removing') before the daemon call, so a crash between them converges.
 */
import { SmartnodeError, type InfoHash } from '../shared/index.js';
import type { AgentConfig, AgentDeps } from './config.js';
import { isInsideDir } from './ownership.js';

/** Deletes an owned torrent and its data; `dir` is where the daemon keeps the data now. */
export async function removeOwned(deps: AgentDeps, config: AgentConfig, infoHash: InfoHash, dir: string): Promise<void> {
  const record = deps.state.ownedRecord(infoHash);
  if (record === undefined) return;
  if (!isInsideDir(dir, config.downloadDir)) {
    throw new SmartnodeError('INTERNAL', `refusing to delete data of ${record.name}: ${dir} is outside ${config.downloadDir}`, {
      hint: "the torrent was moved outside smartnode's directory; remove it by hand if it should go",
    });
  }
  deps.state.putOwned({ ...record, phase: 'removing' });
  await deps.daemon.removeTorrent(infoHash, { deleteData: true });
  deps.state.deleteOwned(infoHash);
  if (deps.removeEmptyDir !== undefined && dir !== config.downloadDir) await deps.removeEmptyDir(dir).catch(() => undefined);
}
