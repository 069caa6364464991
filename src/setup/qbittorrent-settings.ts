/**
 * What `smartnode init` and `doctor` read from an existing qbittorrent-nox's qBittorrent.conf,
 * and what they conclude from it. Pure: text in, facts and advice out. Never writes the file:
 * qBittorrent rewrites it when it exits, so an edit made while it runs is lost.
 *
 * The file is Qt's INI format: `[Section]` headers, `Key\Sub=value` lines, strings sometimes
 * quoted, byte arrays as `@ByteArray(...)`. Keys as qbittorrent-nox 4.4 to 5.x write them:
 * [Preferences] WebUI\Enabled, WebUI\Port, WebUI\Address, WebUI\Username, WebUI\Password_PBKDF2,
 * WebUI\LocalHostAuth, WebUI\AuthSubnetWhitelist(Enabled), WebUI\MaxAuthenticationFailCount;
 * the save path in [BitTorrent] Session\DefaultSavePath (4.4+) or [Preferences] Downloads\SavePath
 * (older). The password hash is never read, only whether one is set.
 */
import type { DaemonSettings, SettingsAdvice } from './daemon-settings.js';

/** The config of a profile directory (`--profile=DIR`, optional `--configuration=NAME`). */
export function qbittorrentConfPath(profileDir: string, configurationName?: string): string {
  const suffix = configurationName === undefined || configurationName === '' ? '' : `_${configurationName}`;
  return `${profileDir}/qBittorrent${suffix}/config/qBittorrent.conf`;
}

/** Where a per-user qbittorrent-nox (Debian's qbittorrent-nox@USER unit) keeps it, in the order init looks. */
export function qbittorrentConfCandidates(home: string): string[] {
  return [`${home}/.config/qBittorrent/qBittorrent.conf`, '/var/lib/qbittorrent-nox/.config/qBittorrent/qBittorrent.conf'];
}

/** Section -> key -> raw value, keys as written (`WebUI\Port`). Later duplicates win. */
export function parseQtIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current = new Map<string, string>();
  sections.set('General', current);
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1] !== undefined) {
      current = sections.get(header[1]) ?? new Map<string, string>();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    current.set(line.slice(0, eq).trim().replace(/\//g, '\\'), value);
  }
  return sections;
}

/** qBittorrent's settings in the shape init and doctor use for either client. */
export interface QbittorrentSettings extends DaemonSettings {
  /** Whether a WebUI password is stored (without one, up to 4.6.0 take admin/adminadmin; 4.6.1+ print a temporary one). */
  readonly passwordSet: boolean;
  /** Subnets that skip authentication (WebUI\AuthSubnetWhitelist), when enabled. */
  readonly authBypassSubnets: string[];
  readonly https: boolean;
}

export function parseQbittorrentSettings(text: string): QbittorrentSettings {
  const ini = parseQtIni(text);
  const pref = (key: string): string | undefined => ini.get('Preferences')?.get(key);
  const flag = (value: string | undefined, fallback: boolean): boolean => (value === undefined ? fallback : value === 'true');
  const port = Number(pref('WebUI\\Port') ?? '8080');
  const address = pref('WebUI\\Address') ?? '*';
  const bypassOn = flag(pref('WebUI\\AuthSubnetWhitelistEnabled'), false);
  const bypass = (pref('WebUI\\AuthSubnetWhitelist') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== '@Invalid()');
  const localHostAuth = flag(pref('WebUI\\LocalHostAuth'), true);
  const username = pref('WebUI\\Username') ?? 'admin';
  const savePath = ini.get('BitTorrent')?.get('Session\\DefaultSavePath') ?? pref('Downloads\\SavePath');
  const failCount = Number(pref('WebUI\\MaxAuthenticationFailCount') ?? '5');
  const bypassesLoopback = bypassOn && bypass.some((s) => /^(127\.|::1|0\.0\.0\.0\/0|::\/0)/.test(s));
  return {
    rpcEnabled: flag(pref('WebUI\\Enabled'), true),
    rpcPort: Number.isInteger(port) && port > 0 && port < 65536 ? port : 8080,
    rpcPath: '/',
    bindAddress: address === '*' || address === '' ? '0.0.0.0' : address,
    authRequired: localHostAuth && !bypassesLoopback,
    username: username === '' ? undefined : username,
    whitelistEnabled: false,
    whitelist: [],
    hostWhitelistEnabled: flag(pref('WebUI\\HostHeaderValidation'), true),
    downloadDir: savePath === undefined || savePath === '' ? undefined : savePath.replace(/\/+$/, '') || '/',
    antiBruteForceEnabled: Number.isFinite(failCount) && failCount > 0,
    keyStyle: 'kebab',
    passwordSet: pref('WebUI\\Password_PBKDF2') !== undefined || pref('WebUI\\Password_ha1') !== undefined,
    authBypassSubnets: bypassOn ? bypass : [],
    https: flag(pref('WebUI\\HTTPS\\Enabled'), false),
  };
}

/** The WebUI origin smartnode, on the same machine, connects to. */
export function webuiUrlFor(settings: QbittorrentSettings): string {
  const host = settings.bindAddress === '0.0.0.0' || settings.bindAddress === '::' ? '127.0.0.1' : settings.bindAddress;
  return `${settings.https ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${settings.rpcPort}`;
}

function editSteps(confPath: string, edit: string, service: string): string[] {
  return [
    `sudo systemctl stop ${service}   # qBittorrent rewrites qBittorrent.conf when it exits: edit only while it is stopped`,
    `sudo editor ${confPath}   # ${edit}`,
    `sudo systemctl start ${service}`,
  ];
}

/** What must change in qBittorrent.conf before smartnode can use the client (empty: nothing). */
export function adviseQbittorrentSettings(settings: QbittorrentSettings, confPath: string, service: string): SettingsAdvice[] {
  const advice: SettingsAdvice[] = [];
  if (!settings.rpcEnabled) {
    advice.push({
      problem: "qBittorrent's WebUI is off (WebUI\\Enabled=false): smartnode drives it through the WebUI API",
      steps: editSteps(confPath, 'under [Preferences] set WebUI\\Enabled=true', service),
    });
  }
  if (!settings.authRequired) {
    advice.push({
      problem:
        'the WebUI lets this machine in without a password (WebUI\\LocalHostAuth=false or a whitelisted subnet): ' +
        'any local user controls the client',
      steps: editSteps(confPath, 'under [Preferences] set WebUI\\LocalHostAuth=true and WebUI\\AuthSubnetWhitelistEnabled=false', service),
    });
  }
  if (!settings.passwordSet) {
    advice.push({
      problem:
        'no WebUI password is stored: qbittorrent-nox up to 4.6.0 then takes the well-known admin/adminadmin, ' +
        'and 4.6.1+ prints a temporary one at each start, which changes on restart',
      steps: [
        "open the WebUI with the temporary password from the client's log (journalctl -u " +
          `${service}), Tools > Options > WebUI, and set a password of your own`,
      ],
    });
  }
  return advice;
}
