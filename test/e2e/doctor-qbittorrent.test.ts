/**
 * `smartnode doctor` on a policy with daemon.client: qbittorrent, against a real qbittorrent-nox
 * (Debian 12's 4.5): the WebUI is reached, the login accepted, the release named as tested.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../../src/setup/doctor.js';
import { startTestQbittorrent, type TestQbittorrent } from '../helpers/qbittorrent.js';

describe('smartnode doctor with a qBittorrent volunteer', () => {
  let q: TestQbittorrent;
  beforeAll(async () => {
    q = await startTestQbittorrent('bookworm');
  }, 30_000);
  afterAll(async () => {
    await q?.teardown();
  });

  it('passes the daemon checks and names qBittorrent 4.5 as a tested line', async () => {
    const downloadDir = join(q.root, 'mirror');
    await mkdir(downloadDir, { recursive: true });
    const policyPath = join(q.root, 'policy.yaml');
    await writeFile(
      policyPath,
      `version: 1\ndaemon:\n  client: qbittorrent\n  url: ${q.url}\n  username: ${q.username}\n  passwordEnv: QBT_E2E_PASSWORD\n` +
        `storage:\n  downloadDir: ${downloadDir}\n  maxBytes: 1000000000\n` +
        // A feed nobody serves: the feed check fails, the daemon checks are what this test reads.
        `feeds:\n  - id: none\n    url: http://127.0.0.1:1/rss.xml\n    format: rss\n`,
    );
    const results = await runDoctor({
      policyPath,
      env: { QBT_E2E_PASSWORD: q.password },
      resolveStateDir: () => join(q.root, 'state'),
      userAgent: 'smartnode-test',
      skip: new Set(['agent']),
    });
    const byId = new Map(results.map((r) => [r.id, r]));
    expect(byId.get('daemon-reachable')?.status).toBe('passed');
    expect(byId.get('credentials')?.status).toBe('passed');
    expect(byId.get('rpc-version')).toMatchObject({
      status: 'passed',
      detail: expect.stringContaining("qBittorrent 4.5.2 (Debian 12's line; tested"),
    });
    expect(JSON.stringify(results)).not.toContain(q.password);
  }, 60_000);
});
