/**
 * `smartnode doctor`: every check an installation needs, each passed, failed (with the fix) or
 * skipped (when an earlier failure makes it meaningless). Reads only: it never adds, changes or
 * removes anything in the daemon, and its state-dir probe removes the file it writes.
 */
import { randomBytes } from 'node:crypto';
import { access, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { createDaemonClient, describeRelease, type DaemonPort, type DaemonVersion } from '../daemon/index.js';
import { detectFeedFormat, fetchFeed, parseFeed } from '../feeds/index.js';
import { loadPolicyFile, resolveSecrets, type FeedPolicy, type Policy } from '../policy/index.js';
import { formatBytes, isSmartnodeError, redactText, redactUrl, type HttpTransport } from '../shared/index.js';
import { controlSocketPath, readAgentStatus } from '../control/index.js';
import { checkWriteAccess, findDaemonProcess, type ProcessIdentity } from './daemon-user.js';
import { checkServiceUnit, checkStateOwnership } from './doctor-service.js';
import { SERVICE_UNIT_PATH } from './service-unit.js';

/** Transmission 2.80 (RPC 15) brought `free-space`; the agent needs it. */
export const MIN_RPC_VERSION = 15;

export type CheckStatus = 'passed' | 'failed' | 'skipped';
export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

export interface DoctorOptions {
  readonly policyPath: string;
  readonly env: NodeJS.ProcessEnv;
  /** The state directory the agent uses (the CLI resolves --state-dir / policy / systemd / XDG). */
  readonly resolveStateDir: (policy: Policy) => string | Promise<string>;
  readonly userAgent: string;
  /** Check ids to report as skipped (e.g. "agent" before the service is started). */
  readonly skip?: ReadonlySet<string>;
  readonly transport?: HttpTransport;
  readonly now?: () => number;
  /** The systemd unit to check when it exists (default /etc/systemd/system/smartnode.service). */
  readonly unitPath?: string;
}

const passed = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'passed', detail });
const failed = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'failed', detail, fix });
const skipped = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'skipped', detail });

export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let policy: Policy;
  try {
    policy = (await loadPolicyFile(options.policyPath)).policy;
    results.push(passed('policy', 'policy is valid', options.policyPath));
  } catch (error) {
    const fix = isSmartnodeError(error) && error.hint !== undefined ? error.hint : 'fix the file, then run `smartnode policy check FILE`';
    results.push(failed('policy', 'policy is valid', describeProblem(error), fix));
    return results;
  }

  results.push(...(await checkDaemon(policy, options)));
  for (const feed of policy.feeds.filter((f) => f.enabled)) results.push(await checkFeed(feed, policy, options));
  const stateDir = await options.resolveStateDir(policy);
  results.push((await checkStateOwnership(stateDir)) ?? (await checkStateDir(stateDir)));
  const unit = await checkServiceUnit(options.unitPath ?? SERVICE_UNIT_PATH, policy, options.policyPath);
  if (unit !== undefined) results.push(unit);
  results.push(
    options.skip?.has('agent') === true
      ? skipped('agent', 'a running agent answers on its control socket', 'skipped (--skip agent)')
      : await checkAgent(stateDir),
  );
  return results;
}

function describeProblem(error: unknown): string {
  return isSmartnodeError(error) ? error.message : error instanceof Error ? error.message : String(error);
}

async function readPassword(policy: Policy, env: NodeJS.ProcessEnv): Promise<{ password?: string; problem?: string }> {
  try {
    const secrets = await resolveSecrets({ ...policy, feeds: [] }, env, (path) => readFile(path, 'utf8'));
    return { password: secrets.rpcPassword };
  } catch (error) {
    return { problem: describeProblem(error) };
  }
}

