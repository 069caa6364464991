import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpReadError, httpRequest, httpRequestBytes } from './http.js';

type Encoding = 'identity' | 'gzip' | 'deflate' | 'br';
const ENCODINGS: Encoding[] = ['identity', 'gzip', 'deflate', 'br'];

function encode(encoding: Encoding, body: Buffer): Buffer {
  if (encoding === 'gzip') return zlib.gzipSync(body);
  if (encoding === 'deflate') return zlib.deflateSync(body);
  if (encoding === 'br') return zlib.brotliCompressSync(body);
  return body;
}

/** Incompressible text, so half the encoded bytes really is half the body. */
function noise(bytes: number): Buffer {
  let state = 12345;
  const out = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    out[i] = 0x61 + ((state >>> 16) % 26);
  }
  return out;
}

const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/small': (_req, res) => res.end('hello'),
  '/empty': (_req, res) => {
    res.statusCode = 204;
    res.end();
  },
  '/declared': (_req, res) => {
    res.setHeader('content-length', '5000');
    res.end(Buffer.alloc(5000, 0x61));
  },
  '/endless': (_req, res) => {
    // chunked, no content-length, never ends: only counting while reading stops it
    const chunk = Buffer.alloc(64 * 1024, 0x62);
    const pump = (): void => {
      while (!res.destroyed && res.write(chunk)) {
        /* fill the socket */
      }
      if (!res.destroyed) res.once('drain', pump);
    };
    pump();
  },
  '/bomb': (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip' });
    res.end(zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024)));
  },
  '/cut': (_req, res) => {
    res.setHeader('content-length', '100');
    res.write('only part');
    setImmediate(() => res.destroy());
  },
  '/truncated-gzip': (_req, res) => {
    const whole = zlib.gzipSync(noise(50_000));
    const cut = whole.subarray(0, whole.length - 40);
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-length': String(cut.length) });
    res.end(cut);
  },
  '/invalid-gzip': (_req, res) => {
    res.writeHead(200, { 'content-encoding': 'gzip', 'content-type': 'text/plain' });
    res.end('this is not gzip at all');
  },
  '/silent': () => {
    /* accepts, never answers */
  },
  '/redirect': (_req, res) => {
    res.writeHead(302, { location: '/small' });
    res.end();
  },
};
for (const encoding of ENCODINGS) {
  routes[`/stall-${encoding}`] = (_req, res) => {
    const encoded = encode(encoding, noise(400_000));
    res.writeHead(200, encoding === 'identity' ? {} : { 'content-encoding': encoding });
    // Half the body, then nothing: the connection stays open.
    res.write(encoded.subarray(0, Math.floor(encoded.length / 2)));
  };
}
const server = createServer((req, res) => routes[req.url ?? '']?.(req, res));
let base = '';

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const get = (path: string, maxBytes: number, timeoutMs = 5000): Promise<Uint8Array> =>
  httpRequestBytes(`${base}${path}`, { timeoutMs, maxBytes }).then((answer) => answer.body);

async function failure(promise: Promise<unknown>): Promise<HttpReadError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpReadError);
  return error as HttpReadError;
}

/** Runs `call` and returns how long it took to settle, and its error. */
async function timed(call: () => Promise<unknown>): Promise<{ ms: number; error: HttpReadError }> {
  const started = Date.now();
  const error = await failure(call());
  return { ms: Date.now() - started, error };
}

describe('httpRequest: the byte cap', () => {
  it('returns the whole body when it fits, and an empty one when there is none', async () => {
    expect(new TextDecoder().decode(await get('/small', 5))).toBe('hello');
    expect(await get('/empty', 0)).toEqual(new Uint8Array(0));
  });

  it('refuses a declared Content-Length over the cap before reading', async () => {
    const error = await failure(get('/declared', 4999));
    expect(error.kind).toBe('too-large');
    expect(error.info.declaredBytes).toBe(5000);
  });

  it('stops an endless body at the cap instead of reading it whole', async () => {
    const error = await failure(get('/endless', 4 * 1024 * 1024));
    expect(error.kind).toBe('too-large');
    expect(error.message).toContain('4194304');
  });

  it('counts decoded bytes, so a compression bomb stops at the cap', async () => {
    const error = await failure(get('/bomb', 1024 * 1024));
    expect(error.kind).toBe('too-large');
  });
});

