import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryDaemon } from '../daemon/index.js';
import { parseJsonTorrentList, parseRssFeed, parseTorrentFile } from '../feeds/index.js';
import { decodeBencode, isBDict, type BValue, type InfoHash } from '../shared/index.js';
import { choosePieceLength, makeTorrent } from './make-torrent.js';
import { publishDataset, withdrawDataset, type PublishSettings } from './publish.js';
import type { PublishedRecord } from './record.js';
import { scanDataset } from './scan.js';

const run = promisify(execFile);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartnode-publish-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function memoryStore() {
  const records = new Map<string, PublishedRecord>();
  return {
    published: () => [...records.values()],
    putPublished: (r: PublishedRecord) => void records.set(r.infoHash, r),
    deletePublished: (h: InfoHash) => void records.delete(h),
  };
}

describe('publish', () => {
  it('chooses piece sizes as common tools do: powers of two, ~1,500 pieces, 16 KiB to 16 MiB', () => {
    expect(choosePieceLength(1000)).toBe(16 * 1024);
    expect(choosePieceLength(2e9)).toBe(2 * 1024 * 1024);
    expect(choosePieceLength(1e15)).toBe(16 * 1024 * 1024);
  });

  it('makes the torrent transmission-create makes of the same data and piece size', async () => {
    const data = join(dir, 'set');
    await mkdir(join(data, 'sub'), { recursive: true });
    await writeFile(join(data, 'b.bin'), Buffer.alloc(70_000, 3));
    await writeFile(join(data, 'sub', 'a.csv'), 'x,y\n1,2\n');
    const made = await makeTorrent(await scanDataset(data, { ownDownloadDir: null }), {
      trackers: ['http://127.0.0.1:1/announce'],
      webSeeds: [],
      pieceLengthBytes: 16_384,
      creationDate: 0,
    });
    await run('transmission-create', ['-o', join(dir, 'tc.torrent'), '-s', '16', '-t', 'http://127.0.0.1:1/announce', data]);
    const theirs = parseTorrentFile(new Uint8Array(await readFile(join(dir, 'tc.torrent'))));
    expect(parseTorrentFile(made.metainfo)).toMatchObject({
      infoHash: theirs.infoHash,
      files: theirs.files,
      pieceCount: theirs.pieceCount,
    });
  });

  it('names every tracker in announce-list (one per tier, BEP 12) and the web seeds in url-list (BEP 19)', async () => {
    const data = join(dir, 'set.bin');
    await writeFile(data, Buffer.alloc(40_000, 9));
    const trackers = ['http://127.0.0.1:1/announce', 'udp://t.example:1337/announce', 'https://t2.example/announce'];
    const webSeeds = ['https://lab.example/data/set.bin', 'http://mirror.example/set.bin'];
    const made = await makeTorrent(await scanDataset(data, { ownDownloadDir: null }), { trackers, webSeeds, creationDate: 0 });
    const top = plain(decodeBencode(made.metainfo)) as Record<string, unknown>;
    expect(top['announce']).toBe(trackers[0]);
    expect(top['announce-list']).toEqual(trackers.map((t) => [t]));
    expect(top['url-list']).toEqual(webSeeds);
    expect(parseTorrentFile(made.metainfo).trackers).toEqual(trackers);
    // Without web seeds or a second tracker, neither list is written.
    const bare = plain(
      decodeBencode(
        (await makeTorrent(await scanDataset(data, { ownDownloadDir: null }), { trackers: [trackers[0]!], webSeeds: [], creationDate: 0 }))
          .metainfo,
      ),
    ) as Record<string, unknown>;
    expect(Object.keys(bare)).not.toContain('url-list');
    expect(Object.keys(bare)).not.toContain('announce-list');
  });

  it('seeds in place, records it, writes RSS and JSON feeds our parsers read; withdraw keeps the data', async () => {
    const data = join(dir, 'lab', 'atlas.bin');
    await mkdir(join(dir, 'lab'));
    await writeFile(data, Buffer.alloc(40_000, 9));
    const daemon = createMemoryDaemon({ directories: [join(dir, 'lab')] });
    daemon.control.writeFile(data, 40_000);
    const store = memoryStore();
    const settings: PublishSettings = {
      outDir: join(dir, 'out'),
      feed: { title: 'Lab', baseUrl: 'https://lab.example/feed/' },
      trackers: ['udp://t.example:1337/announce', 'http://t2.example/announce'],
      webSeeds: ['https://lab.example/data/'],
      label: 'smartnode-published',
      ownDownloadDir: join(dir, 'mirror'),
    };
    const record = await publishDataset({ daemon, store, clock: () => 1_800_000_000_000 }, settings, data);
    expect(record).toMatchObject({ name: 'atlas.bin', downloadDir: join(dir, 'lab'), sizeBytes: 40_000, fileCount: 1 });
    expect((await daemon.listTorrents()).map((t) => [t.infoHash, t.labels, t.status])).toEqual([
      [record.infoHash, ['smartnode-published'], 'seeding'],
    ]);
    const written = new Uint8Array(await readFile(record.torrentFile));
    const meta = parseTorrentFile(written);
    expect(meta.trackers).toEqual(['udp://t.example:1337/announce', 'http://t2.example/announce']);
    // The web seed given reaches the .torrent publish wrote (BEP 19), the trackers as BEP 12 tiers.
    expect(plain(decodeBencode(written))).toMatchObject({
      'url-list': ['https://lab.example/data/'],
      'announce-list': [['udp://t.example:1337/announce'], ['http://t2.example/announce']],
    });
    const opts = { feedId: 'lab', feedUrl: 'https://lab.example/feed/feed.xml', nowMs: 0 };
    const rss = await parseRssFeed(await readFile(join(dir, 'out', 'feed.xml'), 'utf8'), { ...opts, format: 'rss' });
    const json = parseJsonTorrentList(await readFile(join(dir, 'out', 'feed.json'), 'utf8'), { ...opts, format: 'json' });
    for (const feed of [rss, json]) {
      expect(feed.warnings).toEqual([]);
      expect(feed.items).toEqual([
        expect.objectContaining({
          infoHash: record.infoHash,
          name: 'atlas.bin',
          sizeBytes: 40_000,
          torrentUrl: `https://lab.example/feed/torrents/${record.infoHash}.torrent`,
          digests: { content: { sha256: record.sha256 }, files: [], source: 'feed' },
        }),
      ]);
    }
    await withdrawDataset({ daemon, store, clock: () => 1_800_000_000_001 }, settings, record.infoHash);
    expect(await daemon.listTorrents()).toEqual([]);
    expect(daemon.control.fileExists(data)).toBe(true);
    expect(store.published()).toEqual([]);
    expect(await readFile(join(dir, 'out', 'feed.xml'), 'utf8')).not.toContain(record.infoHash);
  });

  it('refuses bad input with what to do', async () => {
    const scan = (p: string, own: string | null = null) => scanDataset(p, { ownDownloadDir: own });
    await expect(scan(join(dir, 'nope'))).rejects.toMatchObject({
      code: 'PUBLISH_INVALID',
      message: expect.stringContaining('does not exist'),
    });
    await mkdir(join(dir, 'mirror', 'x'), { recursive: true });
    await writeFile(join(dir, 'mirror', 'x', 'f'), 'data');
    await expect(scan(join(dir, 'mirror', 'x'), join(dir, 'mirror'))).rejects.toMatchObject({
      message: expect.stringContaining("inside smartnode's own download directory"),
    });
    await mkdir(join(dir, 'leaky'));
    await writeFile(join(dir, 'leaky', 'ok'), 'fine');
    await writeFile(join(dir, 'secret'), 'outside');
    await symlink(join(dir, 'secret'), join(dir, 'leaky', 'link'));
    await expect(scan(join(dir, 'leaky'))).rejects.toMatchObject({ message: expect.stringMatching(/is a symlink to .*secret, outside/) });
    await mkdir(join(dir, 'names'));
    await writeFile(Buffer.from(`${join(dir, 'names')}/caf\xe9.csv`, 'latin1'), 'latin-1 name');
    await expect(scan(join(dir, 'names'))).rejects.toMatchObject({
      message: expect.stringContaining('is not valid UTF-8'),
      hint: expect.stringContaining('rename'),
    });
    const daemon = createMemoryDaemon();
    await expect(
      publishDataset(
        { daemon, store: memoryStore(), clock: () => 0, freeBytes: async () => 100 },
        {
          outDir: join(dir, 'out'),
          feed: { title: 't', baseUrl: null },
          trackers: [],
          webSeeds: [],
          label: 'p',
          ownDownloadDir: null,
        },
        join(dir, 'leaky', 'ok'),
      ),
    ).rejects.toMatchObject({ code: 'PUBLISH_IO', message: expect.stringContaining('bytes free') });
    expect(await daemon.listTorrents()).toEqual([]);
  });

  it('refuses a dataset this user cannot read', async () => {
    await mkdir(join(dir, 'closed'));
    await writeFile(join(dir, 'closed', 'f'), 'x');
    await chmod(join(dir, 'closed', 'f'), 0o000);
    await chmod(dir, 0o755);
    // Root reads everything: as root the check runs with every capability dropped (setpriv,
    // util-linux), so file modes apply to it while it can still reach this checkout wherever it is.
    const asRoot = process.getuid?.() === 0;
    const entry = new URL('../../dist/publish/index.js', import.meta.url).pathname;
    const scan = `m.scanDataset(${JSON.stringify(join(dir, 'closed'))}, { ownDownloadDir: null })`;
    const report = `() => console.log('accepted'), (e) => console.log(e.code + ': ' + e.message)`;
    const script = `import('${entry}').then((m) => ${scan}).then(${report})`;
    const node = [process.execPath, '--input-type=module', '-e', script];
    const { stdout } = asRoot
      ? await run('setpriv', ['--bounding-set=-all', '--inh-caps=-all', ...node])
      : await run(node[0]!, node.slice(1));
    expect(stdout).toMatch(/^PUBLISH_INVALID: .*closed\/f is not readable by this user/);
  });
});

/** A decoded bencode value as plain data: byte strings as UTF-8 text (the info dict's pieces left out). */
function plain(value: BValue): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(plain);
  if (isBDict(value)) return Object.fromEntries([...value.entries].filter(([k]) => k !== 'info').map(([k, v]) => [k, plain(v)]));
  return value;
}
