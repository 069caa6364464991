import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpReadError, SmartnodeError, type HttpTransport } from '../shared/index.js';
import { fetchFeed, fetchTorrentFile } from './fetch.js';

// Letters in both values: a number could turn up in a random port of the error's URL.
const COOKIE = 'uid=uidqz7;pass=s3cr3t-passkey-value';
const base = { timeoutMs: 2000, maxBytes: 1_000_000, userAgent: 'smartnode-test' };

interface TestServer {
  url: string;
  requests: IncomingMessage[];
  close(): Promise<void>;
}
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<TestServer> {
  const requests: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    requests.push(req);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const handle: TestServer = {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(handle);
  return handle;
}

async function failure(promise: Promise<unknown>): Promise<SmartnodeError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmartnodeError);
  return error as SmartnodeError;
}

function expectNoCookie(error: SmartnodeError): void {
  const everything = `${error.message} ${error.hint ?? ''} ${JSON.stringify(error.toJSON())} ${inspect(error, { depth: 10 })}`;
  expect(everything).not.toContain('s3cr3t');
  expect(everything).not.toContain('uidqz7');
}

describe('fetchFeed', () => {
  it('does an ETag round trip: 200 with a validator, then 304 when unchanged', async () => {
    const server = await serve((req, res) => {
      if (req.headers['if-none-match'] === '"v1"') {
        res.writeHead(304).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8', etag: '"v1"' }).end('<rss>é</rss>');
    });
    const first = await fetchFeed(`${server.url}/rss.xml`, base);
    expect(first).toEqual({
      status: 'fresh',
      text: '<rss>é</rss>',
      etag: '"v1"',
      lastModified: null,
      contentType: 'application/rss+xml; charset=utf-8',
    });
    const second = await fetchFeed(`${server.url}/rss.xml`, { ...base, etag: '"v1"' });
    expect(second).toEqual({ status: 'not-modified' });
    expect(server.requests[1]?.headers['if-none-match']).toBe('"v1"');
    expect(server.requests[0]?.headers['user-agent']).toBe('smartnode-test');
  });

  it('sends If-Modified-Since from a stored Last-Modified', async () => {
    const stamp = 'Wed, 06 Mar 2024 09:15:00 GMT';
    const server = await serve((req, res) => {
      if (req.headers['if-modified-since'] === stamp) res.writeHead(304).end();
      else res.writeHead(200, { 'last-modified': stamp }).end('x');
    });
    const first = await fetchFeed(server.url, base);
    expect(first.status === 'fresh' && first.lastModified).toBe(stamp);
    expect(await fetchFeed(server.url, { ...base, lastModified: stamp })).toEqual({ status: 'not-modified' });
  });

  it('gives up after the timeout when the server never answers', async () => {
    const server = await serve(() => undefined);
    const started = Date.now();
    const error = await failure(fetchFeed(`${server.url}/slow`, { ...base, timeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(error.code).toBe('FEED_FETCH');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/no complete answer within 300 ms/);
  });

  it('times out a body that stalls after the headers', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.write('<rss>');
    });
    const error = await failure(fetchFeed(server.url, { ...base, timeoutMs: 300 }));
    expect(error.message).toMatch(/within 300 ms/);
  });

  for (const encoding of ['identity', 'gzip', 'deflate', 'br'] as const) {
    it(`times out a feed that stalls mid-body, ${encoding}, near the deadline`, async () => {
      const whole = Buffer.from(`<rss><channel>${'<item><title>x</title></item>'.repeat(20_000)}</channel></rss>`);
      const encoded =
        encoding === 'gzip'
          ? gzipSync(whole)
          : encoding === 'deflate'
            ? deflateSync(whole)
            : encoding === 'br'
              ? brotliCompressSync(whole)
              : whole;
      const server = await serve((_req, res) => {
        res.writeHead(200, encoding === 'identity' ? {} : { 'content-encoding': encoding });
        res.write(encoded.subarray(0, Math.floor(encoded.length / 2)));
      });
      const started = Date.now();
      const error = await failure(fetchFeed(server.url, { ...base, timeoutMs: 400 }));
      expect(error.message).toMatch(/within 400 ms/);
      expect(Date.now() - started).toBeLessThan(2400);
    });
  }

  it('after a few invalid gzip answers, the next feed that stalls still times out', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip' });
      if (req.url === '/bad') res.end('not gzip');
      else res.write(gzipSync(Buffer.alloc(100_000, 0x61)).subarray(0, 40));
    });
    for (let i = 0; i < 4; i++) expect((await failure(fetchFeed(`${server.url}/bad`, base))).message).toMatch(/corrupt or cut short/);
    const started = Date.now();
    const error = await failure(fetchFeed(`${server.url}/stall`, { ...base, timeoutMs: 400 }));
    expect(error.message).toMatch(/within 400 ms/);
    expect(Date.now() - started).toBeLessThan(2400);
  });

  it('refuses a gzip feed cut short instead of reading it as a shorter feed', async () => {
    const whole = gzipSync(Buffer.from(`<rss><channel>${'<item><title>x</title></item>'.repeat(2000)}</channel></rss>`));
    const cut = whole.subarray(0, whole.length - 30);
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(cut.length) });
      res.end(cut);
    });
    const error = await failure(fetchFeed(server.url, base));
    expect(error.code).toBe('FEED_FETCH');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/gzip body is corrupt or cut short/);
  });

  it('refuses a body over the cap when content-length says so, before reading it', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-length': '5000' }).end('y'.repeat(5000));
    });
    const error = await failure(fetchFeed(server.url, { ...base, maxBytes: 1000 }));
    expect(error.code).toBe('FEED_TOO_LARGE');
    expect(error.message).toMatch(/larger than the cap of 1000 bytes \(it declares 5000 bytes\)/);
  });

  it('stops a chunked body at the cap while streaming', async () => {
    let written = 0;
    const server = await serve((_req, res) => {
      res.writeHead(200); // no content-length: chunked
      const timer = setInterval(() => {
        written += 1000;
        if (!res.write('z'.repeat(1000)) && written > 1_000_000) clearInterval(timer);
      }, 1);
      res.on('close', () => clearInterval(timer));
    });
    const error = await failure(fetchFeed(server.url, { ...base, maxBytes: 10_000 }));
    expect(error.code).toBe('FEED_TOO_LARGE');
    expect(error.message).toMatch(/more than 10000 bytes arrived/);
  });

  it('refuses non-http URLs without any request', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://127.0.0.1/x', 'not a url']) {
      const error = await failure(fetchFeed(url, base));
      expect(error.code).toBe('FEED_UNSUPPORTED');
    }
  });

  it('reports 500 as retryable and 404 as not, with the status and a redacted URL', async () => {
    const server = await serve((req, res) => res.writeHead(req.url?.startsWith('/gone') === true ? 404 : 500).end('oops'));
    const five = await failure(fetchFeed(`${server.url}/feed?passkey=abc123`, base));
    expect(five.code).toBe('FEED_FETCH');
    expect(five.retryable).toBe(true);
    expect(five.details).toMatchObject({ status: 500 });
    expect(five.message).toBe(`GET ${server.url}/feed?passkey=*** : HTTP 500`.replace(' :', ':'));
    const four = await failure(fetchFeed(`${server.url}/gone`, base));
    expect(four.retryable).toBe(false);
    expect(four.hint).toMatch(/does not exist/);
  });

  it('reports a refused connection as a retryable network error', async () => {
    const server = await serve(() => undefined);
    const url = server.url;
    await server.close();
    servers.length = 0;
    const error = await failure(fetchFeed(url, base));
    expect(error.code).toBe('FEED_FETCH');
    expect(error.retryable).toBe(true);
    expect(error.message).toMatch(/network error: ECONNREFUSED/);
  });

  it('sends the cookie but never puts it in an error', async () => {
    const server = await serve((_req, res) => res.writeHead(403).end(`denied for ${COOKIE}`));
    const error = await failure(fetchFeed(`${server.url}/collection/x.csv`, { ...base, cookie: COOKIE }));
    expect(server.requests[0]?.headers.cookie).toBe(COOKIE);
    expect(error.hint).toMatch(/cookie/);
    expectNoCookie(error);
    const timeout = await failure(fetchFeed(`${(await serve(() => undefined)).url}/`, { ...base, cookie: COOKIE, timeoutMs: 200 }));
    expectNoCookie(timeout);
  });

  it('follows redirects on the same origin with the cookie, drops it across origins, and bounds loops', async () => {
    const other = await serve((_req, res) => res.writeHead(200).end('other'));
    const server = await serve((req, res) => {
      if (req.url === '/a') res.writeHead(302, { location: '/b' }).end();
      else if (req.url === '/b') res.writeHead(200).end('b');
      else if (req.url === '/away') res.writeHead(301, { location: `${other.url}/x` }).end();
      else if (req.url === '/file') res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      else res.writeHead(302, { location: '/loop' }).end();
    });
    const b = await fetchFeed(`${server.url}/a`, { ...base, cookie: COOKIE });
    expect(b.status === 'fresh' && b.text).toBe('b');
    expect(server.requests[1]?.headers.cookie).toBe(COOKIE);
    await fetchFeed(`${server.url}/away`, { ...base, cookie: COOKIE });
    expect(other.requests[0]?.headers.cookie).toBeUndefined();
    expect((await failure(fetchFeed(`${server.url}/file`, base))).code).toBe('FEED_UNSUPPORTED');
    expect((await failure(fetchFeed(`${server.url}/loop`, base))).message).toMatch(/more than 5 redirects/);
  });

  it('decodes with the charset of the content type or the XML declaration', async () => {
    const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><rss>caf\xe9</rss>', 'latin1');
    const server = await serve((_req, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(latin1));
    const answer = await fetchFeed(server.url, base);
    expect(answer.status === 'fresh' && answer.text).toContain('café');
  });
});

