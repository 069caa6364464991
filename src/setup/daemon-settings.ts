/**
 * What `smartnode init` reads from an existing transmission-daemon's settings.json, and what it
 * concludes from it. Pure: text in, facts and advice out. Never writes the file: the daemon
 * rewrites settings.json when it stops, so an edit made while it runs is lost (init prints the
 * steps instead, daemon stopped first). Keys as in Transmission's docs/Editing-Configuration-Files.md:
 * kebab-case (`rpc-port`) through 4.0; 4.1 reads both and may write snake_case (`rpc_port`),
 * so snake_case keys are read as their kebab-case names, and advice names keys as the file does.
 */
import { z } from 'zod';
import { SmartnodeError } from '../shared/index.js';

/** Where Debian's package and a per-user daemon keep it, in the order init looks. */
export function settingsCandidates(home: string): string[] {
  return [
    '/etc/transmission-daemon/settings.json',
    '/var/lib/transmission-daemon/.config/transmission-daemon/settings.json',
    `${home}/.config/transmission-daemon/settings.json`,
  ];
}

const settingsSchema = z.looseObject({
  'rpc-enabled': z.boolean().default(true),
  'rpc-port': z.number().int().min(1).max(65535).default(9091),
  'rpc-url': z.string().default('/transmission/'),
  'rpc-bind-address': z.string().default('0.0.0.0'),
  'rpc-authentication-required': z.boolean().default(false),
  'rpc-username': z.string().default(''),
  'rpc-whitelist-enabled': z.boolean().default(true),
  'rpc-whitelist': z.string().default('127.0.0.1,::1'),
  'rpc-host-whitelist-enabled': z.boolean().default(true),
  'rpc-host-whitelist': z.string().default(''),
  'download-dir': z.string().optional(),
  // 4.x: after anti-brute-force-threshold failed logins every request gets 403.
  'anti-brute-force-enabled': z.boolean().default(false),
});

/** `rpc_port` -> `rpc-port`; a key written both ways keeps its kebab-case value. */
function kebabKeys(raw: unknown): { raw: unknown; snake: boolean } {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { raw, snake: false };
  const out: Record<string, unknown> = { ...(raw as Record<string, unknown>) };
  let snake = false;
  for (const [key, value] of Object.entries(raw)) {
    if (!key.includes('_') || key.includes('-')) continue;
    snake = true;
    const kebab = key.replace(/_/g, '-');
    if (!(kebab in out)) out[kebab] = value;
  }
  return { raw: out, snake };
}

export interface DaemonSettings {
  readonly rpcEnabled: boolean;
  readonly rpcPort: number;
  /** The base path, e.g. "/transmission/"; the endpoint is `${rpcPath}rpc`. */
  readonly rpcPath: string;
  readonly bindAddress: string;
  readonly authRequired: boolean;
  readonly username: string | undefined;
  readonly whitelistEnabled: boolean;
  readonly whitelist: string[];
  readonly hostWhitelistEnabled: boolean;
  readonly downloadDir: string | undefined;
  readonly antiBruteForceEnabled: boolean;
  /** The file's key style: snake_case (4.1) or kebab-case; advice names keys the same way. */
  readonly keyStyle: 'kebab' | 'snake';
}

/** Parses settings.json text. The hashed rpc-password is never read. SETUP_MISSING when it is not JSON. */
export function parseDaemonSettings(text: string, fileName: string): DaemonSettings {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new SmartnodeError('SETUP_MISSING', `${fileName} is not valid JSON`, {
      hint: "pass the daemon's settings.json with --settings PATH",
      cause: error,
    });
  }
  const normalized = kebabKeys(raw);
  const parsed = settingsSchema.safeParse(normalized.raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new SmartnodeError(
      'SETUP_MISSING',
      `${fileName}: ${issue === undefined ? 'unexpected content' : `${issue.path.join('.')}: ${issue.message}`}`,
      {
        hint: "is this transmission-daemon's settings.json?",
      },
    );
  }
  const s = parsed.data;
  const rpcPath = s['rpc-url'].endsWith('/') ? s['rpc-url'] : `${s['rpc-url']}/`;
  return {
    rpcEnabled: s['rpc-enabled'],
    rpcPort: s['rpc-port'],
    rpcPath: rpcPath.startsWith('/') ? rpcPath : `/${rpcPath}`,
    bindAddress: s['rpc-bind-address'],
    authRequired: s['rpc-authentication-required'],
    username: s['rpc-username'] === '' ? undefined : s['rpc-username'],
    whitelistEnabled: s['rpc-whitelist-enabled'],
    whitelist: s['rpc-whitelist']
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
    hostWhitelistEnabled: s['rpc-host-whitelist-enabled'],
    downloadDir: s['download-dir'],
    antiBruteForceEnabled: s['anti-brute-force-enabled'],
    keyStyle: normalized.snake ? 'snake' : 'kebab',
  };
}

