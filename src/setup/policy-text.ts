/**
 * The commented policy `smartnode init` writes, from the owner's answers. Pure. Every value is
 * quoted through JSON (a valid YAML scalar), so an odd path or URL cannot break the file; the
 * result is validated by the policy parser before anything is written (see init.ts).
 */
import type { FeedFormat } from '../policy/index.js';

export interface FeedChoice {
  readonly id: string;
  readonly url: string;
  readonly format: FeedFormat;
  readonly title: string;
  /** The NAME of the variable holding this feed's cookie (set only on Academic Torrents feeds, see feed-choices.ts). */
  readonly cookieEnv?: string;
}

export type PasswordSource =
  | { readonly kind: 'none' }
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'env'; readonly name: string };

export interface InitAnswers {
  /** The client found running here; transmission when absent. */
  readonly client?: 'transmission' | 'qbittorrent';
  readonly rpcUrl: string;
  readonly username: string | undefined;
  readonly password: PasswordSource;
  readonly downloadDir: string;
  /** As the owner wrote them ("500 GB"). */
  readonly maxSize: string;
  readonly minFree: string;
  readonly feeds: readonly FeedChoice[];
  readonly stateDir: string | undefined;
  /** Where the settings were read, named in the header comment. */
  readonly settingsPath: string | undefined;
  /** Absolute path of the installed policies/policy.schema.json, for editors. */
  readonly schemaPath: string | undefined;
}

/** A feed id from a URL: its last path segment, lowercased, without extension ("datasets"). */
export function feedIdFromUrl(url: string, taken: ReadonlySet<string> = new Set()): string {
  let base = 'feed';
  try {
    const parsed = new URL(url);
    const last =
      parsed.pathname
        .split('/')
        .filter((s) => s !== '')
        .pop() ?? parsed.hostname;
    base =
      last
        .replace(/\.[a-z0-9]+$/i, '')
        .toLowerCase()
        .replace(/[^a-z0-9_-]+/g, '-')
        .replace(/^-+|-+$/g, '')
        .slice(0, 56) || 'feed';
  } catch {
    // not a URL: the policy check names the problem
  }
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}

/** The format to write for a URL: explicit for the shapes we know, "auto" otherwise. */
export function feedFormatFromUrl(url: string): FeedFormat {
  const path = url.split('?')[0]?.toLowerCase() ?? '';
  if (path.endsWith('.csv')) return 'at-csv';
  if (path.endsWith('.rss') || path.endsWith('.xml')) return 'rss';
  if (path.endsWith('.json')) return 'json';
  return 'auto';
}

const q = (value: string): string => JSON.stringify(value);

export function renderInitPolicy(answers: InitAnswers): string {
  const lines = [
    ...(answers.schemaPath === undefined ? [] : [`# yaml-language-server: $schema=${answers.schemaPath}`, '#']),
    `# smartnode policy written by \`smartnode init\`${answers.settingsPath === undefined ? '.' : ` from ${answers.settingsPath}.`}`,
    "# Every key is explained in policies/default.yaml and in the README's policy reference.",
    '# Check it with:  smartnode policy check <this file>   and the whole setup with:  smartnode doctor',
    '',
    'version: 1',
    '',
  ];
  if (answers.stateDir !== undefined) {
    lines.push(
      'node:',
      '  # Agent state (what it owns, what it intended). The systemd unit gives it /var/lib/smartnode.',
      `  stateDir: ${q(answers.stateDir)}`,
      '',
    );
  }
  if (answers.client === 'qbittorrent') {
    lines.push(
      'daemon:',
      '  # The qbittorrent-nox already running here, through its WebUI (WebUI\\Address, WebUI\\Port of its qBittorrent.conf).',
      '  client: qbittorrent',
      `  url: ${q(answers.rpcUrl)}`,
    );
    if (answers.username !== undefined) lines.push(`  username: ${q(answers.username)}          # WebUI\\Username`);
  } else {
    lines.push(
      'daemon:',
      '  # The transmission-daemon already running here (rpc-bind-address, rpc-port, rpc-url of its settings.json).',
      `  url: ${q(answers.rpcUrl)}`,
    );
    if (answers.username !== undefined) lines.push(`  username: ${q(answers.username)}          # rpc-username`);
  }
  if (answers.password.kind === 'file') {
    lines.push(
      '  # The RPC password is never written here: this file (mode 0600) holds it on one line.',
      `  passwordFile: ${q(answers.password.path)}`,
    );
  } else if (answers.password.kind === 'env') {
    lines.push(
      '  # The RPC password is never written here: this environment variable holds it.',
      `  passwordEnv: ${answers.password.name}`,
    );
  }
  lines.push(
    '',
    'storage:',
    '  # The agent downloads into per-torrent folders here; it owns what it adds and nothing else.',
    `  downloadDir: ${q(answers.downloadDir)}`,
    '  # Disk budget: the full size of every torrent the agent holds stays within this.',
    `  maxBytes: ${q(answers.maxSize)}`,
    '  # Always leave this much free on that filesystem, whatever the budget.',
    `  minFreeBytes: ${q(answers.minFree)}`,
    '',
    '# Where candidates come from. Each feed may also take maxBytes / maxTorrents (its own quota)',
    '# and cookieEnv (the NAME of a variable holding a "uid=..;pass=.." cookie, for Academic Torrents).',
    'feeds:',
  );
  for (const feed of answers.feeds) {
    lines.push(`  - id: ${feed.id}`, `    url: ${q(feed.url)}`, `    format: ${feed.format}`);
    if (feed.cookieEnv !== undefined) lines.push(`    cookieEnv: ${feed.cookieEnv}   # your API key, for the "hosted by" credit`);
  }
  lines.push(
    '',
    '# Defaults, written out so they are easy to change:',
    'scoring:',
    '  targetSeeders: 5        # a torrent with this many seeders needs no help',
    '  minSeedTime: 3d         # never drop a torrent before it seeded this long',
    'intervals:',
    '  tick: 15m               # how often the agent reconciles',
    '',
  );
  return lines.join('\n');
}
