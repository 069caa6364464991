/**
 * The adapter's failure handling against real HTTP servers on 127.0.0.1 that misbehave the
 * ways a daemon, a proxy or a network can. The happy paths run in contract.test.ts.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SmartnodeError, toInfoHash, type ErrorCode } from '../shared/index.js';
import { findFreePort } from '../../test/helpers/daemon.js';
import { buildMetainfo } from './metainfo.js';
import { createTransmissionDaemon } from './transmission.js';
import { POLL_FIELDS } from './transmission-schema.js';

const PASSWORD = 'Sup3r-S3cret-pw';

interface Answer {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}
interface Seen {
  method: string;
  args: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** A scripted RPC server; `answer` returning 'hang' never answers. */
async function serve(answer: (seen: Seen) => Answer | 'hang'): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      let parsed: { method?: string; arguments?: Record<string, unknown> } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // a test server: leave it empty
      }
      const entry = { method: parsed.method ?? '', args: parsed.arguments ?? {}, headers: req.headers };
      seen.push(entry);
      const a = answer(entry);
      if (a === 'hang') return;
      res.writeHead(a.status ?? 200, { 'Content-Type': 'application/json', ...a.headers });
      res.end(a.body ?? '');
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/transmission/rpc`, seen };
}

const ok = (args: Record<string, unknown>): Answer => ({ body: JSON.stringify({ result: 'success', arguments: args }) });
const connect = (url: string, timeoutMs = 2000) => createTransmissionDaemon({ url, username: 'smartnode', password: PASSWORD, timeoutMs });

async function failure(promise: Promise<unknown>, code: ErrorCode): Promise<SmartnodeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmartnodeError);
  const smart = error as SmartnodeError;
  expect(smart.code, smart.message).toBe(code);
  expectNoSecret(smart);
  return smart;
}

/** The password, and the Basic header carrying it, appear nowhere in the error or its causes. */
function expectNoSecret(error: SmartnodeError): void {
  const basic = Buffer.from(`smartnode:${PASSWORD}`).toString('base64');
  let text = `${error.message} ${error.hint ?? ''} ${JSON.stringify(error.toJSON())}`;
  for (let c: unknown = error.cause; c instanceof Error; c = c.cause) text += ` ${c.message} ${c.stack ?? ''}`;
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(basic);
}

describe('transmission adapter: session handshake', () => {
  it('resends once with the 409 session id and reuses it afterwards', async () => {
    const server = await serve((s) =>
      s.headers['x-transmission-session-id'] === 'abc'
        ? ok({ version: '3.00 (test)', 'rpc-version': 16 })
        : { status: 409, headers: { 'X-Transmission-Session-Id': 'abc' } },
    );
    const port = connect(server.url);
    expect(await port.readVersion()).toEqual({ version: '3.00 (test)', rpcVersion: 16, rpcVersionSemver: null, protocol: 'legacy' });
    await port.readVersion();
    expect(server.seen.map((s) => s.headers['x-transmission-session-id'] ?? '-')).toEqual(['-', 'abc', 'abc']);
    expect(server.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`smartnode:${PASSWORD}`).toString('base64')}`);
  });

  it('asks for identity encoding on loopback unless told to compress', async () => {
    const server = await serve(() => ok({ version: '3.00', 'rpc-version': 16 }));
    await connect(server.url).readVersion();
    await createTransmissionDaemon({ url: server.url, timeoutMs: 2000, compress: true }).readVersion();
    expect(server.seen.map((s) => s.headers['accept-encoding'])).toEqual(['identity', 'gzip, deflate']);
  });

  it('gives up after one resend when the server keeps answering 409', async () => {
    let n = 0;
    const server = await serve(() => ({ status: 409, headers: { 'X-Transmission-Session-Id': `id-${++n}` } }));
    const port = connect(server.url);
    const error = await failure(port.listTorrents(), 'DAEMON_PROTOCOL');
    expect(error.message).toContain('409');
    expect(server.seen.length).toBe(2);
    await failure(port.removeTorrent(toInfoHash('ab'.repeat(20)), { deleteData: false }), 'DAEMON_PROTOCOL');
    expect(server.seen.length).toBe(4);
  });

  it('refuses a 409 without a session id at once', async () => {
    const server = await serve(() => ({ status: 409 }));
    await failure(connect(server.url).readVersion(), 'DAEMON_PROTOCOL');
    expect(server.seen.length).toBe(1);
  });
});

