import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedCache } from './feed-cache.js';

const atRss = readFileSync(new URL('../../test/fixtures/feeds/at-rss.xml', import.meta.url), 'utf8');
const options = { nowMs: 1_000, timeoutMs: 2000, maxBytes: 1_000_000, userAgent: 'smartnode-test' };

// The server's behaviour is switched per test: serve the feed, fail, or send junk.
let mode: 'ok' | 'plain' | 'fail' | 'junk' | 'echo-cookie' = 'ok';
let hits = 0;
let lastIfNoneMatch: string | undefined;
const server = createServer((req, res) => {
  hits++;
  lastIfNoneMatch = req.headers['if-none-match'];
  if (mode === 'echo-cookie')
    return void res
      .writeHead(200, { 'content-type': 'application/rss+xml' })
      .end(atRss.replace('</channel>', `<!-- ${req.headers.cookie ?? ''} --></channel>`));
  if (mode === 'fail') return void res.writeHead(503).end();
  if (mode === 'plain') return void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(atRss);
  if (mode === 'junk') return void res.writeHead(200, { 'content-type': 'application/rss+xml' }).end('<rss><channel><item>');
  if (req.headers['if-none-match'] === '"at-1"') return void res.writeHead(304).end();
  res.writeHead(200, { 'content-type': 'application/rss+xml', etag: '"at-1"' }).end(atRss);
});
let url = '';
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/rss.xml`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('FeedCache', () => {
  it('refuses a feed that grew past maxItems while reading it, and keeps serving the last good items', async () => {
    const cache = new FeedCache();
    const source = { id: 'grown', url, format: 'auto' as const };
    mode = 'plain';
    const fresh = await cache.refresh(source, { ...options, maxItems: 4 });
    expect(fresh.items).toHaveLength(4);
    const refused = await cache.refresh(source, { ...options, nowMs: 2_000, maxItems: 3 });
    expect(refused).toMatchObject({ freshness: 'stale', error: { code: 'FEED_TOO_LARGE' } });
    expect(refused.error?.message).toContain('lists more than 3 items');
    expect(refused.items).toEqual(fresh.items);
  });
  it('parses fresh, answers 304 from cache, and keeps the last good items when a poll fails', async () => {
    const cache = new FeedCache();
    const source = { id: 'at', url, format: 'auto' as const };
    mode = 'ok';
    const fresh = await cache.refresh(source, options);
    expect(fresh).toMatchObject({ freshness: 'fresh', error: null, fetchedAtMs: 1_000 });
    expect(fresh.items).toHaveLength(4);

    const again = await cache.refresh(source, { ...options, nowMs: 2_000 });
    expect(again).toMatchObject({ freshness: 'not-modified', error: null, fetchedAtMs: 1_000 });
    expect(again.items).toBe(fresh.items);

    mode = 'fail';
    const failed = await cache.refresh(source, { ...options, nowMs: 3_000 });
    expect(failed.freshness).toBe('stale');
    expect(failed.error).toMatchObject({ code: 'FEED_FETCH', retryable: true });
    expect(failed.items).toEqual(fresh.items);

    mode = 'junk';
    const junk = await cache.refresh(source, { ...options, nowMs: 4_000 });
    expect(junk.error?.code).toBe('FEED_PARSE');
    expect(junk.items).toEqual(fresh.items);
    expect(cache.lastGood('at')?.items).toEqual(fresh.items);
  });

  it('reports the error with no items when nothing was ever fetched', async () => {
    mode = 'fail';
    const before = hits;
    const result = await new FeedCache().refresh({ id: 'new', url, format: 'rss' }, options);
    expect(hits).toBe(before + 1);
    expect(result).toMatchObject({ freshness: 'none', items: [], fetchedAtMs: null });
    expect(result.error?.code).toBe('FEED_FETCH');
  });
});

describe('FeedCache with a store: the last good copy survives a restart', () => {
  const COOKIE = 'uid=77;pass=cookie-secret-value';
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-feedstore-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('serves the stored items when the feed fails after a restart, and stays conditional', async () => {
    const source = { id: 'at', url, format: 'auto' as const, cookie: COOKIE };
    mode = 'ok';
    const first = await new FeedCache({ dir }).refresh(source, options);
    expect(first.freshness).toBe('fresh');

    // A new process: nothing in memory, the feed answers 503.
    mode = 'fail';
    const restarted = new FeedCache({ dir });
    const during = await restarted.refresh(source, { ...options, nowMs: 5_000 });
    expect(during.freshness).toBe('stale');
    expect(during.error?.code).toBe('FEED_FETCH');
    expect(during.items).toEqual(first.items);
    expect(during.fetchedAtMs).toBe(1_000);

    // The validators came back from disk too: the next poll is conditional and answered 304.
    mode = 'ok';
    const again = await new FeedCache({ dir }).refresh(source, { ...options, nowMs: 6_000 });
    expect(lastIfNoneMatch).toBe('"at-1"');
    expect(again.freshness).toBe('not-modified');
    expect(again.items).toEqual(first.items);
  });

  it('keeps no URL, cookie or header on disk, and no copy with the cookie in it', async () => {
    const files = await readdir(dir);
    const everything = (await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')))).join('\n');
    expect(everything).not.toContain('127.0.0.1');
    expect(everything).not.toContain('cookie-secret-value');
    expect(files.filter((f) => f.endsWith('.body'))).toHaveLength(1);

    mode = 'echo-cookie';
    const source = { id: 'echo', url: `${url}?echo`, format: 'auto' as const, cookie: COOKIE };
    const fresh = await new FeedCache({ dir }).refresh(source, options);
    expect(fresh.freshness).toBe('fresh');
    expect((await readdir(dir)).filter((f) => f.startsWith('echo.'))).toEqual([]);
  });

  it('ignores a stored copy that is cut short or belongs to another URL', async () => {
    const source = { id: 'cut', url, format: 'auto' as const };
    mode = 'ok';
    await new FeedCache({ dir }).refresh(source, options);
    mode = 'fail';
    expect((await new FeedCache({ dir }).refresh({ ...source, url: `${url}?other` }, options)).freshness).toBe('none');
    const body = (await readdir(dir)).find((f) => f.startsWith('cut.') && f.endsWith('.body'));
    await writeFile(join(dir, body ?? 'missing'), atRss.slice(0, 100));
    expect((await new FeedCache({ dir }).refresh(source, options)).freshness).toBe('none');
  });
});

describe('FeedCache with a store that cannot write', () => {
  const run = promisify(execFile);
  let base = '';
  const mounts: string[] = [];
  const mountTmpfs = async (name: string, mountOptions: string): Promise<string> => {
    const dir = join(base, name);
    await mkdir(dir);
    await run('mount', ['-t', 'tmpfs', '-o', mountOptions, 'tmpfs', dir]);
    mounts.push(dir);
    return dir;
  };
  beforeAll(async () => {
    base = await mkdtemp(join(tmpdir(), 'smartnode-feed-store-'));
  });
  afterAll(async () => {
    for (const dir of mounts) await run('umount', [dir]).catch(() => run('umount', ['-l', dir]));
    await rm(base, { recursive: true, force: true });
  });

  it.each([
    ['a read-only filesystem', 'ro,size=1m', 'EROFS'],
    ['a full filesystem', 'size=4k', 'ENOSPC'],
  ])('on %s, serves the fresh feed and reports the store failure as such, not as the network', async (_, mountOptions, errno) => {
    const dir = await mountTmpfs(errno.toLowerCase(), mountOptions);
    const cache = new FeedCache({ dir });
    mode = 'plain';
    const result = await cache.refresh({ id: 'at', url, format: 'auto' }, options);
    expect(result).toMatchObject({ freshness: 'fresh', error: null });
    expect(result.items).toHaveLength(4);
    expect(result.storeError).toMatchObject({ code: 'STATE_IO', details: { feedId: 'at', errno } });
    expect(result.storeError?.message).toContain('could not keep its last good copy on disk');
    expect(result.storeError?.hint).toContain('node.stateDir');
    // Nothing half-written is left behind to be read back.
    expect(await new FeedCache({ dir }).refresh({ id: 'at', url, format: 'auto' }, { ...options, nowMs: 2_000 })).toMatchObject({
      freshness: 'fresh',
    });
  });
});
