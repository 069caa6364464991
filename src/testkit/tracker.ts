/**
 * A real BitTorrent tracker for tests and the demo: npm bittorrent-tracker@10.0.12's Server,
 * HTTP (BEP 3/48) and optionally UDP (BEP 15), on port 0 of one given address.
 *
 * Filter: Transmission may send the "stopped" of a just-removed
 * torrent after the "started" of the same torrent re-added at once. A "stopped" from an IP
 * within `stopGraceMs` (3 s) of a "started" from that IP for the same torrent is refused via
 * the library's `filter` hook, so the peer is not forgotten (the client gets a failure reason
 * for its stop, which it ignores anyway).
 */
import dgram from 'node:dgram';
import type { AddressInfo } from 'node:net';
import type { EventEmitter } from 'node:events';
import type { Server as HttpServer } from 'node:http';

export interface TrackerOptions {
  /** Address to bind (127.0.0.1 in unit tests, a bridge address for namespaced daemons). */
  host: string;
  http?: boolean;
  udp?: boolean;
  /** Announce interval told to clients. Default 5000 ms so daemons re-announce quickly. */
  intervalMs?: number;
  /** Default 3000 ms. */
  stopGraceMs?: number;
  /** Clock for the stop filter; default Date.now. */
  now?: () => number;
}

export interface TrackerRequestCounts {
  httpAnnounce: number;
  httpScrape: number;
  udpConnect: number;
  udpAnnounce: number;
  udpScrape: number;
  /** "stopped" announces refused by the filter. */
  ignoredStops: number;
}

export interface RunningTracker {
  /** http://host:port/announce (udp://host:port when only UDP is on). */
  announceUrl: string;
  /** udp://host:port, when UDP is on. */
  udpAnnounceUrl?: string;
  /** http://host:port/scrape (the UDP URL when only UDP is on). */
  scrapeUrl: string;
  /** Requests received so far, by kind (proves batching in tests). */
  requestCounts(): TrackerRequestCounts;
  close(): Promise<void>;
  /** The bittorrent-tracker Server instance (untyped library: use with care). */
  server: TrackerServer;
}

/** The part of bittorrent-tracker's Server this harness uses. */
export interface TrackerServer extends EventEmitter {
  http: HttpServer | null;
  udp4: dgram.Socket | null;
  udp: dgram.Socket | null;
  listen(port: { http: number }, hostname: { http: string }): void;
  close(cb?: () => void): void;
  onUdpRequest(msg: Buffer, rinfo: dgram.RemoteInfo): void;
}

type TrackerServerCtor = new (opts: Record<string, unknown>) => TrackerServer;
type FilterCallback = (err?: Error | null) => void;

