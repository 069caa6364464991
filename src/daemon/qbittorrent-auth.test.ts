/**
 * Logging in to real qbittorrent-nox lines: a wrong password is DAEMON_AUTH on 4.5 (200
 * "Fails.") and 5.3 (401) alike; too many make the WebUI ban this address, which is named
 * (DAEMON_LOCKED_OUT) and then not asked again; 5.2+'s API key works without any login.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartnodeError, httpRequest, type HttpTransport } from '../shared/index.js';
import { startTestQbittorrent, type TestQbittorrent } from '../../test/helpers/qbittorrent.js';
import type { QbittorrentLine } from '../testkit/index.js';
import { createQbittorrentDaemon } from './qbittorrent.js';

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmartnodeError);
  return (error as SmartnodeError).code;
}

for (const line of ['bookworm', 'sid'] as QbittorrentLine[]) {
  describe(`qBittorrent WebUI logins (${line})`, () => {
    let q: TestQbittorrent;
    beforeAll(async () => {
      q = await startTestQbittorrent(line, { settings: { 'Preferences/WebUI\\MaxAuthenticationFailCount': '2' } });
    }, 30_000);
    afterAll(async () => {
      await q?.teardown();
    });

    it('names a ban after failed logins, then sends nothing more until it would be over', async () => {
      let sent = 0;
      const counting: HttpTransport = (url, options, read) => {
        sent++;
        return httpRequest(url, options, read);
      };
      const wrong = createQbittorrentDaemon({ url: q.url, username: q.username, password: 'not-it', timeoutMs: 5000, transport: counting });
      expect(await codeOf(wrong.listTorrents())).toBe('DAEMON_AUTH');
      expect(await codeOf(wrong.listTorrents())).toBe('DAEMON_AUTH');
      const banned = await wrong.listTorrents().catch((e: unknown) => e as SmartnodeError);
      expect(banned).toMatchObject({ code: 'DAEMON_LOCKED_OUT', retryable: false });
      expect((banned as SmartnodeError).message).not.toContain('not-it');
      expect(sent).toBe(3);
      expect(await codeOf(wrong.readVersion())).toBe('DAEMON_LOCKED_OUT');
      expect(sent).toBe(3);
      // The ban is the address's, not the password's: the right one is refused too.
      const right = createQbittorrentDaemon({ url: q.url, username: q.username, password: q.password, timeoutMs: 5000 });
      expect(await codeOf(right.readVersion())).toBe('DAEMON_LOCKED_OUT');
    });
  });
}

describe('qBittorrent 5.2+ API key (sid)', () => {
  let q: TestQbittorrent;
  beforeAll(async () => {
    q = await startTestQbittorrent('sid');
  }, 30_000);
  afterAll(async () => {
    await q?.teardown();
  });

  it('works with no login at all, and a wrong key is DAEMON_AUTH', async () => {
    // A key is made by the WebUI (app/rotateAPIKey) for a logged-in user, as a volunteer would.
    const login = await fetch(`${q.url}/api/v2/auth/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: q.username, password: q.password }),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^QBT_SID_\d+=/);
    const rotated = await fetch(`${q.url}/api/v2/app/rotateAPIKey`, { method: 'POST', headers: { cookie } });
    const { apiKey } = (await rotated.json()) as { apiKey: string };
    expect(apiKey).toMatch(/^qbt_/);
    const withKey = createQbittorrentDaemon({ url: q.url, apiKey, timeoutMs: 5000 });
    expect(await withKey.readVersion()).toMatchObject({ version: expect.stringMatching(/^5\./), protocol: 'webui-v2' });
    expect(await withKey.listTorrents()).toEqual([]);
    const badKey = createQbittorrentDaemon({ url: q.url, apiKey: 'qbt_wrong', timeoutMs: 5000 });
    const error = await badKey.readVersion().catch((e: unknown) => e as SmartnodeError);
    expect(error).toMatchObject({ code: 'DAEMON_AUTH' });
    expect((error as SmartnodeError).message).not.toContain('qbt_wrong');
  });
});
