import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concatBytes } from './bytes.js';
import { readBodyCapped, type BodyTooLarge } from './http.js';

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
  '/streamed': (_req, res) => {
    // chunked, no content-length: only counting while reading can stop it
    const chunk = Buffer.alloc(1000, 0x62);
    for (let i = 0; i < 20; i++) res.write(chunk);
    res.end();
  },
  '/cut': (_req, res) => {
    res.setHeader('content-length', '100');
    res.write('only part');
    setImmediate(() => res.destroy());
  },
};
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

class TooLarge extends Error {
  constructor(readonly why: BodyTooLarge) {
    super('too large');
  }
}
const read = async (path: string, maxBytes: number): Promise<Uint8Array> =>
  readBodyCapped(await fetch(`${base}${path}`), maxBytes, (why) => new TooLarge(why));
const refusal = async (path: string, maxBytes: number): Promise<BodyTooLarge> => {
  const error = await read(path, maxBytes).then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(TooLarge);
  return (error as TooLarge).why;
};

describe('readBodyCapped', () => {
  it('returns the whole body when it fits, and an empty one when there is none', async () => {
    expect(new TextDecoder().decode(await read('/small', 5))).toBe('hello');
    expect(await read('/empty', 0)).toEqual(new Uint8Array(0));
    expect(await read('/streamed', 20_000)).toHaveLength(20_000);
  });

  it('refuses a declared length over the cap before reading', async () => {
    expect(await refusal('/declared', 4999)).toEqual({ kind: 'declared', declaredBytes: 5000, maxBytes: 4999 });
  });

  it('stops a body without a length as soon as it passes the cap', async () => {
    expect(await refusal('/streamed', 10_500)).toEqual({ kind: 'streamed', maxBytes: 10_500 });
  });

  it('lets a network error through untouched', async () => {
    const error = await read('/cut', 1000).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(TooLarge);
  });
});

describe('concatBytes', () => {
  it('joins parts in order', () => {
    expect(concatBytes([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)])).toEqual(Uint8Array.of(1, 2, 3));
    expect(concatBytes([])).toEqual(new Uint8Array(0));
  });
});