describe('transmission adapter: HTTP and RPC failures', () => {
  it('turns {"result": "<text>"} into DAEMON_RPC quoting the text', async () => {
    const server = await serve((s) =>
      s.method === 'session-get'
        ? ok({ version: '3.00', 'rpc-version': 16 })
        : { body: JSON.stringify({ result: 'some error', arguments: {} }) },
    );
    const error = await failure(connect(server.url).listTorrents(), 'DAEMON_RPC');
    expect(error.message).toContain('"some error"');
    expect(error.message).toContain('torrent-get');
  });

  it('turns an answer that is not JSON into DAEMON_PROTOCOL', async () => {
    const server = await serve(() => ({ body: '<html>not rpc{' }));
    const error = await failure(connect(server.url).readVersion(), 'DAEMON_PROTOCOL');
    expect(error.message).toContain('not JSON');
  });

  it('turns JSON without a result into DAEMON_PROTOCOL', async () => {
    const server = await serve(() => ({ body: '{"arguments":{}}' }));
    await failure(connect(server.url).readVersion(), 'DAEMON_PROTOCOL');
  });

  it('times out a server that never answers: DAEMON_UNREACHABLE, retryable, near the deadline', async () => {
    const server = await serve(() => 'hang');
    const started = Date.now();
    const error = await failure(connect(server.url, 300).readVersion(), 'DAEMON_UNREACHABLE');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('no answer within 300 ms');
    expect(error.message).toContain(server.url);
  });

  it('reports a refused connection with the URL, the cause and a hint', async () => {
    const url = `http://127.0.0.1:${await findFreePort()}/transmission/rpc`;
    const error = await failure(connect(url).listTorrents(), 'DAEMON_UNREACHABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain(url);
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.hint).toContain('rpc-port');
    expect(error.cause).toBeInstanceOf(Error);
  });

  it('maps 401, 403, 421 and 5xx to codes with hints', async () => {
    const statuses: Record<number, [ErrorCode, string]> = {
      401: ['DAEMON_AUTH', 'password'],
      403: ['DAEMON_FORBIDDEN', 'rpc-whitelist'],
      421: ['DAEMON_FORBIDDEN', 'rpc-host-whitelist'],
      502: ['DAEMON_PROTOCOL', 'RPC endpoint'],
    };
    for (const [status, [code, hint]] of Object.entries(statuses)) {
      const server = await serve(() => ({ status: Number(status), body: `<h1>${status}</h1>` }));
      const error = await failure(connect(server.url).readVersion(), code);
      expect(error.hint).toContain(hint);
      expect(error.retryable).toBe(status === '502');
    }
  });

  it('says the password is read once at start, so a fixed one needs a restart of smartnode', async () => {
    const server = await serve(() => ({ status: 401 }));
    const error = await failure(connect(server.url).readVersion(), 'DAEMON_AUTH');
    expect(error.hint).toMatch(/reads the password once, when it starts.*restart smartnode/s);
  });

  it('tells how to change the whitelist: stop, edit settings.json, start', async () => {
    const server = await serve(() => ({ status: 403 }));
    const error = await failure(connect(server.url).readVersion(), 'DAEMON_FORBIDDEN');
    expect(error.hint).toMatch(/stop the daemon.*settings\.json.*start/s);
  });

  it('takes credentials out of the URL and never shows them', async () => {
    const server = await serve(() => ({ status: 401 }));
    const withUserinfo = server.url.replace('http://', `http://smartnode:${PASSWORD}@`);
    const port = createTransmissionDaemon({ url: withUserinfo, timeoutMs: 2000 });
    await failure(port.readVersion(), 'DAEMON_AUTH');
    expect(server.seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from(`smartnode:${PASSWORD}`).toString('base64')}`);
  });
});

describe('transmission adapter: RPC arguments and answers', () => {
  it('names the path when free-space fails the way 3.00 does', async () => {
    const server = await serve((s) => ({
      body: JSON.stringify({ result: 'No such file or directory', arguments: { path: s.args['path'], 'size-bytes': -1 } }),
    }));
    const error = await failure(connect(server.url).readFreeSpace('/srv/missing'), 'DAEMON_RPC');
    expect(error.message).toContain('"/srv/missing"');
    expect(error.message).toContain('No such file or directory');
  });

  it('sends labels with torrent-add on rpc-version 17 and no torrent-set', async () => {
    const t = buildMetainfo({ name: 'x.bin', lengthBytes: 1000 });
    const server = await serve((s) =>
      s.method === 'session-get'
        ? ok({ version: '4.0.6', 'rpc-version': 17 })
        : ok({ 'torrent-added': { hashString: t.infoHash, id: 1, name: 'x.bin' } }),
    );
    const result = await connect(server.url).addTorrent({ metainfo: t.metainfo, downloadDir: '/srv/d', labels: ['smartnode'] });
    expect(result).toEqual({ infoHash: t.infoHash, name: 'x.bin', duplicate: false });
    const add = server.seen.find((s) => s.method === 'torrent-add');
    expect(add?.args).toMatchObject({ 'download-dir': '/srv/d', labels: ['smartnode'], paused: false });
    expect(Buffer.from(String(add?.args['metainfo']), 'base64').equals(Buffer.from(t.metainfo))).toBe(true);
    expect(server.seen.map((s) => s.method)).toEqual(['session-get', 'torrent-add']);
  });

  it('on 3.00 labels with torrent-set, and removes the torrent again (data kept) if that fails', async () => {
    const t = buildMetainfo({ name: 'y.bin', lengthBytes: 1000 });
    const server = await serve((s) => {
      if (s.method === 'session-get') return ok({ version: '3.00', 'rpc-version': 16 });
      if (s.method === 'torrent-add') return ok({ 'torrent-added': { hashString: t.infoHash, id: 1, name: 'y.bin' } });
      if (s.method === 'torrent-set') return { body: JSON.stringify({ result: 'labels cannot contain comma (,) character' }) };
      return ok({});
    });
    const error = await failure(
      connect(server.url).addTorrent({ metainfo: t.metainfo, downloadDir: '/srv/d', labels: ['a,b'] }),
      'DAEMON_RPC',
    );
    expect(error.details).toMatchObject({ infoHash: t.infoHash, rolledBack: true });
    expect(server.seen.map((s) => s.method)).toEqual(['session-get', 'torrent-add', 'torrent-set', 'torrent-remove']);
    expect(server.seen[1]?.args['labels']).toBeUndefined();
    expect(server.seen[3]?.args).toEqual({ ids: [t.infoHash], 'delete-local-data': false });
  });

  it('does not touch the labels of a duplicate', async () => {
    const t = buildMetainfo({ name: 'z.bin', lengthBytes: 1000 });
    const server = await serve((s) =>
      s.method === 'session-get'
        ? ok({ version: '3.00', 'rpc-version': 16 })
        : ok({ 'torrent-duplicate': { hashString: t.infoHash, id: 7, name: 'z.bin' } }),
    );
    const result = await connect(server.url).addTorrent({ metainfo: t.metainfo, downloadDir: '/srv/d', labels: ['smartnode'] });
    expect(result.duplicate).toBe(true);
    expect(server.seen.map((s) => s.method)).toEqual(['session-get', 'torrent-add']);
  });

  it('refuses a torrent-get table with a row it cannot read, naming the torrent', async () => {
    const server = await serve((s) =>
      s.method === 'session-get'
        ? ok({ version: '3.00', 'rpc-version': 16 })
        : ok({ torrents: [[...POLL_FIELDS], POLL_FIELDS.map((f) => (f === 'hashString' ? 'not-a-hash' : f === 'status' ? 4 : 0))] }),
    );
    const error = await failure(connect(server.url).listTorrents(), 'DAEMON_PROTOCOL');
    expect(error.message).toContain('not-a-hash');
  });

  it('names the asked-for fields the daemon left out, with its version, instead of a default', async () => {
    const fields = POLL_FIELDS.filter((f) => f !== 'labels' && f !== 'trackerStats');
    const server = await serve((s) =>
      s.method === 'session-get' ? ok({ version: '4.9.0 (test)', 'rpc-version': 20 }) : ok({ torrents: [fields, fields.map(() => 0)] }),
    );
    const error = await failure(connect(server.url).listTorrents(), 'DAEMON_PROTOCOL');
    expect(error.message).toContain('transmission-daemon 4.9.0 (test)');
    expect(error.message).toContain('did not return the fields "labels", "trackerStats"');
  });
});
