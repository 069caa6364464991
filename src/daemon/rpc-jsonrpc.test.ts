/**
 * The JSON-RPC 2.0 dialect and the per-daemon choice of dialect, against scripted HTTP servers
 * on 127.0.0.1 that answer the way the recorded daemons do (shapes read from a real 4.1.4 and
 * 4.1.0-beta.2 on this machine). The real daemons run in contract.test.ts.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { hasRpcFeature, openConnection, SINCE_4_0, speaksJsonRpc } from './connection.js';
import { createRpcHttp } from './rpc-http.js';
import { createJsonRpc } from './rpc-jsonrpc.js';
import { renameKeys, toSnakeCase } from './rpc-methods.js';

interface Seen {
  body: Record<string, unknown>;
}
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A daemon that sends `header` (X-Transmission-Rpc-Version) with the 409 and every answer. */
async function serve(
  header: string | null,
  answer: (body: Record<string, unknown>) => { status?: number; body?: unknown },
): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      const extra: Record<string, string> = header === null ? {} : { 'X-Transmission-Rpc-Version': header };
      if (req.headers['x-transmission-session-id'] !== 'sid') {
        res.writeHead(409, { 'X-Transmission-Session-Id': 'sid', ...extra });
        res.end();
        return;
      }
      const body = JSON.parse(text) as Record<string, unknown>;
      seen.push({ body });
      const a = answer(body);
      res.writeHead(a.status ?? 200, { 'Content-Type': 'application/json', ...extra });
      res.end(a.body === undefined ? '' : JSON.stringify(a.body));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/transmission/rpc`, seen };
}

const legacySession = (version: string, rpc: number, semver: string) => (b: Record<string, unknown>) =>
  'jsonrpc' in b
    ? { body: { jsonrpc: '2.0', result: { version, rpc_version: rpc, rpc_version_semver: semver }, id: b['id'] } }
    : { body: { result: 'success', arguments: { version, 'rpc-version': rpc, 'rpc-version-semver': semver } } };

describe('names between the dialects', () => {
  it('maps old names to snake_case mechanically', () => {
    expect(
      ['torrent-get', 'hashString', 'download-dir', 'delete-local-data', 'rateToClient', 'rpc-version-semver', 'size-bytes'].map(
        toSnakeCase,
      ),
    ).toEqual(['torrent_get', 'hash_string', 'download_dir', 'delete_local_data', 'rate_to_client', 'rpc_version_semver', 'size_bytes']);
  });
  it('renames keys deeply and `fields` lists, never values', () => {
    expect(renameKeys({ ids: ['abcDef'], fields: ['hashString'], labels: ['feed:x-y'], 'download-dir': '/d' }, toSnakeCase, true)).toEqual({
      ids: ['abcDef'],
      fields: ['hash_string'],
      labels: ['feed:x-y'],
      download_dir: '/d',
    });
  });
});

describe('JSON-RPC 2.0 dialect', () => {
  it('sends jsonrpc, a snake_case method and params, an id, and renames the answer back', async () => {
    const server = await serve('6.0.1', (b) => ({
      body: {
        jsonrpc: '2.0',
        id: b['id'],
        result: {
          torrents: [
            ['hash_string', 'percent_done'],
            ['ab', 1],
          ],
        },
      },
    }));
    const call = createJsonRpc(createRpcHttp({ url: server.url, timeoutMs: 2000 }));
    const answer = await call('torrent-get', { format: 'table', fields: ['hashString', 'percentDone'] });
    expect(answer).toEqual({
      torrents: [
        ['hashString', 'percentDone'],
        ['ab', 1],
      ],
    });
    expect(server.seen[0]?.body).toEqual({
      jsonrpc: '2.0',
      method: 'torrent_get',
      params: { format: 'table', fields: ['hash_string', 'percent_done'] },
      id: 1,
    });
  });

  it("turns the error object into DAEMON_RPC with the daemon's error_string and code", async () => {
    const server = await serve('6.0.1', (b) => ({
      body: {
        jsonrpc: '2.0',
        id: b['id'],
        error: {
          code: 5,
          message: 'system error',
          data: { error_string: 'No such file or directory', result: { path: '/x', size_bytes: -1 } },
        },
      },
    }));
    const call = createJsonRpc(createRpcHttp({ url: server.url, timeoutMs: 2000 }));
    const error = await call('free-space', { path: '/x' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmartnodeError);
    expect((error as SmartnodeError).code).toBe('DAEMON_RPC');
    expect((error as SmartnodeError).message).toBe(
      'transmission-daemon refused free-space: "No such file or directory" (JSON-RPC error 5)',
    );
    expect((error as SmartnodeError).details?.['arguments']).toEqual({ path: '/x', 'size-bytes': -1 });
  });

  it('refuses an answer with another id, and one that is not JSON-RPC', async () => {
    const wrongId = await serve('6.0.1', () => ({ body: { jsonrpc: '2.0', id: 99, result: {} } }));
    const e1 = await createJsonRpc(createRpcHttp({ url: wrongId.url, timeoutMs: 2000 }))('session-stats', {}).catch((e: unknown) => e);
    expect((e1 as SmartnodeError).code).toBe('DAEMON_PROTOCOL');
    const old = await serve(null, () => ({ body: { result: 'no method name', arguments: 0 } }));
    const e2 = await createJsonRpc(createRpcHttp({ url: old.url, timeoutMs: 2000 }))('session-stats', {}).catch((e: unknown) => e);
    expect((e2 as SmartnodeError).message).toContain('without a JSON-RPC 2.0 result or error');
  });

  it('sends a notification without an id and takes the 204 with no body', async () => {
    const server = await serve('6.0.1', () => ({ status: 204 }));
    const call = createJsonRpc(createRpcHttp({ url: server.url, timeoutMs: 2000 }));
    await call.notify('session-set', { 'speed-limit-up': 5 });
    expect(server.seen[0]?.body).toEqual({ jsonrpc: '2.0', method: 'session_set', params: { speed_limit_up: 5 } });
  });
});

describe('the dialect, chosen per daemon', () => {
  it('reads the semver, never the integer', () => {
    expect([speaksJsonRpc('6.0.0'), speaksJsonRpc('6.0.1'), speaksJsonRpc('5.4.0'), speaksJsonRpc(null), speaksJsonRpc('junk')]).toEqual([
      true,
      true,
      false,
      false,
      false,
    ]);
  });

  it('decides 4.0 features (labels on add, bandwidth groups) by the semver, the integer only without one', () => {
    const has = (rpcVersion: number, rpcVersionSemver: string | null) => hasRpcFeature({ rpcVersion, rpcVersionSemver }, SINCE_4_0);
    // 3.00, 4.0, 4.1 beta, 4.1.x as they report themselves.
    expect([has(16, '5.2.0'), has(17, '5.3.0'), has(18, '5.4.0'), has(19, '6.0.1')]).toEqual([false, true, true, true]);
    // The semver wins over a misleading integer; a daemon with no semver (2.x) falls back to it.
    expect([has(99, '5.2.0'), has(1, '5.3.0'), has(15, null), has(17, 'junk')]).toEqual([false, true, false, true]);
  });

  it('4.1.x (the 409 says 6.0.1): JSON-RPC; 4.1.0-beta.2 (rpc-version 18, semver 5.4.0): the old protocol', async () => {
    const json = await serve('6.0.1', legacySession('4.1.4 (a6d907d9ea)', 19, '6.0.1'));
    const c1 = openConnection({ url: json.url, timeoutMs: 2000 }, 'auto');
    expect((await c1.ready()).version).toEqual({
      version: '4.1.4 (a6d907d9ea)',
      rpcVersion: 19,
      rpcVersionSemver: '6.0.1',
      protocol: 'json-rpc',
    });
    await (await c1.ready()).call('session-stats', {}).catch(() => undefined);
    expect(json.seen.map((s) => 'jsonrpc' in s.body)).toEqual([false, true]);

    const beta = await serve(null, legacySession('4.1.0-beta.2 (ac5c9e082d)', 18, '5.4.0'));
    expect((await openConnection({ url: beta.url, timeoutMs: 2000 }, 'auto').ready()).version.protocol).toBe('legacy');
  });

  it('a semver of 6 without the header (a proxy dropped it) is JSON-RPC too; the policy overrides either way', async () => {
    const noHeader = await serve(null, legacySession('4.1.0 (x)', 18, '6.0.0'));
    expect((await openConnection({ url: noHeader.url, timeoutMs: 2000 }, 'auto').ready()).version.protocol).toBe('json-rpc');
    expect((await openConnection({ url: noHeader.url, timeoutMs: 2000 }, 'legacy').ready()).version.protocol).toBe('legacy');
    const forced = await serve(null, legacySession('4.1.0 (x)', 18, '6.0.0'));
    await openConnection({ url: forced.url, timeoutMs: 2000 }, 'json-rpc').ready();
    expect(forced.seen.map((s) => 'jsonrpc' in s.body)).toEqual([true]);
  });

  it('a daemon that announces 6.x and refuses the old protocol is asked again in JSON-RPC', async () => {
    const server = await serve('7.0.0', (b) =>
      'jsonrpc' in b
        ? { body: { jsonrpc: '2.0', id: b['id'], result: { version: '5.0.0 (x)', rpc_version: 20, rpc_version_semver: '7.0.0' } } }
        : { body: { result: 'the old protocol is gone' } },
    );
    const found = await openConnection({ url: server.url, timeoutMs: 2000 }, 'auto').ready();
    expect(found.version).toMatchObject({ version: '5.0.0 (x)', protocol: 'json-rpc' });
  });
});
