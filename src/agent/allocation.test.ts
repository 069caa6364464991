import { mkdir, open, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkDir } from '../../test/helpers/world.js';
import type { DaemonTorrent } from '../daemon/index.js';
import type { InfoHash } from '../shared/index.js';
import { readAllocatedBytes, readUnallocatedBytes } from './allocation.js';

describe('bytes the filesystem holds for a download', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  beforeEach(async () => {
    work = await makeWorkDir('allocation');
  });
  afterEach(async () => work.cleanup());

  const torrent = (name: string, sizeWhenDoneBytes: number, leftUntilDoneBytes: number): DaemonTorrent =>
    ({ infoHash: 'a'.repeat(40) as InfoHash, name, downloadDir: work.dir, sizeWhenDoneBytes, leftUntilDoneBytes }) as DaemonTorrent;

  it('counts blocks, not apparent sizes, over the tree and the .part twin', async () => {
    await mkdir(join(work.dir, 'set', 'sub'), { recursive: true });
    await writeFile(join(work.dir, 'set', 'sub', 'written.bin'), Buffer.alloc(64 * 1024, 1));
    // A sparse file: 10 MB long, no block allocated.
    await writeFile(join(work.dir, 'set', 'sparse.bin'), '');
    await truncate(join(work.dir, 'set', 'sparse.bin'), 10_000_000);
    await writeFile(join(work.dir, 'single.part'), Buffer.alloc(8 * 1024, 1));
    const held = await readAllocatedBytes(work.dir, 'set');
    expect(held).toBeGreaterThanOrEqual(64 * 1024);
    expect(held).toBeLessThan(1_000_000);
    expect(await readAllocatedBytes(work.dir, 'single')).toBeGreaterThanOrEqual(8 * 1024);
    expect(await readAllocatedBytes(work.dir, 'absent')).toBe(0);
    expect(await readAllocatedBytes(work.dir, '../etc')).toBe(0);
  });

  it('what is still to come never exceeds what is left to download', async () => {
    const handle = await open(join(work.dir, 'big.bin.part'), 'w');
    await handle.write(Buffer.alloc(1_000_000, 1));
    await handle.close();
    const unallocated = await readUnallocatedBytes([torrent('big.bin', 3_000_000, 2_500_000), torrent('none', 5, 0)]);
    const bytes = unallocated.get('a'.repeat(40) as InfoHash);
    expect(bytes).toBeLessThanOrEqual(2_000_000);
    expect(bytes).toBeGreaterThan(1_900_000);
    expect([...unallocated.keys()]).toHaveLength(1);
  });
});
