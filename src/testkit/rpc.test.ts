import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rpcCall } from './rpc.js';
import { waitFor } from './swarm.js';

describe('rpcCall', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((done) => server?.close(done) ?? done(undefined));
  });

  /** A loopback server answering with `answer(requestNumber, sessionHeader)`. */
  async function serve(
    answer: (n: number, session: string | undefined) => [number, string, Record<string, string>?],
  ): Promise<{ url: string; bodies: string[] }> {
    const bodies: string[] = [];
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        bodies.push(body);
        const [status, text, headers] = answer(bodies.length, req.headers['x-transmission-session-id'] as string | undefined);
        res.writeHead(status, headers ?? {});
        res.end(text);
      });
    });
    await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/transmission/rpc`, bodies };
  }

  it('does the 409 session handshake once and returns the arguments', async () => {
    const { url, bodies } = await serve((_, session) =>
      session === 'abc'
        ? [200, JSON.stringify({ result: 'success', arguments: { version: '3.00' } })]
        : [409, '', { 'x-transmission-session-id': 'abc' }],
    );
    const target = { rpcUrl: url, username: 'u', password: 'p' };
    expect(await rpcCall(target, 'session-get')).toEqual({ version: '3.00' });
    expect(await rpcCall(target, 'session-get')).toEqual({ version: '3.00' });
    expect(bodies).toHaveLength(3); // one 409, then two answered calls on the cached id
    expect(JSON.parse(bodies[0] ?? '')).toEqual({ method: 'session-get', arguments: {} });
  });

  it('never retries 409 without bound, and reports RPC failures sent as HTTP 200', async () => {
    let n = 0;
    const { url, bodies } = await serve(() => {
      n += 1;
      return [409, '', { 'x-transmission-session-id': `s${n}` }];
    });
    await expect(rpcCall({ rpcUrl: url, username: 'u', password: 'p' }, 'torrent-get')).rejects.toThrow(/still 409/);
    expect(bodies).toHaveLength(2);
    await new Promise((done) => server?.close(done));
    const failing = await serve(() => [200, JSON.stringify({ result: 'invalid or corrupt torrent file' })]);
    await expect(rpcCall({ rpcUrl: failing.url, username: 'u', password: 'p' }, 'torrent-add')).rejects.toThrow(
      /torrent-add .* failed: invalid or corrupt torrent file/,
    );
  });

  it('refuses the methods that reach the internet', async () => {
    const target = { rpcUrl: 'http://127.0.0.1:9/transmission/rpc', username: 'u', password: 'p' };
    await expect(rpcCall(target, 'port-test')).rejects.toThrow(/never called/);
    await expect(rpcCall(target, 'blocklist-update')).rejects.toThrow(/never called/);
  });
});

describe('waitFor', () => {
  it('returns the first truthy value', async () => {
    let calls = 0;
    const value = await waitFor(() => (++calls >= 3 ? { calls } : false), { timeoutMs: 2000, intervalMs: 5, what: 'three calls' });
    expect(value).toEqual({ calls: 3 });
  });

  it('says what it waited for, how long and the last state when it times out', async () => {
    await expect(
      waitFor(() => undefined, { timeoutMs: 50, intervalMs: 10, what: 'torrent X to seed', progress: () => 'percentDone 0.5' }),
    ).rejects.toThrow(/timed out after \d+ ms waiting for torrent X to seed \(last state: percentDone 0\.5\)/);
  });

  it('stops at once when the check throws', async () => {
    const started = Date.now();
    await expect(
      waitFor(
        () => {
          throw new Error('torrent error: disk full');
        },
        { timeoutMs: 5000, what: 'never' },
      ),
    ).rejects.toThrow(/disk full/);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
