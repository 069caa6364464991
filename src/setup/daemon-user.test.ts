import { mkdir, mkdtemp, rm, chmod, chown } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkWriteAccess, listeningInodes, mountOf, parseProcStatus, userNameOf } from './daemon-user.js';

describe('/proc parsing', () => {
  it('finds the inode of the socket listening on a port (state 0A), not connected ones', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:2383 00000000:0000 0A 00000000:00000000 00:00000000 00000000   106        0 41234 1 0000000000000000 100 0 0 10 0',
      '   1: 0100007F:2383 0100007F:D2C4 01 00000000:00000000 00:00000000 00000000   106        0 41999 1 0000000000000000 20 4 0 10 -1',
      '   2: 00000000:1A0B 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 100 0 0 10 0',
    ].join('\n');
    expect(listeningInodes(table, 9091)).toEqual(['41234']);
    expect(listeningInodes(table, 6667)).toEqual(['5555']);
    expect(listeningInodes(table, 80)).toEqual([]);
  });

  it('reads the effective uid and every group from /proc/<pid>/status', () => {
    const status = 'Name:\ttransmission-da\nUid:\t106\t107\t107\t107\nGid:\t112\t113\t113\t113\nGroups:\t113 44 \n';
    expect(parseProcStatus(status)).toEqual({ uid: 107, gids: [113, 44] });
    expect(parseProcStatus('Name:\tx\n')).toBeUndefined();
    expect(
      userNameOf('root:x:0:0::/root:/bin/sh\ndebian-transmission:x:107:113::/var/lib/transmission-daemon:/usr/sbin/nologin\n', 107),
    ).toBe('debian-transmission');
  });

  it('takes the longest mount point holding a path and its ro flag', () => {
    const mountinfo = [
      '22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw',
      '40 22 254:1 / /srv rw,relatime shared:2 - ext4 /dev/vdb rw',
      '41 40 254:1 /media /srv/media ro,relatime shared:3 - ext4 /dev/vdb rw',
    ].join('\n');
    expect(mountOf(mountinfo, '/srv/media/smartnode')).toEqual({ mountPoint: '/srv/media', readOnly: true });
    expect(mountOf(mountinfo, '/srv/mediaX')).toEqual({ mountPoint: '/srv', readOnly: false });
    expect(mountOf(mountinfo, '/home/x')).toEqual({ mountPoint: '/', readOnly: false });
  });
});

describe('checkWriteAccess (real directories, mode bits)', () => {
  let root: string;
  const daemon = { uid: 4242, gids: [4343] };
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'smartnode-access-'));
    await chmod(root, 0o755);
    for (const [name, uid, gid, mode] of [
      ['own', 4242, 0, 0o700],
      ['group', 0, 4343, 0o770],
      ['other', 0, 0, 0o755],
      ['closed', 0, 0, 0o700],
    ] as const) {
      await mkdir(join(root, name));
      await chown(join(root, name), uid, gid);
      await chmod(join(root, name), mode);
    }
  });
  afterAll(async () => {
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('grants by owner, by group, and refuses others', async () => {
    expect(await checkWriteAccess(join(root, 'own'), daemon)).toEqual({ ok: true });
    expect(await checkWriteAccess(join(root, 'group'), daemon)).toEqual({ ok: true });
    expect(await checkWriteAccess(join(root, 'other'), daemon)).toMatchObject({ ok: false, blockedAt: join(root, 'other') });
    expect(await checkWriteAccess(join(root, 'other'), { uid: 0, gids: [0] })).toEqual({ ok: true });
  });

  it('judges a missing dir by its nearest existing ancestor, and needs search on every ancestor', async () => {
    expect(await checkWriteAccess(join(root, 'own', 'new', 'deeper'), daemon)).toEqual({ ok: true });
    expect(await checkWriteAccess(join(root, 'closed', 'inside'), daemon)).toMatchObject({ ok: false, blockedAt: join(root, 'closed') });
    const result = await checkWriteAccess(join(root, 'other'), daemon, `1 0 1:1 / ${root} ro,relatime - ext4 /dev/x ro`);
    expect(result).toEqual({ ok: false, reason: `${root} is mounted read-only`, blockedAt: root });
  });
});
