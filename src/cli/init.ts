/**
 * `smartnode init`: from an existing transmission-daemon to a checked, commented policy.
 * Interactive (Ink prompts) on a terminal, or `--yes` with flags. Reads the daemon's
 * settings.json and never writes it; where it needs a change, prints the steps.
 */
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { createElement } from 'react';
import { parseSize } from '../policy/index.js';
import { SmartnodeError } from '../shared/index.js';
import { formatBytes, redactText } from '../shared/index.js';
import {
  checkDaemonConnection,
  findLocalDaemonUser,
  proposeDownloadDirs,
  readDaemonSettingsFile,
  SERVICE_STATE_DIR,
  suggestMaxSize,
  writeInitFiles,
  type DirProposal,
} from '../setup/index.js';
import {
  AT_COOKIE_ENV,
  checkAtApiKey,
  feedsFromFlags,
  renderInitPolicy,
  SUGGESTED_FEEDS,
  withAtCookieEnv,
  type FeedChoice,
  type PasswordSource,
} from '../setup/index.js';
import { DEFAULT_POLICY_PATH } from './doctor.js';
import type { CliIO } from './io.js';
import type { WizardAnswers, WizardProps } from './init/wizard.js';
import { forgetCiEnvironment } from './interactive.js';

interface InitFlags {
  settings?: string;
  policy: string;
  url?: string;
  username?: string;
  passwordFile?: string;
  passwordEnv?: string;
  downloadDir?: string;
  maxSize?: string;
  minFree: string;
  feed: string[];
  atKeyEnv?: string;
  stateDir?: string;
  yes?: boolean;
  force?: boolean;
}

export interface InitDeps {
  /** Whether prompts can be shown (stdin and stdout are terminals). */
  readonly interactive: boolean;
  readonly home: string;
  /** Renders the wizard and resolves with its answers (undefined: the owner cancelled). */
  readonly runWizard?: (props: Omit<WizardProps, 'onDone'>) => Promise<WizardAnswers | undefined>;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];
// Beside dist/ in the installed package (and in a checkout).
const SCHEMA_PATH = fileURLToPath(new URL('../../policies/policy.schema.json', import.meta.url));

export function registerInitCommand(program: Command, io: CliIO, deps: InitDeps): void {
  program
    .command('init')
    .description('Write a policy for the transmission-daemon already running here (reads its settings.json, never edits it).')
    .option(
      '--settings <file>',
      "the daemon's settings.json (default: /etc/transmission-daemon/settings.json, then ~/.config/transmission-daemon/)",
    )
    .option('-p, --policy <file>', 'policy file to write', DEFAULT_POLICY_PATH)
    .option('--url <url>', 'RPC URL (default: from settings.json)')
    .option('--username <name>', 'RPC user name (default: rpc-username from settings.json)')
    .option('--password-file <file>', 'file holding the RPC password (created with mode 0600 when the password is typed)')
    .option('--password-env <name>', 'NAME of an environment variable holding the RPC password (the policy names it)')
    .option('--download-dir <dir>', 'download directory (default: the best proposal)')
    .option('--max-size <size>', 'disk budget, e.g. "500 GB" (default: half of what is free beyond the reserve)')
    .option('--min-free <size>', 'free space always kept on that filesystem', '50 GB')
    .option(
      '--feed <url>',
      "a feed URL or Academic Torrents collection name (repeatable; selected in the wizard; with --yes the default is SciOp's unseeded feed)",
      collect,
      [],
    )
    .option(
      '--at-key-env <name>',
      'NAME of an environment variable holding your Academic Torrents API key (the policy names it on Academic Torrents feeds; not asked then)',
    )
    .option('--state-dir <dir>', 'agent state directory to write as node.stateDir')
    .option('-y, --yes', 'no prompts: take flags and defaults')
    .option('--force', 'replace an existing policy file')
    .action(async (flags: InitFlags) => {
      await runInit(flags, io, deps);
    });
}

