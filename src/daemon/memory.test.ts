import { describe, expect, it } from 'vitest';
import { toInfoHash } from '../shared/index.js';
import { createMemoryDaemon } from './memory.js';
import { buildMetainfo } from './metainfo.js';

describe('in-memory daemon controls', () => {
  it('counts only written bytes against free space, like free-space', async () => {
    const daemon = createMemoryDaemon({ capacityBytes: 10_000, directories: ['/d'] });
    const t = buildMetainfo({ name: 'a', lengthBytes: 4000 });
    await daemon.addTorrent({ metainfo: t.metainfo, downloadDir: '/d', labels: [] });
    expect(await daemon.readFreeSpace('/d')).toBe(10_000);
    daemon.control.setProgress(t.infoHash, 0.5);
    expect(await daemon.readFreeSpace('/d/')).toBe(8000);
    daemon.control.setProgress(t.infoHash, 1);
    const [listed] = await daemon.listTorrents();
    expect(listed).toMatchObject({ status: 'seeding', percentDone: 1, leftUntilDoneBytes: 0 });
    expect(listed?.doneDate).toBeGreaterThan(0);
    expect(await daemon.readFreeSpace('/d')).toBe(6000);
    await daemon.removeTorrent(t.infoHash, { deleteData: true });
    expect(await daemon.readFreeSpace('/d')).toBe(10_000);
  });

  it('seeds torrents that are not ours, with their data written', async () => {
    const daemon = createMemoryDaemon({ capacityBytes: 1000, nowSeconds: () => 1_700_000_000 });
    const infoHash = toInfoHash('cd'.repeat(20));
    daemon.control.seed({ infoHash, name: 'theirs', sizeWhenDoneBytes: 300, downloadDir: '/other' });
    const [t] = await daemon.listTorrents();
    expect(t).toMatchObject({ infoHash, labels: [], status: 'seeding', addedDate: 1_700_000_000 });
    expect(await daemon.readFreeSpace('/other')).toBe(700);
    expect(daemon.control.fileExists('/other/theirs')).toBe(true);
  });

  it('fails the next call once when told to, and records calls', async () => {
    const daemon = createMemoryDaemon();
    daemon.control.failNext('listTorrents', 'DAEMON_PROTOCOL', true);
    await expect(daemon.listTorrents()).rejects.toMatchObject({ code: 'DAEMON_PROTOCOL', retryable: true });
    await expect(daemon.listTorrents()).resolves.toEqual([]);
    expect(daemon.control.calls).toEqual(['listTorrents', 'listTorrents']);
  });

  it('hands out copies: callers cannot change the daemon through a listing', async () => {
    const daemon = createMemoryDaemon({ directories: ['/d'] });
    const t = buildMetainfo({ name: 'a', lengthBytes: 10 });
    await daemon.addTorrent({ metainfo: t.metainfo, downloadDir: '/d', labels: ['smartnode'] });
    const [first] = await daemon.listTorrents();
    first?.labels.push('mutated');
    expect((await daemon.listTorrents())[0]?.labels).toEqual(['smartnode']);
  });
});
