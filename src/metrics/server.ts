/**
 * The `/metrics` listener: GET /metrics answers the exposition text; anything else is 404.
 * With an Authorization value configured (bearer token or basic auth), a request without
 * exactly that value gets 401 and no data. The expected value is compared in constant time and
 * never appears in an answer or an error.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SmartnodeError } from '../shared/index.js';
import type { MetricsExporter } from './exporter.js';

export interface MetricsServerOptions {
  exporter: Pick<MetricsExporter, 'render' | 'contentType'>;
  address: string;
  port: number;
  /** The whole Authorization header a scrape must send (`Bearer ...`, `Basic ...`); null: open. */
  authorization: string | null;
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

function isAuthorized(request: IncomingMessage, expected: string | null): boolean {
  if (expected === null) return true;
  const given = request.headers.authorization;
  return given !== undefined && timingSafeEqual(digest(given), digest(expected));
}

export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
      return;
    }
    if (!isAuthorized(request, options.authorization)) {
      const scheme = options.authorization?.startsWith('Basic ') ? 'Basic realm="smartnode"' : 'Bearer';
      response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': scheme }).end('unauthorized\n');
      return;
    }
    options.exporter.render().then(
      (text) => response.writeHead(200, { 'content-type': options.exporter.contentType }).end(request.method === 'HEAD' ? '' : text),
      () => response.writeHead(500, { 'content-type': 'text/plain' }).end('metrics could not be rendered\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        new SmartnodeError(
          'METRICS_LISTEN',
          `metrics listener cannot bind ${options.address}:${options.port}: ${error.code ?? error.message}`,
          {
            hint: 'choose another metrics.port (or metrics.address) in the policy, or stop what holds it',
            cause: error,
          },
        ),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.address, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${host}:${bound.port}/metrics`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