async function runInit(flags: InitFlags, io: CliIO, deps: InitDeps): Promise<void> {
  const say = (line = ''): void => {
    io.stdout.write(`${line}\n`);
  };
  const interactive = flags.yes !== true;
  if (interactive && (!deps.interactive || deps.runWizard === undefined)) {
    throw new SmartnodeError('SETUP_MISSING', 'init needs a terminal to ask its questions', {
      hint: 'run it in a terminal, or pass --yes with --password-file/--password-env, --download-dir, --max-size and --feed',
    });
  }
  const minFree = parseSize(flags.minFree);
  if (!minFree.ok) throw new SmartnodeError('POLICY_INVALID', `--min-free: ${minFree.error}`);
  if (flags.maxSize !== undefined && !parseSize(flags.maxSize).ok)
    throw new SmartnodeError('POLICY_INVALID', `--max-size: expected a size like "500 GB", got ${JSON.stringify(flags.maxSize)}`);
  const policyPath = resolve(flags.policy);

  const found = await readDaemonSettingsFile(flags.settings, deps.home);
  const rpcUrl = flags.url ?? found.rpcUrl;
  const username = found.settings.authRequired ? (flags.username ?? found.settings.username) : flags.username;
  const isQbt = found.client === 'qbittorrent';
  say(
    `read ${found.path} (not changed): ${isQbt ? 'qbittorrent-nox WebUI' : 'RPC'} ${rpcUrl}, ` +
      `authentication ${found.settings.authRequired ? `on as ${username ?? '?'}` : 'off'}, ` +
      `download-dir ${found.settings.downloadDir ?? 'unset'}`,
  );
  for (const advice of found.advice) {
    say(`${isQbt ? 'qBittorrent.conf' : 'settings.json'} needs a change: ${advice.problem}. Steps:`);
    for (const step of advice.steps) say(`  ${step}`);
  }

  // The password: from a file or a variable the policy will name, or typed in the wizard.
  let password: string | undefined;
  let source: PasswordSource = { kind: 'none' };
  let passwordToWrite: string | undefined;
  const passwordFile = resolve(flags.passwordFile ?? join(dirname(policyPath), 'rpc-password'));
  // Beside the policy: /etc/smartnode/environment is the unit's EnvironmentFile=.
  const environmentFile = join(dirname(policyPath), 'environment');
  if (flags.passwordEnv !== undefined) {
    password = io.env[flags.passwordEnv];
    if (password === undefined || password === '')
      throw new SmartnodeError(
        'SECRET_MISSING',
        'the environment variable named by --password-env is not set (it takes the NAME of a variable, never the password)',
        { hint: 'set it for this command too, so init can check the connection' },
      );
    source = { kind: 'env', name: flags.passwordEnv };
  } else if (
    flags.passwordFile !== undefined &&
    (await stat(passwordFile).then(
      () => true,
      () => false,
    ))
  ) {
    password = (await readFile(passwordFile, 'utf8')).replace(/\r?\n$/, '');
    source = { kind: 'file', path: passwordFile };
  } else if (found.settings.authRequired && !interactive) {
    throw new SmartnodeError('SECRET_MISSING', 'the daemon requires a password and none was given', {
      hint:
        'pass --password-file FILE (one line, mode 0600) or --password-env NAME; ' +
        `the password in ${isQbt ? 'qBittorrent.conf' : 'settings.json'} is hashed and cannot be read back`,
    });
  }
  const askPassword = found.settings.authRequired && password === undefined;
  const secrets = (): string[] => (password === undefined ? [] : [password]);

  if (!askPassword) {
    const check = await checkDaemonConnection(rpcUrl, username, password, found.settings, found.client);
    if (!check.ok) {
      const { error } = check;
      throw new SmartnodeError(error.code, `nothing written: ${redactText(error.message, secrets())}`, {
        hint: error.hint ?? 'start the daemon and run init again',
      });
    }
    say(
      check.version.protocol === 'webui-v2'
        ? `connected: qBittorrent ${check.version.version}, WebUI API v2`
        : `connected: Transmission ${check.version.version}, ` +
            `RPC version ${check.version.rpcVersionSemver ?? check.version.rpcVersion} ` +
            `(${check.version.protocol === 'json-rpc' ? 'JSON-RPC 2.0' : 'old protocol'})`,
    );
  }

  const daemonUser = await findLocalDaemonUser(rpcUrl, found.client);
  const proposals = await proposeDownloadDirs(found.settings, daemonUser, flags.downloadDir === undefined ? [] : [flags.downloadDir]);
  const suggest = (dir: DirProposal | undefined): string => flags.maxSize ?? suggestMaxSize(dir?.freeBytes ?? 0, minFree.value);
  if (flags.atKeyEnv !== undefined) checkAtKeyEnv(flags.atKeyEnv, io.env);
  const { feeds: flagFeeds, problems: feedProblems } = feedsFromFlags(flags.feed);
  if (feedProblems.length > 0)
    throw new SmartnodeError('POLICY_INVALID', `nothing written: ${feedProblems.join('; ')}`, {
      hint: 'give --feed a feed URL (https://...) or an Academic Torrents collection name such as medical',
    });

  let downloadDir: string;
  let maxSize: string;
  let feeds: readonly FeedChoice[];
  let atApiKey: string | undefined;
  if (interactive && deps.runWizard !== undefined) {
    const answers = await deps.runWizard({
      rpcUrl,
      username,
      askPassword,
      proposals,
      suggestMaxSize: suggest,
      policyPath,
      initialFeeds: flagFeeds,
      askAtKey: flags.atKeyEnv === undefined,
      check: (typed) => checkDaemonConnection(rpcUrl, username, typed ?? password, found.settings, found.client),
    });
    if (answers === undefined) {
      say('nothing written');
      return;
    }
    if (answers.password !== undefined) {
      password = answers.password;
      passwordToWrite = answers.password;
      source = { kind: 'file', path: passwordFile };
    }
    ({ downloadDir, maxSize, feeds, atApiKey } = answers);
  } else {
    const chosen = proposals[0];
    downloadDir = resolve(flags.downloadDir ?? chosen?.path ?? '/srv/smartnode');
    maxSize = suggest(proposals.find((p) => p.path === downloadDir));
    feeds = flagFeeds.length > 0 ? flagFeeds : SUGGESTED_FEEDS.slice(0, 1);
  }

  const text = renderInitPolicy({
    client: found.client,
    rpcUrl,
    username,
    password: source,
    downloadDir,
    maxSize,
    minFree: flags.minFree,
    feeds: withAtCookieEnv(feeds, flags.atKeyEnv ?? (atApiKey === undefined ? undefined : AT_COOKIE_ENV)),
    stateDir: flags.stateDir === undefined ? defaultStateDirFor(policyPath) : resolve(flags.stateDir),
    settingsPath: found.path,
    schemaPath: (await stat(SCHEMA_PATH).then(
      () => true,
      () => false,
    ))
      ? SCHEMA_PATH
      : undefined,
  });
  const policy = await writeInitFiles({
    policyPath,
    policyText: text,
    force: flags.force === true,
    ...(passwordToWrite === undefined ? {} : { password: { path: passwordFile, value: passwordToWrite } }),
    ...(atApiKey === undefined ? {} : { environment: { path: environmentFile, name: AT_COOKIE_ENV, value: atApiKey } }),
  });
  if (atApiKey !== undefined)
    say(
      `wrote ${environmentFile} (mode 0600: your Academic Torrents API key as ${AT_COOKIE_ENV}, ` +
        'read by the service through EnvironmentFile=; the policy names only the variable, on its Academic Torrents feeds)',
    );
  if (passwordToWrite !== undefined) say(`wrote ${passwordFile} (mode 0600: the RPC password, read by the agent only)`);
  say(
    `wrote ${policyPath}: ${policy.feeds.length} feed(s), up to ${formatBytes(policy.storage.maxBytes)} in ${policy.storage.downloadDir}`,
  );

  const proposal = (await proposeDownloadDirs(found.settings, daemonUser, [downloadDir])).find((p) => p.path === downloadDir);
  const owner = daemonUser?.userName ?? 'debian-transmission';
  say();
  say('Next:');
  if (proposal !== undefined && (!proposal.exists || proposal.daemonCanWrite === false)) {
    say(`  sudo install -d -o ${owner} -g ${owner} -m 2775 ${downloadDir}   # the daemon writes here; its group lets the agent tidy up`);
  }
  say('  sudo useradd --system --home-dir /var/lib/smartnode --shell /usr/sbin/nologin smartnode   # once');
  say(`  sudo usermod -a -G ${owner} smartnode`);
  if (source.kind === 'file') say(`  sudo chown smartnode: ${source.path}`);
  if (atApiKey !== undefined)
    say(`  sudo chown smartnode: ${environmentFile}   # to run the agent by hand too: set -a; . ${environmentFile}`);
  say(`  smartnode doctor --policy ${policyPath} --skip agent`);
  say(`  sudo smartnode service --policy ${policyPath}   # the unit, with this install's paths and ${downloadDir}`);
  say('  sudo systemctl daemon-reload && sudo systemctl enable --now smartnode');
  say(`  sudo smartnode doctor --policy ${policyPath}`);
  say('  sudo smartnode status');
}