function isLoopbackUrl(url: string): boolean {
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function rpcPortOf(url: string): number {
  const parsed = new URL(url);
  return parsed.port === '' ? (parsed.protocol === 'https:' ? 443 : 80) : Number(parsed.port);
}

async function checkDaemon(policy: Policy, options: DoctorOptions): Promise<CheckResult[]> {
  const url = redactUrl(policy.daemon.url);
  const secret = await readPassword(policy, options.env);
  const daemon = createDaemonClient({
    client: policy.daemon.client,
    url: policy.daemon.url,
    username: policy.daemon.username,
    password: secret.password,
    timeoutMs: policy.daemon.timeout,
    protocol: policy.daemon.protocol,
    maxAnswerBytes: policy.limits.rpcAnswerMaxBytes,
  });
  const results: CheckResult[] = [];
  const dir = policy.storage.downloadDir;
  const downstream = async (why: string): Promise<CheckResult[]> => [
    skipped('rpc-version', 'RPC version supported', why),
    ...(await checkDownloadDirLocally(policy, why)),
  ];

  let version: DaemonVersion | undefined;
  try {
    version = await daemon.readVersion();
  } catch (error) {
    const code = isSmartnodeError(error) ? error.code : 'INTERNAL';
    const message = redactText(describeProblem(error), secret.password === undefined ? [] : [secret.password]);
    if (code === 'DAEMON_UNREACHABLE' || code === 'DAEMON_PROTOCOL') {
      results.push(
        failed(
          'daemon-reachable',
          'daemon reachable',
          message,
          `start the daemon (sudo systemctl start transmission-daemon) and check daemon.url: ` +
            `its port is rpc-port in the daemon's settings.json, its path rpc-url + "rpc"`,
        ),
      );
      results.push(skipped('credentials', 'credentials accepted', 'the daemon is not reachable'));
      return [...results, ...(await downstream('the daemon is not reachable'))];
    }
    results.push(passed('daemon-reachable', 'daemon reachable', `${url} answers`));
    const fix =
      code === 'DAEMON_LOCKED_OUT' && isSmartnodeError(error) && error.hint !== undefined
        ? error.hint
        : code === 'DAEMON_FORBIDDEN'
          ? `${isSmartnodeError(error) && error.hint !== undefined ? `${error.hint}; ` : ''}edit the daemon's ` +
            `settings.json only while it is stopped (sudo systemctl stop transmission-daemon), then start it`
          : secret.problem !== undefined
            ? "set the password where the policy says (daemon.passwordFile readable by the agent's user, " +
              'or daemon.passwordEnv in its environment)'
            : "put the password set as rpc-password in the daemon's settings.json (before the daemon hashed it) " +
              'in daemon.passwordFile, and daemon.username = rpc-username; or run `smartnode init` again';
    results.push(failed('credentials', 'credentials accepted', secret.problem ?? message, fix));
    return [...results, ...(await downstream('the daemon refused the credentials'))];
  }
  results.push(passed('daemon-reachable', 'daemon reachable', `${url} answers: Transmission ${version.version}`));
  results.push(
    policy.daemon.username === undefined
      ? passed('credentials', 'credentials accepted', 'the daemon asks for none')
      : passed('credentials', 'credentials accepted', `logged in as ${policy.daemon.username}`),
  );
  const release = describeRelease(version);
  const known = release.defects.length === 0 ? '' : `; known defects of this release: ${release.defects.join('; ')}`;
  results.push(
    version.protocol === 'webui-v2'
      ? passed('rpc-version', 'RPC version supported', `${release.line}${known}`)
      : version.rpcVersion >= MIN_RPC_VERSION
        ? passed(
            'rpc-version',
            'RPC version supported',
            `Transmission ${release.line}, ` +
              `RPC version ${version.rpcVersion}${version.rpcVersionSemver === null ? '' : ` (${version.rpcVersionSemver})`} ` +
              `(need ${MIN_RPC_VERSION} or newer)${known}`,
          )
        : failed(
            'rpc-version',
            'RPC version supported',
            `RPC version ${version.rpcVersion} is older than ${MIN_RPC_VERSION}`,
            'upgrade transmission-daemon to 2.80 or newer (Debian bookworm ships 3.00)',
          ),
  );

  let freeBytes: number;
  try {
    freeBytes = await daemon.readFreeSpace(dir);
    results.push(passed('download-dir', 'download dir exists', `${dir} (the daemon sees it)`));
  } catch (error) {
    const who = isLoopbackUrl(policy.daemon.url) ? await findDaemonProcess(rpcPortOf(policy.daemon.url)) : undefined;
    results.push(failed('download-dir', 'download dir exists', describeProblem(error), createDirFix(dir, who)));
    results.push(skipped('download-dir-writable', 'download dir writable by the daemon', 'the directory is missing'));
    results.push(skipped('download-dir-room', 'room for the budget plus reserve', 'the directory is missing'));
    return results;
  }
  results.push(await checkDaemonCanWrite(policy));
  results.push(await checkRoom(policy, daemon, freeBytes));
  return results;
}

function createDirFix(dir: string, who: ProcessIdentity | undefined): string {
  const owner = who?.userName ?? 'debian-transmission';
  return (
    `create it for the daemon's user: sudo install -d -o ${owner} -g ` +
    `${owner} -m 2775 ${dir} (and add the agent's user to group ${owner})`
  );
}

/** When the daemon cannot be asked: what this machine can still say about the directory. */
async function checkDownloadDirLocally(policy: Policy, why: string): Promise<CheckResult[]> {
  const dir = policy.storage.downloadDir;
  const exists = await stat(dir).then(
    (s) => s.isDirectory(),
    () => false,
  );
  return [
    exists
      ? passed('download-dir', 'download dir exists', `${dir} exists on this machine (${why}: not asked)`)
      : failed('download-dir', 'download dir exists', `${dir} does not exist on this machine`, createDirFix(dir, undefined)),
    skipped('download-dir-writable', 'download dir writable by the daemon', why),
    skipped('download-dir-room', 'room for the budget plus reserve', why),
  ];
}

async function checkDaemonCanWrite(policy: Policy): Promise<CheckResult> {
  const title = 'download dir writable by the daemon';
  const dir = policy.storage.downloadDir;
  if (!isLoopbackUrl(policy.daemon.url)) {
    return skipped('download-dir-writable', title, 'the daemon runs on another machine: check there that its user can write the directory');
  }
  const who = await findDaemonProcess(rpcPortOf(policy.daemon.url));
  if (who === undefined) {
    return skipped(
      'download-dir-writable',
      title,
      "cannot tell which user the daemon runs as (run doctor as root or as the daemon's user)",
    );
  }
  const mountinfo = await readFile(`/proc/${who.pid}/mountinfo`, 'utf8').catch(() => undefined);
  const access = await checkWriteAccess(dir, who, mountinfo);
  const user = `${who.userName ?? 'uid'} (uid ${who.uid}, pid ${who.pid})`;
  if (access.ok) return passed('download-dir-writable', title, `the daemon runs as ${user} and can write ${dir}`);
  const owner = who.userName ?? String(who.uid);
  return failed(
    'download-dir-writable',
    title,
    `the daemon runs as ${user}: ${access.reason}`,
    access.reason.includes('read-only')
      ? `give the daemon write access to ${dir} (for a sandboxed unit: ` +
          `ReadWritePaths=${dir} in a drop-in, systemctl edit transmission-daemon)`
      : `sudo chown ${owner}: ${access.blockedAt} && sudo chmod 2775 ${access.blockedAt} (and add the agent's user to the daemon's group)`,
  );
}

async function checkRoom(policy: Policy, daemon: DaemonPort, freeBytes: number): Promise<CheckResult> {
  const title = 'room for the budget plus reserve';
  const { maxBytes, minFreeBytes } = policy.storage;
  const held = (await daemon.listTorrents({ trackerStats: false }).catch(() => []))
    .filter((t) => t.labels.includes(policy.node.label))
    .reduce((sum, t) => sum + Math.max(0, t.sizeWhenDoneBytes - t.leftUntilDoneBytes), 0);
  const available = freeBytes + held;
  const needed = maxBytes + minFreeBytes;
  const figures =
    `${formatBytes(freeBytes)} free + ${formatBytes(held)} already held, ` +
    `budget ${formatBytes(maxBytes)} + reserve ${formatBytes(minFreeBytes)}`;
  if (available >= needed) return passed('download-dir-room', title, figures);
  const fits = Math.max(0, available - minFreeBytes);
  return failed(
    'download-dir-room',
    title,
    `${figures}: ${formatBytes(needed - available)} short`,
    fits > 0
      ? `lower storage.maxBytes to ${formatBytes(fits)} or less, or free space on that filesystem`
      : `free space on that filesystem or lower storage.minFreeBytes`,
  );
}

async function checkFeed(feed: FeedPolicy, policy: Policy, options: DoctorOptions): Promise<CheckResult> {
  const id = `feed:${feed.id}`;
  const title = `feed ${feed.id} fetches and parses`;
  let cookie: string | undefined;
  try {
    const secrets = await resolveSecrets(
      { ...policy, daemon: { ...policy.daemon, passwordEnv: undefined, passwordFile: undefined }, feeds: [feed] },
      options.env,
      (p) => readFile(p, 'utf8'),
    );
    cookie = secrets.feedCookies.get(feed.id);
  } catch (error) {
    return failed(
      id,
      title,
      describeProblem(error),
      `set the variable named by the cookieEnv of feed ${feed.id} in the agent's environment (systemd: EnvironmentFile=)`,
    );
  }
  try {
    const answer = await fetchFeed(feed.url, {
      cookie,
      timeoutMs: policy.limits.fetchTimeout,
      maxBytes: policy.limits.feedMaxBytes,
      userAgent: options.userAgent,
      ...(options.transport === undefined ? {} : { transport: options.transport }),
    });
    if (answer.status !== 'fresh') return passed(id, title, 'not modified');
    const format = feed.format === 'auto' ? detectFeedFormat(answer.text, answer.contentType, feed.url) : feed.format;
    const parsed = await parseFeed(answer.text, {
      format,
      feedId: feed.id,
      feedUrl: feed.url,
      nowMs: (options.now ?? Date.now)(),
      maxItems: policy.limits.feedMaxItems,
    });
    const dropped = parsed.warnings.length === 0 ? '' : `, ${parsed.warnings.length} dropped (e.g. ${parsed.warnings[0]?.message ?? ''})`;
    if (parsed.items.length === 0 && parsed.warnings.length > 0) {
      return failed(id, title, `${redactUrl(feed.url)}: no usable item${dropped}`, 'check that the URL and format point at a torrent feed');
    }
    return passed(id, title, `${redactUrl(feed.url)}: ${parsed.items.length} items as ${format}${dropped}`);
  } catch (error) {
    const hint = isSmartnodeError(error) && error.hint !== undefined ? error.hint : 'check the feed URL';
    return failed(id, title, redactText(describeProblem(error), cookie === undefined ? [] : [cookie]), hint);
  }
}

async function checkStateDir(stateDir: string): Promise<CheckResult> {
  const title = 'state dir writable';
  let existing = stateDir;
  while (
    !(await stat(existing).then(
      () => true,
      () => false,
    ))
  ) {
    if (existing === dirname(existing)) break;
    existing = dirname(existing);
  }
  const probe = join(existing, `.doctor-${randomBytes(4).toString('hex')}`);
  try {
    await access(existing);
    await writeFile(probe, '', { flag: 'wx' });
    await rm(probe, { force: true });
    return passed('state-dir', title, existing === stateDir ? stateDir : `${stateDir} (will be created in ${existing})`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    return failed(
      'state-dir',
      title,
      `${existing}: cannot write (${code})`,
      `make ${stateDir} writable by the agent's user (systemd: StateDirectory=smartnode does it), or pass --state-dir`,
    );
  }
}

async function checkAgent(stateDir: string): Promise<CheckResult> {
  const title = 'a running agent answers on its control socket';
  const socketPath = controlSocketPath(stateDir);
  const start =
    'start it: sudo systemctl start smartnode (or smartnode run --policy FILE); before the first start, run doctor with --skip agent';
  if (
    !(await stat(socketPath).then(
      () => true,
      () => false,
    ))
  ) {
    return failed('agent', title, `no agent is running: no control socket at ${socketPath}`, start);
  }
  try {
    const status = await readAgentStatus(socketPath);
    return passed('agent', title, `${socketPath} answered (node ${status.nodeId})`);
  } catch (error) {
    const hint = isSmartnodeError(error) && error.hint !== undefined ? error.hint : start;
    return failed('agent', title, describeProblem(error), hint);
  }
}

export function summarizeChecks(results: readonly CheckResult[]): { passed: number; failed: number; skipped: number } {
  return {
    passed: results.filter((r) => r.status === 'passed').length,
    failed: results.filter((r) => r.status === 'failed').length,
    skipped: results.filter((r) => r.status === 'skipped').length,
  };
}