describe('httpRequest: broken answers', () => {
  it('reports a connection cut mid-body as a network error', async () => {
    expect((await failure(get('/cut', 1000))).kind).toBe('network');
  });

  it('refuses a gzip body cut short instead of returning the part that came', async () => {
    expect((await failure(get('/truncated-gzip', 1_000_000))).kind).toBe('decode');
  });

  it('refuses a body that is not the gzip it says it is', async () => {
    expect((await failure(get('/invalid-gzip', 1000))).kind).toBe('decode');
  });

  it('follows redirects only when asked', async () => {
    const direct = await httpRequestBytes(`${base}/redirect`, { timeoutMs: 2000, maxBytes: 100 });
    expect(direct.head.status).toBe(302);
    const followed = await httpRequestBytes(`${base}/redirect`, { timeoutMs: 2000, maxBytes: 100, maxRedirects: 1 });
    expect(followed.head.status).toBe(200);
    expect(followed.head.url).toBe(`${base}/small`);
  });
});

describe('httpRequest: the deadline covers the whole exchange', () => {
  const TIMEOUT_MS = 600;
  // Generous: the point is "settles near the deadline", not "fast".
  const SETTLED_BY_MS = TIMEOUT_MS + 2000;

  it('when the server never answers', async () => {
    const { ms, error } = await timed(() => get('/silent', 1000, TIMEOUT_MS));
    expect(error.kind).toBe('timeout');
    expect(ms).toBeLessThan(SETTLED_BY_MS);
  });

  for (const encoding of ENCODINGS) {
    it(`when the server stalls mid-body (${encoding})`, async () => {
      let received = 0;
      const { ms, error } = await timed(() =>
        httpRequest(`${base}/stall-${encoding}`, { timeoutMs: TIMEOUT_MS, maxBytes: 10_000_000 }, async (_head, body) => {
          for await (const chunk of body.chunks()) received += chunk.byteLength;
        }),
      );
      expect(error.kind).toBe('timeout');
      expect(received).toBeGreaterThan(0);
      expect(ms).toBeLessThan(SETTLED_BY_MS);
    });
  }

  it('after several invalid gzip answers, a stalling one still times out', async () => {
    for (let i = 0; i < 4; i++) expect((await failure(get('/invalid-gzip', 1000))).kind).toBe('decode');
    const { ms, error } = await timed(() => get('/stall-gzip', 10_000_000, TIMEOUT_MS));
    expect(error.kind).toBe('timeout');
    expect(ms).toBeLessThan(SETTLED_BY_MS);
  });

  it('even when the code reading the body waits on something that never comes', async () => {
    const { ms, error } = await timed(() =>
      httpRequest(`${base}/small`, { timeoutMs: TIMEOUT_MS, maxBytes: 100 }, () => new Promise<never>(() => undefined)),
    );
    expect(error.kind).toBe('timeout');
    expect(ms).toBeLessThan(SETTLED_BY_MS);
  });
});

describe('httpRequest: a stop abandons the exchange at once', () => {
  it('while the server says nothing, and while a body stalls, long before the deadline', async () => {
    for (const path of ['/silent', '/stall-identity']) {
      const stop = new AbortController();
      setTimeout(() => stop.abort(), 100);
      const { ms, error } = await timed(() =>
        httpRequest(`${base}${path}`, { timeoutMs: 30_000, maxBytes: 10_000_000, signal: stop.signal }, (_head, body) => body.bytes()),
      );
      expect(error.kind).toBe('aborted');
      expect(ms).toBeLessThan(1000);
    }
  });

  it('sends nothing when already stopped', async () => {
    const stop = new AbortController();
    stop.abort();
    expect((await failure(httpRequestBytes(`${base}/small`, { timeoutMs: 5000, maxBytes: 100, signal: stop.signal }))).kind).toBe(
      'aborted',
    );
  });
});
