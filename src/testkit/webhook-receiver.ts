/**
 * A real HTTP server that receives webhooks, for tests: it records every request (headers and
 * JSON body) and answers each with the next scripted status (200 once the script runs out), so a
 * test can make a receiver fail with 5xx and then accept.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  atMs: number;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** The status it was answered with. */
  status: number;
}

export interface WebhookReceiver {
  /** Base URL, http://127.0.0.1:PORT */
  readonly url: string;
  readonly received: readonly ReceivedWebhook[];
  /** Statuses to answer the next requests with, in order. */
  script(statuses: readonly number[]): void;
  /** Polls until `predicate` holds over what was received, or fails after `timeoutMs`. */
  waitFor(predicate: (received: readonly ReceivedWebhook[]) => boolean, timeoutMs: number, what: string): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: { host?: string } = {}): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const statuses: number[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // Kept as text: the test sees what was sent.
      }
      const status = statuses.shift() ?? 200;
      received.push({ atMs: Date.now(), path: request.url ?? '/', headers: request.headers, body, status });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'failed');
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    received,
    script(next) {
      statuses.push(...next);
    },
    async waitFor(predicate, timeoutMs, what) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(received)) {
        if (Date.now() > deadline) {
          throw new Error(
            `webhook receiver: ${what} did not happen within ${timeoutMs} ms; received ${JSON.stringify(received.map((r) => r.body))}`,
          );
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