/** Whether the whitelist lets smartnode, on this machine, in (a 403 then is not the whitelist). */
export function whitelistLetsIn(settings: DaemonSettings): boolean {
  return !settings.whitelistEnabled || whitelistAllows(settings.whitelist, rpcHostFor(settings.bindAddress));
}

/** The address smartnode, on the same machine, connects to: loopback unless bound elsewhere. */
export function rpcHostFor(bindAddress: string): string {
  if (bindAddress === '0.0.0.0' || bindAddress === '' || bindAddress === '::' || bindAddress === '::0') return '127.0.0.1';
  return bindAddress;
}

export function rpcUrlFor(settings: DaemonSettings): string {
  const host = rpcHostFor(settings.bindAddress);
  return `http://${host.includes(':') ? `[${host}]` : host}:${settings.rpcPort}${settings.rpcPath}rpc`;
}

/** Transmission's whitelist matching: comma-separated addresses, `*` matches any run of characters. */
export function whitelistAllows(whitelist: readonly string[], address: string): boolean {
  return whitelist.some((entry) => {
    const pattern = entry
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    return new RegExp(`^${pattern}$`).test(address);
  });
}

/** A change the owner must make in settings.json, as exact steps (daemon stopped first). */
export interface SettingsAdvice {
  readonly problem: string;
  readonly steps: string[];
}

function editSteps(settingsPath: string, edit: string, service: string): string[] {
  return [
    `sudo systemctl stop ${service}   # the daemon rewrites settings.json when it stops: edit only while it is stopped`,
    `sudo editor ${settingsPath}   # ${edit}`,
    `sudo systemctl start ${service}`,
  ];
}

/** What must change in settings.json before smartnode can use the daemon (empty: nothing). */
export function adviseSettings(settings: DaemonSettings, settingsPath: string, service = 'transmission-daemon'): SettingsAdvice[] {
  const advice: SettingsAdvice[] = [];
  const named = (a: SettingsAdvice): SettingsAdvice =>
    settings.keyStyle === 'kebab'
      ? a
      : {
          problem: snakeNames(a.problem),
          steps: a.steps.map((step) =>
            step.includes('# ') ? `${step.slice(0, step.indexOf('# '))}${snakeNames(step.slice(step.indexOf('# ')))}` : step,
          ),
        };
  if (!settings.rpcEnabled) {
    advice.push({
      problem: "the daemon's RPC is off (rpc-enabled is false)",
      steps: editSteps(settingsPath, 'set "rpc-enabled": true', service),
    });
  }
  const client = rpcHostFor(settings.bindAddress);
  if (settings.whitelistEnabled && !whitelistAllows(settings.whitelist, client)) {
    const next = [...settings.whitelist, client].join(',');
    advice.push({
      problem: `rpc-whitelist (${settings.whitelist.join(',') || 'empty'}) does not let ${client} in`,
      steps: editSteps(settingsPath, `set "rpc-whitelist": "${next}"`, service),
    });
  }
  if (!settings.authRequired) {
    advice.push({
      problem: 'the RPC needs no password (rpc-authentication-required is false): anyone who can reach it controls the daemon',
      steps: editSteps(
        settingsPath,
        'set "rpc-authentication-required": true, "rpc-username": "<name>", "rpc-password": "<password>" (the daemon hashes it on start)',
        service,
      ),
    });
  }
  return advice.map(named);
}

/** The settings keys advice mentions, as a snake_case file writes them. */
function snakeNames(text: string): string {
  return text.replace(/\b(rpc-[a-z-]+)/g, (key) => key.replace(/-/g, '_'));
}