export async function startTracker(options: TrackerOptions): Promise<RunningTracker> {
  const wantHttp = options.http ?? true;
  const wantUdp = options.udp ?? false;
  if (!wantHttp && !wantUdp) throw new Error('startTracker: turn on http, udp or both');
  const now = options.now ?? Date.now;
  const stopGraceMs = options.stopGraceMs ?? 3000;
  const counts: TrackerRequestCounts = {
    httpAnnounce: 0,
    httpScrape: 0,
    udpConnect: 0,
    udpAnnounce: 0,
    udpScrape: 0,
    ignoredStops: 0,
  };
  const lastStartedAt = new Map<string, number>();

  const filter = (infoHash: string, params: Record<string, unknown>, cb: FilterCallback): void => {
    const key = `${infoHash}|${String(params.ip)}`;
    if (params.event === 'started') {
      lastStartedAt.set(key, now());
    } else if (params.event === 'stopped') {
      const startedAt = lastStartedAt.get(key);
      if (startedAt !== undefined && now() - startedAt < stopGraceMs) {
        counts.ignoredStops += 1;
        cb(new Error(`ignored a "stopped" within ${stopGraceMs} ms of a "started" from the same address`));
        return;
      }
    }
    cb(null);
  };

  const Server = await loadServerClass();
  const server = new Server({
    http: wantHttp,
    udp: false, // replaced below by one IPv4 socket on `host` (the library would also bind ::)
    ws: false,
    stats: false,
    interval: options.intervalMs ?? 5000,
    filter,
  });
  server.on('warning', () => undefined);

  server.on('error', () => undefined);
  let httpBase: string | undefined;
  const http = server.http;
  if (wantHttp) {
    if (http === null) throw new Error('startTracker: bittorrent-tracker created no HTTP server');
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      server.once('listening', () => {
        http.off('error', reject);
        resolve();
      });
      server.listen({ http: 0 }, { http: options.host });
    });
    http.on('request', (req: { url?: string }) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === '/announce') counts.httpAnnounce += 1;
      if (path === '/scrape') counts.httpScrape += 1;
    });
    httpBase = `http://${hostForUrl(options.host)}:${(http.address() as AddressInfo).port}`;
  }

  let udpAnnounceUrl: string | undefined;
  if (wantUdp) {
    const socket = dgram.createSocket(options.host.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, options.host, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => undefined);
    socket.on('message', (msg, rinfo) => {
      if (msg.length >= 16) {
        const action = msg.readUInt32BE(8);
        if (action === 0) counts.udpConnect += 1;
        if (action === 1) counts.udpAnnounce += 1;
        if (action === 2) counts.udpScrape += 1;
      }
      server.onUdpRequest(msg, rinfo);
    });
    // The server answers through `udp4`; close() closes it too.
    server.udp4 = socket;
    server.udp = socket;
    udpAnnounceUrl = `udp://${hostForUrl(options.host)}:${socket.address().port}`;
  }

  let closed: Promise<void> | null = null;
  // UDP trackers announce and scrape at the same address (BEP 15).
  const udpUrl = udpAnnounceUrl ?? '';
  return {
    announceUrl: httpBase === undefined ? udpUrl : `${httpBase}/announce`,
    ...(udpAnnounceUrl === undefined ? {} : { udpAnnounceUrl }),
    scrapeUrl: httpBase === undefined ? udpUrl : `${httpBase}/scrape`,
    requestCounts: () => ({ ...counts }),
    server,
    close() {
      closed ??= new Promise<void>((resolve) => {
        http?.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function loadServerClass(): Promise<TrackerServerCtor> {
  // 10.0.12's package.json exports only "." (so 'bittorrent-tracker/server' does not resolve
  // under Node's ESM rules); the server is its named export `Server`. The package ships no
  // types: check the export's shape at this boundary instead.
  const specifier: string = 'bittorrent-tracker';
  const mod: unknown = await import(specifier);
  const ctor = typeof mod === 'object' && mod !== null && 'Server' in mod ? mod.Server : undefined;
  if (typeof ctor !== 'function') {
    throw new Error('bittorrent-tracker has no Server export: is bittorrent-tracker@10.0.12 installed?');
  }
  return ctor as TrackerServerCtor;
}

export interface AnnounceOptions {
  /** 40 hex characters. */
  infoHash: string;
  /** Peers are told apart by address:port, so give each fake peer its own port. */
  port: number;
  /** 0 = a seeder, > 0 = a leecher. */
  left: number;
  event?: 'started' | 'stopped' | 'completed';
  /** 20 ASCII characters; derived from the port when absent. */
  peerId?: string;
}

/**
 * Sends one real HTTP announce (BEP 3) so the tracker learns a peer; returns the tracker's
 * raw bencoded reply. For tests: lets a test make a tracker know seeders and leechers
 * without running clients.
 */
export async function announcePeer(announceUrl: string, options: AnnounceOptions): Promise<Uint8Array> {
  const peerId = options.peerId ?? `-SN0001-${String(options.port).padStart(12, '0')}`;
  if (peerId.length !== 20) throw new Error(`announcePeer: peerId must be 20 characters, got ${peerId.length}`);
  if (!/^[0-9a-fA-F]{40}$/.test(options.infoHash)) throw new Error(`announcePeer: bad infoHash ${options.infoHash}`);
  const hashParam = options.infoHash.replace(/../g, (hex) => `%${hex}`);
  const query = [
    `info_hash=${hashParam}`,
    `peer_id=${encodeURIComponent(peerId)}`,
    `port=${options.port}`,
    'uploaded=0',
    'downloaded=0',
    `left=${options.left}`,
    'compact=1',
    `event=${options.event ?? 'started'}`,
  ].join('&');
  const separator = announceUrl.includes('?') ? '&' : '?';
  const response = await fetch(`${announceUrl}${separator}${query}`, { signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`announcePeer: tracker answered HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}
