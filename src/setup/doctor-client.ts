/**
 * doctor's look at the client on this machine: which program listens on daemon.url's port
 * (a policy naming Transmission in front of a qbittorrent-nox fails every call with a puzzling
 * protocol error), and for qbittorrent-nox what its own qBittorrent.conf says that smartnode
 * cares about (WebUI on, a password required from this machine, one stored).
 */
import { readFile } from 'node:fs/promises';
import type { DaemonClient } from '../daemon/index.js';
import { findRunningClient } from './detect-client.js';
import { adviseQbittorrentSettings, parseQbittorrentSettings } from './qbittorrent-settings.js';

export interface ClientCheck {
  readonly id: string;
  readonly title: string;
  readonly status: 'passed' | 'failed' | 'skipped';
  readonly detail: string;
  readonly fix?: string;
}

/** The unit Debian's package runs the client as (qbittorrent-nox runs per user: qbittorrent-nox@USER). */
export function serviceOf(client: DaemonClient, userName?: string): string {
  return client === 'qbittorrent' ? `qbittorrent-nox@${userName ?? '<user>'}` : 'transmission-daemon';
}

/** The program each client runs as. */
export const CLIENT_PROGRAMS: Record<DaemonClient, string> = { transmission: 'transmission-daemon', qbittorrent: 'qbittorrent-nox' };

export async function checkClientOnPort(client: DaemonClient, port: number): Promise<ClientCheck[]> {
  const id = 'daemon-client';
  const title = 'the client on the port is the one the policy names';
  const running = await findRunningClient(port);
  if (running === undefined) {
    return [
      {
        id,
        title,
        status: 'skipped',
        detail: `cannot tell which program listens on port ${port} (run doctor as root or as the client's user)`,
      },
    ];
  }
  const who = `${CLIENT_PROGRAMS[running.client]} (pid ${running.process.pid}, user ${running.process.userName ?? running.process.uid})`;
  if (running.client !== client) {
    return [
      {
        id,
        title,
        status: 'failed',
        detail: `${who} listens on port ${port}, but the policy names ${CLIENT_PROGRAMS[client]}`,
        fix:
          running.client === 'qbittorrent'
            ? 'set daemon.client: qbittorrent and daemon.url to its WebUI (e.g. http://127.0.0.1:8080), or run `smartnode init` again'
            : 'set daemon.client: transmission and daemon.url to its RPC (e.g. http://127.0.0.1:9091/transmission/rpc), or run `smartnode init` again',
      },
    ];
  }
  const results: ClientCheck[] = [{ id, title, status: 'passed', detail: `${who} listens on port ${port}` }];
  if (running.client === 'qbittorrent' && running.configPath !== undefined) {
    const text = await readFile(running.configPath, 'utf8').catch(() => undefined);
    const settingsTitle = "qBittorrent's WebUI settings suit smartnode";
    if (text === undefined) {
      results.push({ id: 'daemon-settings', title: settingsTitle, status: 'skipped', detail: `cannot read ${running.configPath}` });
    } else {
      const settings = parseQbittorrentSettings(text);
      const advice = adviseQbittorrentSettings(settings, running.configPath, serviceOf('qbittorrent', running.process.userName));
      results.push(
        advice.length === 0
          ? {
              id: 'daemon-settings',
              title: settingsTitle,
              status: 'passed',
              detail:
                `${running.configPath}: WebUI on port ${settings.rpcPort}, password required as ${settings.username ?? '?'}, ` +
                `save path ${settings.downloadDir ?? 'unset'}`,
            }
          : {
              id: 'daemon-settings',
              title: settingsTitle,
              status: 'failed',
              detail: `${running.configPath}: ${advice.map((a) => a.problem).join('; ')}`,
              fix: advice.flatMap((a) => a.steps).join('; '),
            },
      );
    }
  }
  return results;
}