describe('fetchTorrentFile', () => {
  it('returns the bytes, and fails with TORRENT_FETCH for status, size and scheme problems', async () => {
    const bytes = new Uint8Array([100, 101, 0, 255]);
    const server = await serve((req, res) => {
      if (req.url === '/big') res.writeHead(200).end(Buffer.alloc(3000));
      else if (req.url === '/ok') res.writeHead(200, { 'content-type': 'application/x-bittorrent' }).end(bytes);
      else res.writeHead(503).end();
    });
    expect(await fetchTorrentFile(`${server.url}/ok`, { ...base, cookie: COOKIE })).toEqual(bytes);
    expect(server.requests[0]?.headers.cookie).toBe(COOKIE);
    const big = await failure(fetchTorrentFile(`${server.url}/big`, { ...base, maxBytes: 1000 }));
    expect(big.code).toBe('TORRENT_FETCH');
    expect(big.message).toMatch(/\.torrent is larger than the cap/);
    const down = await failure(fetchTorrentFile(`${server.url}/x`, { ...base, cookie: COOKIE }));
    expect(down).toMatchObject({ code: 'TORRENT_FETCH', retryable: true });
    expectNoCookie(down);
    expect((await failure(fetchTorrentFile('magnet:?xt=urn:btih:abc', base))).code).toBe('TORRENT_FETCH');
  });

  it('sends the cookie only over https or to this machine, never in clear over a network', async () => {
    // The transport records what would be sent and answers nothing: no request leaves the test.
    const sent: { url: string; cookie: string | undefined }[] = [];
    const transport: HttpTransport = async (url, options) => {
      sent.push({ url, cookie: options.headers?.cookie });
      throw new HttpReadError('network', 'recorded only');
    };
    for (const url of [
      'http://academictorrents.com/download/x.torrent',
      'https://academictorrents.com/download/x.torrent',
      'http://127.0.0.1:8080/download/x.torrent',
    ]) {
      await fetchTorrentFile(url, { ...base, cookie: COOKIE, transport }).catch(() => undefined);
    }
    expect(sent.map((s) => s.cookie)).toEqual([undefined, COOKIE, COOKIE]);
  });
});
