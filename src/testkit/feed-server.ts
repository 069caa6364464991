/**
 * A real HTTP server that plays a feed site (Academic Torrents and friends) for tests and the
 * demo: static routes set by the test, .torrent files at /download/<infohash>.torrent, ETag /
 * Last-Modified conditional GETs answered with 304, and a log of every request's headers so a
 * test can assert cookies and validators were sent.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FeedRoute {
  body: string | Uint8Array;
  contentType: string;
  /** Default 200. */
  status?: number;
  headers?: Record<string, string>;
  /** Sent as ETag; a request with a matching If-None-Match gets 304. */
  etag?: string;
  /** Sent as Last-Modified; a request whose If-Modified-Since is not older gets 304. */
  lastModified?: Date;
  /** Hold the answer this long (to test client timeouts). */
  delayMs?: number;
  /**
   * Send the headers (with the whole body's length) and only this many bytes of the body, then
   * nothing while the connection stays open: a server that stalls mid-body.
   */
  stallAfterBytes?: number;
}

export interface FeedRequest {
  method: string;
  /** Path with query string, as requested. */
  path: string;
  headers: IncomingHttpHeaders;
  /** Status the server answered with. */
  status: number;
}

export interface FeedServer {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  /** Every request so far, oldest first. */
  readonly requests: FeedRequest[];
  setRoute(path: string, route: FeedRoute): void;
  removeRoute(path: string): void;
  /** Serves the metainfo at /download/<infohash>.torrent (Academic Torrents' layout); returns that URL. */
  setTorrent(infoHash: string, metainfo: Uint8Array): string;
  close(): Promise<void>;
}

export async function startFeedServer(options: { host: string; port?: number }): Promise<FeedServer> {
  const routes = new Map<string, FeedRoute>();
  const requests: FeedRequest[] = [];
  const pending = new Set<NodeJS.Timeout>();

  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const pathname = path.split('?')[0] ?? path;
    const route = routes.get(path) ?? routes.get(pathname);
    const status = route === undefined ? 404 : answerStatus(route, req);
    requests.push({ method: req.method ?? 'GET', path, headers: req.headers, status });
    const send = (): void => {
      if (route === undefined) {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`no route for ${pathname}\n`);
        return;
      }
      writeRoute(res, route, status, req.method === 'HEAD');
    };
    if (route?.delayMs === undefined) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      pending.delete(timer);
      if (!res.destroyed) send();
    }, route.delayMs);
    pending.add(timer);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;

  let closed: Promise<void> | undefined;
  return {
    url,
    requests,
    setRoute(path, route) {
      if (!path.startsWith('/')) throw new Error(`feed server route must start with "/", got ${JSON.stringify(path)}`);
      routes.set(path, route);
    },
    removeRoute(path) {
      routes.delete(path);
    },
    setTorrent(infoHash, metainfo) {
      const path = `/download/${infoHash.toLowerCase()}.torrent`;
      routes.set(path, { body: metainfo, contentType: 'application/x-bittorrent' });
      return `${url}${path}`;
    },
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        for (const timer of pending) clearTimeout(timer);
        pending.clear();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function answerStatus(route: FeedRoute, req: IncomingMessage): number {
  const status = route.status ?? 200;
  if (status !== 200) return status;
  const ifNoneMatch = req.headers['if-none-match'];
  if (route.etag !== undefined && ifNoneMatch !== undefined) {
    const tags = ifNoneMatch.split(',').map((t) => t.trim());
    return tags.includes(route.etag) || tags.includes('*') ? 304 : 200;
  }
  const ifModifiedSince = req.headers['if-modified-since'];
  if (route.lastModified !== undefined && ifModifiedSince !== undefined) {
    const since = Date.parse(ifModifiedSince);
    // HTTP dates have whole seconds.
    if (!Number.isNaN(since) && Math.floor(route.lastModified.getTime() / 1000) * 1000 <= since) return 304;
  }
  return 200;
}

function writeRoute(res: ServerResponse, route: FeedRoute, status: number, isHead: boolean): void {
  const headers: Record<string, string> = { ...route.headers };
  if (route.etag !== undefined) headers['etag'] = route.etag;
  if (route.lastModified !== undefined) headers['last-modified'] = route.lastModified.toUTCString();
  if (status === 304) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const body = typeof route.body === 'string' ? Buffer.from(route.body, 'utf8') : Buffer.from(route.body);
  headers['content-type'] = route.contentType;
  headers['content-length'] = String(body.length);
  res.writeHead(status, headers);
  if (route.stallAfterBytes !== undefined && !isHead) {
    res.write(body.subarray(0, Math.min(body.length, route.stallAfterBytes)));
    return;
  }
  res.end(isHead ? undefined : body);
}