/**
 * The state dir a policy names by default: the service's (systemd's StateDirectory=smartnode)
 * for a system-wide policy under /etc, which the unit runs with, so `status`, `doctor` and
 * `plan --policy` find the service's agent; none (the user's own default) for any other.
 */
export function defaultStateDirFor(policyPath: string): string | undefined {
  return policyPath.startsWith('/etc/') ? SERVICE_STATE_DIR : undefined;
}

/** The variable --at-key-env names: set here too, holding a key of the right shape (never printed). */
function checkAtKeyEnv(name: string, env: CliIO['env']): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new SmartnodeError('POLICY_INVALID', '--at-key-env takes the NAME of an environment variable (letters, digits and _)', {
      hint: 'put the key in a variable, e.g. SMARTNODE_AT_COOKIE, and pass its name',
    });
  const value = env[name];
  const wrong = value === undefined || value === '' ? 'is not set' : checkAtApiKey(value) === undefined ? undefined : 'does not hold a key';
  if (wrong !== undefined)
    throw new SmartnodeError('SECRET_MISSING', `the environment variable named by --at-key-env ${wrong}`, {
      hint: 'set it for init too, to your key as Academic Torrents shows it: uid=NUMBER;pass=HEX',
    });
}

/** The real wizard: Ink on the process's terminal. */
export async function runInkWizard(props: Omit<WizardProps, 'onDone'>): Promise<WizardAnswers | undefined> {
  forgetCiEnvironment();
  const [{ render }, { InitWizard }] = await Promise.all([import('ink'), import('./init/wizard.js')]);
  return new Promise((resolveAnswers) => {
    let answers: WizardAnswers | undefined;
    const app = render(
      createElement(InitWizard, {
        ...props,
        onDone: (a) => {
          answers = a;
          app.unmount();
        },
      }),
    );
    app.waitUntilExit().then(
      () => resolveAnswers(answers),
      () => resolveAnswers(undefined),
    );
  });
}

export function defaultInitDeps(): InitDeps {
  return { interactive: process.stdin.isTTY === true && process.stdout.isTTY === true, home: homedir(), runWizard: runInkWizard };
}
