import { describe, expect, it } from 'vitest';
import { clientOfProcess, clientOfProgram, homeOf, qbittorrentConfFromArgs } from './detect-client.js';
import { adviseQbittorrentSettings, parseQbittorrentSettings, parseQtIni, webuiUrlFor } from './qbittorrent-settings.js';

// As qbittorrent-nox 4.5.2 (Debian 12) rewrote it on exit, plus a password set in its options
// and Debian's user layout; the hash is a made-up one of the real shape.
const BOOKWORM = String.raw`[BitTorrent]
Session\DefaultSavePath=/home/volunteer/Downloads/
Session\Port=6881
Session\QueueingSystemEnabled=true

[LegalNotice]
Accepted=true

[Meta]
MigrationVersion=4

[Preferences]
Connection\UPnP=false
WebUI\Address=*
WebUI\Password_PBKDF2="@ByteArray(ARQ77eY1NUZaQsuDHbIMCA==:0WMRkYTUWVT9wVvdDtHAjU9b3b7uB8NR1Gur2hmQCvCDpm39Q+PsJRJPaCU51dEiz+dTzh8qbPsL8WkFljQYFQ==)"
WebUI\Port=8080
WebUI\Username=volunteer
`;

describe('parseQbittorrentSettings', () => {
  it('reads the WebUI port, address, user, save path and that a password is set, never the hash', () => {
    const s = parseQbittorrentSettings(BOOKWORM);
    expect(s).toMatchObject({
      rpcEnabled: true,
      rpcPort: 8080,
      bindAddress: '0.0.0.0',
      authRequired: true,
      username: 'volunteer',
      downloadDir: '/home/volunteer/Downloads',
      passwordSet: true,
      antiBruteForceEnabled: true,
      https: false,
    });
    expect(JSON.stringify(s)).not.toContain('ByteArray');
    expect(webuiUrlFor(s)).toBe('http://127.0.0.1:8080');
    expect(adviseQbittorrentSettings(s, '/c.conf', 'qbittorrent-nox@volunteer')).toEqual([]);
  });

  it('defaults as qbittorrent-nox has them when the file is empty: WebUI on 8080, user admin, no password stored', () => {
    const s = parseQbittorrentSettings('[LegalNotice]\nAccepted=true\n');
    expect(s).toMatchObject({ rpcEnabled: true, rpcPort: 8080, username: 'admin', passwordSet: false, downloadDir: undefined });
    const advice = adviseQbittorrentSettings(s, '/c.conf', 'qbittorrent-nox@v');
    expect(advice.map((a) => a.problem)).toEqual([expect.stringContaining('admin/adminadmin')]);
  });

  it('names a WebUI that lets this machine in without a password, and the exact edit with the client stopped first', () => {
    for (const extra of [
      'WebUI\\LocalHostAuth=false',
      'WebUI\\AuthSubnetWhitelistEnabled=true\nWebUI\\AuthSubnetWhitelist=127.0.0.0/8, 192.168.1.0/24',
    ]) {
      const s = parseQbittorrentSettings(`${BOOKWORM}${extra}\n`);
      expect(s.authRequired, extra).toBe(false);
      const [advice] = adviseQbittorrentSettings(s, '/home/v/.config/qBittorrent/qBittorrent.conf', 'qbittorrent-nox@v');
      expect(advice?.problem).toContain('without a password');
      expect(advice?.steps[0]).toMatch(/^sudo systemctl stop qbittorrent-nox@v /);
      expect(advice?.steps[1]).toContain('WebUI\\LocalHostAuth=true');
    }
    // A whitelisted LAN that does not hold this machine's loopback keeps the password for smartnode.
    expect(
      parseQbittorrentSettings(`${BOOKWORM}WebUI\\AuthSubnetWhitelistEnabled=true\nWebUI\\AuthSubnetWhitelist=192.168.1.0/24\n`)
        .authRequired,
    ).toBe(true);
  });

  it('names a WebUI that is off, and reads HTTPS, a bound address and the pre-4.4 save path', () => {
    const s = parseQbittorrentSettings(
      '[Preferences]\nWebUI\\Enabled=false\nWebUI\\HTTPS\\Enabled=true\nWebUI\\Address=10.0.0.5\nWebUI\\Port=9999\nDownloads\\SavePath=/srv/dl/\n',
    );
    expect(webuiUrlFor(s)).toBe('https://10.0.0.5:9999');
    expect(s.downloadDir).toBe('/srv/dl');
    expect(adviseQbittorrentSettings(s, '/c', 'q')[0]?.problem).toContain('WebUI is off');
  });

  it('parses Qt INI: sections, quoted values, slashes in keys as written by older Qt', () => {
    const ini = parseQtIni('top=1\n[A]\nx/y="q \\"z\\""\n; comment\n[A]\nw=2\n');
    expect(ini.get('General')?.get('top')).toBe('1');
    expect(ini.get('A')?.get('x\\y')).toBe('q "z"');
    expect(ini.get('A')?.get('w')).toBe('2');
  });
});

describe('which client a process is', () => {
  it('by command name (truncated to 15 characters) or, through a loader, by the program on its command line', () => {
    expect(clientOfProgram('transmission-da')).toBe('transmission');
    expect(clientOfProgram('qbittorrent-nox')).toBe('qbittorrent');
    expect(clientOfProgram('nginx')).toBeUndefined();
    expect(clientOfProcess('ld-linux-x86-64', ['/r/ld-linux-x86-64.so.2', '--library-path', '/r/lib', '/r/usr/bin/qbittorrent-nox'])).toBe(
      'qbittorrent',
    );
    expect(clientOfProcess('ld-linux-x86-64', ['/r/ld-linux-x86-64.so.2', '/r/usr/bin/python3'])).toBeUndefined();
  });

  it("finds qBittorrent.conf from --profile / --configuration, else the user's home", () => {
    expect(qbittorrentConfFromArgs(['qbittorrent-nox', '--profile=/p', '--webui-port=1'], '/home/v')).toBe(
      '/p/qBittorrent/config/qBittorrent.conf',
    );
    expect(qbittorrentConfFromArgs(['qbittorrent-nox', '--profile', '/p', '--configuration=two'], undefined)).toBe(
      '/p/qBittorrent_two/config/qBittorrent.conf',
    );
    expect(qbittorrentConfFromArgs(['/usr/bin/qbittorrent-nox'], '/home/v')).toBe('/home/v/.config/qBittorrent/qBittorrent.conf');
    expect(qbittorrentConfFromArgs(['/usr/bin/qbittorrent-nox'], undefined)).toBeUndefined();
    expect(homeOf('root:x:0:0:root:/root:/bin/bash\nv:x:1000:1000::/home/v:/bin/sh\n', 1000)).toBe('/home/v');
  });
});
