/**
 * One DaemonPort for the client the policy names (daemon.client): transmission-daemon over its
 * RPC, or qbittorrent-nox over its WebUI API v2. For qBittorrent, a secret without a username is
 * a WebUI API key (5.2+), sent as a bearer token; with one, it is the WebUI password.
 */
import type { DaemonPort } from './port.js';
import type { DaemonProtocolChoice } from './connection.js';
import { createQbittorrentDaemon } from './qbittorrent.js';
import { createTransmissionDaemon } from './transmission.js';

export type DaemonClient = 'transmission' | 'qbittorrent';

export interface DaemonClientOptions {
  client: DaemonClient;
  url: string;
  username?: string | undefined;
  password?: string | undefined;
  timeoutMs: number;
  protocol?: DaemonProtocolChoice;
  maxAnswerBytes?: number;
}

export function createDaemonClient(o: DaemonClientOptions): DaemonPort {
  const bounds = { url: o.url, timeoutMs: o.timeoutMs, ...(o.maxAnswerBytes === undefined ? {} : { maxAnswerBytes: o.maxAnswerBytes }) };
  if (o.client === 'qbittorrent') {
    if (o.username === undefined)
      return createQbittorrentDaemon({ ...bounds, ...(o.password === undefined ? {} : { apiKey: o.password }) });
    return createQbittorrentDaemon({ ...bounds, username: o.username, ...(o.password === undefined ? {} : { password: o.password }) });
  }
  return createTransmissionDaemon({
    ...bounds,
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(o.password === undefined ? {} : { password: o.password }),
    ...(o.protocol === undefined ? {} : { protocol: o.protocol }),
  });
}
