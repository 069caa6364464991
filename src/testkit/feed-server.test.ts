import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFeedServer, type FeedServer } from './feed-server.js';

describe('startFeedServer', () => {
  let server: FeedServer;
  beforeEach(async () => {
    server = await startFeedServer({ host: '127.0.0.1' });
  });
  afterEach(async () => {
    await server.close();
  });

  it('serves routes and records the headers each request sent', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    server.setRoute('/rss.xml', { body: '<rss/>', contentType: 'application/rss+xml', headers: { 'x-site': 'at' } });
    const res = await fetch(`${server.url}/rss.xml?x=1`, { headers: { cookie: 'uid=1;pass=secret' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/rss+xml');
    expect(res.headers.get('x-site')).toBe('at');
    expect(await res.text()).toBe('<rss/>');
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/rss.xml?x=1', status: 200 });
    expect(server.requests[0]?.headers['cookie']).toBe('uid=1;pass=secret');

    const missing = await fetch(`${server.url}/nope.csv`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('/nope.csv');
  });

  it('serves .torrent bytes at /download/<infohash>.torrent', async () => {
    const metainfo = new Uint8Array([0x64, 0x34, 0x3a, 0x69, 0x6e, 0x66, 0x6f, 0x64, 0x65, 0x65, 0xff]);
    const url = server.setTorrent('ABCDEF0123456789ABCDEF0123456789ABCDEF01', metainfo);
    expect(url).toBe(`${server.url}/download/abcdef0123456789abcdef0123456789abcdef01.torrent`);
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('application/x-bittorrent');
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(metainfo);
  });

  it('answers conditional GETs with 304 when the validator matches', async () => {
    const lastModified = new Date('2024-05-01T10:00:00Z');
    server.setRoute('/c.csv', { body: 'a,b\n', contentType: 'text/csv', etag: '"v1"', lastModified });
    const first = await fetch(`${server.url}/c.csv`);
    expect(first.headers.get('etag')).toBe('"v1"');
    expect(first.headers.get('last-modified')).toBe(lastModified.toUTCString());
    await first.text();
    expect((await fetch(`${server.url}/c.csv`, { headers: { 'if-none-match': '"v1"' } })).status).toBe(304);
    expect((await fetch(`${server.url}/c.csv`, { headers: { 'if-none-match': '"v0"' } })).status).toBe(200);
    server.setRoute('/d.csv', { body: 'x', contentType: 'text/csv', lastModified });
    const since = (date: string): Promise<Response> => fetch(`${server.url}/d.csv`, { headers: { 'if-modified-since': date } });
    expect((await since(lastModified.toUTCString())).status).toBe(304);
    expect((await since(new Date('2024-04-30T00:00:00Z').toUTCString())).status).toBe(200);
    expect(server.requests.map((r) => r.status)).toEqual([200, 304, 200, 304, 200]);
  });

  it('holds an answer for delayMs and can answer errors', async () => {
    server.setRoute('/slow', { body: 'late', contentType: 'text/plain', delayMs: 2000 });
    await expect(fetch(`${server.url}/slow`, { signal: AbortSignal.timeout(200) })).rejects.toThrow();
    server.setRoute('/down', { body: 'maintenance', contentType: 'text/plain', status: 503 });
    expect((await fetch(`${server.url}/down`)).status).toBe(503);
    // close() does not wait for the held answer.
    const closing = Date.now();
    await server.close();
    expect(Date.now() - closing).toBeLessThan(1000);
  });
});
