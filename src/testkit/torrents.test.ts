import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTorrentFile, datasetTree, infoDictRange, infoHashOfMetainfo, makeDataset, sha256Tree } from './torrents.js';

const run = promisify(execFile);

describe('datasets and torrents', () => {
  let work = '';
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'sn-torrents-'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('writes the same bytes for the same seed and different bytes for another seed', async () => {
    const files = [
      { path: 'a.bin', sizeBytes: 1_500_000 },
      { path: 'sub/b.bin', sizeBytes: 1000 },
    ];
    const one = await makeDataset({ dir: join(work, 'one'), name: 'ds', files, seed: 7 });
    const two = await makeDataset({ dir: join(work, 'two'), name: 'ds', files, seed: 7 });
    const other = await makeDataset({ dir: join(work, 'three'), name: 'ds', files, seed: 8 });
    expect(one.totalBytes).toBe(1_501_000);
    expect(datasetTree(one)).toEqual(datasetTree(two));
    expect(datasetTree(one)['a.bin']).not.toBe(datasetTree(other)['a.bin']);
    // The recorded hashes are the bytes on disk.
    expect(await sha256Tree(one.contentPath)).toEqual(datasetTree(one));
  });

  it('creates a torrent whose info-hash matches transmission-show', async () => {
    const dataset = await makeDataset({
      dir: join(work, 'tor'),
      name: 'dataset-x',
      files: [
        { path: 'one.bin', sizeBytes: 300_000 },
        { path: 'two.bin', sizeBytes: 70_000 },
      ],
    });
    const created = await createTorrentFile({
      contentPath: dataset.contentPath,
      announceUrl: 'http://10.231.200.1:6969/announce',
      outFile: join(work, 'x.torrent'),
    });
    const shown = (await run('transmission-show', [created.torrentFile])).stdout;
    expect(shown).toContain(`Hash: ${created.infoHash}`);
    expect(shown).toContain('http://10.231.200.1:6969/announce');
    // Same content, same info-hash, even trackerless (announce is outside the info dict).
    const again = await createTorrentFile({ contentPath: dataset.contentPath, outFile: join(work, 'y.torrent') });
    expect(again.infoHash).toBe(created.infoHash);
  });

  it('finds the info dict among other keys and rejects broken bencode', () => {
    const text = 'd8:announce3:abc4:infod4:name1:x6:lengthi5eee';
    const bytes = new TextEncoder().encode(text);
    const [start, end] = infoDictRange(bytes);
    expect(text.slice(start, end)).toBe('d4:name1:x6:lengthi5ee');
    expect(infoHashOfMetainfo(bytes)).toMatch(/^[0-9a-f]{40}$/);
    expect(() => infoDictRange(new TextEncoder().encode('d8:announce3:abce'))).toThrow(/no info/);
    expect(() => infoDictRange(new TextEncoder().encode('d4:infod4:name'))).toThrow(/bencode/);
    expect(() => infoDictRange(new TextEncoder().encode('l4:infoe'))).toThrow(/not a bencoded dictionary/);
  });

  it('explains a failed transmission-create', async () => {
    await expect(createTorrentFile({ contentPath: join(work, 'missing'), outFile: join(work, 'm.torrent') })).rejects.toThrow(
      /transmission-create failed for .*missing/,
    );
  });
});
