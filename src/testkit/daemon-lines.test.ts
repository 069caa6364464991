import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveDaemonLine } from './daemon-lines.js';

describe('resolveDaemonLine', () => {
  const saved = process.env['SMARTNODE_DAEMON_CACHE'];
  afterEach(() => {
    if (saved === undefined) delete process.env['SMARTNODE_DAEMON_CACHE'];
    else process.env['SMARTNODE_DAEMON_CACHE'] = saved;
  });

  it("fails with setup's recorded reason when a line could not be prepared, and says how to prepare it", async () => {
    const cache = await mkdtemp(join(tmpdir(), 'sn-lines-'));
    try {
      process.env['SMARTNODE_DAEMON_CACHE'] = cache;
      await mkdir(join(cache, 'sid'), { recursive: true });
      await writeFile(join(cache, 'sid', 'error.txt'), 'apt-get download transmission-daemon failed: 404 Not Found\n');
      expect(() => resolveDaemonLine('sid')).toThrow(/^apt-get download transmission-daemon failed: 404 Not Found\nRun `npm run setup`/);
      // Nothing recorded at all: it names the root it looked in.
      expect(() => resolveDaemonLine('trixie')).toThrow(
        `transmission-daemon from Debian trixie is not prepared in ${join(cache, 'trixie', 'root')}`,
      );
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });

  it('starts a prepared line through its own loader and libraries', () => {
    const sid = resolveDaemonLine('sid');
    expect(sid.command).toMatch(/sid\/root\/usr\/lib\/x86_64-linux-gnu\/ld-linux-x86-64\.so\.2$/);
    expect(sid.prefix).toEqual([
      '--library-path',
      expect.stringMatching(/sid\/root\/usr\/lib\/x86_64-linux-gnu$/),
      expect.stringMatching(/usr\/bin\/transmission-daemon$/),
    ]);
    expect(sid.version).toMatch(/^transmission-daemon 4\.1\.\d/);
  });
});
