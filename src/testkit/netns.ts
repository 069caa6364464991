/**
 * A private test network: one Linux bridge in the root namespace and N network namespaces,
 * each joined to the bridge by a veth pair. Namespaces, because Transmission 3.00 never dials a
 * peer in 127.0.0.0/8 ("martian"): daemons that all sit on loopback never find each other.
 *
 *   root namespace:  bridge <prefix>br, <subnet>.1/24
 *   namespace <prefix>-d<I>: veth "eth0", <subnet>.(11+I)/24   (host side <prefix>v<I>)
 *
 * Prefix and subnet are claimed per network (netns-claims.ts): unique among all runs on the
 * machine, and a dead run's leftovers are removed by the next network created.
 * No default route, no NAT, no forwarding: the namespaces reach only each other and the bridge.
 * IPv6 is disabled on every interface before it comes up so nothing chatters.
 * Needs root and iproute2.
 */
import { execFile } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CLAIM_DIR, claimNetwork, listClaims, liveClaimPrefixes, takeDeadClaims, usedRangesFrom } from './netns-claims.js';

const execFileAsync = promisify(execFile);

export interface NetworkOptions {
  /** Number of namespaces (1-200). */
  hosts: number;
  /** Who makes this network (a test's name), recorded in its claim for leftover reports. */
  label?: string;
}

export interface NetworkHost {
  /** Namespace name, for `ip netns exec` and startDaemonProcess({ netns }). */
  name: string;
  address: string;
}

export interface TestNetwork {
  readonly prefix: string;
  /** The claimed /24, "10.183.42.0/24". */
  readonly subnet: string;
  readonly bridgeName: string;
  readonly bridgeAddress: string;
  readonly hosts: readonly NetworkHost[];
  /** Kills what runs inside, deletes namespaces and links, verifies they are gone, releases the claim. Idempotent. */
  destroy(options?: { killDeadlineMs?: number }): Promise<void>;
  /** For exit handlers, after the namespaces and links are deleted synchronously. */
  releaseClaimSync(): void;
}

const ARTEFACT = /^(snt[a-z0-9]{6})(?:-d\d+|v\d+|br)$/;

interface Names {
  bridge: string;
  namespace(i: number): string;
  veth(i: number): string;
  isNamespace(name: string): boolean;
  isLink(name: string): boolean;
}

function namesFor(prefix: string): Names {
  const escaped = prefix.replace(/[^A-Za-z0-9]/g, '');
  const nsPattern = new RegExp(`^${escaped}-d\\d+$`);
  const vethPattern = new RegExp(`^${escaped}v\\d+$`);
  return {
    bridge: `${prefix}br`,
    namespace: (i) => `${prefix}-d${i}`,
    veth: (i) => `${prefix}v${i}`,
    isNamespace: (name) => nsPattern.test(name),
    isLink: (name) => name === `${prefix}br` || vethPattern.test(name),
  };
}

export async function createNetwork(options: NetworkOptions): Promise<TestNetwork> {
  if (!Number.isInteger(options.hosts) || options.hosts < 1 || options.hosts > 200) {
    throw new Error(`hosts must be an integer 1-200, got ${String(options.hosts)}`);
  }
  await checkPrerequisites();
  await cleanStale(CLAIM_DIR);
  const used = usedRangesFrom(await ip(['-o', '-4', 'addr', 'show']), await ip(['-4', 'route', 'show', 'table', 'all']));
  const claim = await claimNetwork(options.label ?? 'test', used, CLAIM_DIR);
  const names = namesFor(claim.prefix);

  const bridgeAddress = `${claim.subnet}.1`;
  const hosts: NetworkHost[] = [];
  for (let i = 0; i < options.hosts; i++) {
    hosts.push({ name: names.namespace(i), address: `${claim.subnet}.${11 + i}` });
  }

  let destroyed: Promise<void> | undefined;
  const network: TestNetwork = {
    prefix: claim.prefix,
    subnet: `${claim.subnet}.0/24`,
    bridgeName: names.bridge,
    bridgeAddress,
    hosts,
    destroy(destroyOptions) {
      destroyed ??= teardown(names, destroyOptions?.killDeadlineMs ?? 5000).then(claim.release);
      return destroyed;
    },
    releaseClaimSync: claim.releaseSync,
  };

  try {
    await ip(['link', 'add', names.bridge, 'type', 'bridge']);
    await disableIpv6OnRootLink(names.bridge);
    await ip(['addr', 'add', `${bridgeAddress}/24`, 'dev', names.bridge]);
    await ip(['link', 'set', names.bridge, 'up']);
    for (const [i, host] of hosts.entries()) {
      await ip(['netns', 'add', host.name]);
      // New interfaces in the namespace inherit "default": set it before eth0 arrives.
      await ip([
        'netns',
        'exec',
        host.name,
        'sysctl',
        '-q',
        '-w',
        'net.ipv6.conf.default.disable_ipv6=1',
        'net.ipv6.conf.all.disable_ipv6=1',
      ]);
      await ip(['link', 'add', names.veth(i), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.name]);
      await disableIpv6OnRootLink(names.veth(i));
      await ip(['link', 'set', names.veth(i), 'master', names.bridge]);
      await ip(['link', 'set', names.veth(i), 'up']);
      await ip(['-n', host.name, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
      await ip(['-n', host.name, 'link', 'set', 'eth0', 'up']);
      await ip(['-n', host.name, 'link', 'set', 'lo', 'up']);
    }
  } catch (error) {
    await network.destroy({ killDeadlineMs: 1000 }).catch(() => undefined);
    throw error;
  }
  return network;
}

/** Throws with what to do when the network cannot be built here (tests fail, never skip). */
export async function checkPrerequisites(): Promise<void> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    throw new Error(
      `the swarm test network needs root (uid 0) to create network namespaces, but this runs as uid ${process.getuid()}: ` +
        'run the tests as root (e.g. `sudo npx vitest run ...`) or in a root container',
    );
  }
  try {
    await execFileAsync('ip', ['-V']);
  } catch (error) {
    throw new Error(
      `the swarm test network needs the \`ip\` command from iproute2, which could not be run (${errorText(error)}): ` +
        'install it with `apt-get install iproute2`',
    );
  }
}

/**
 * Removes what dead runs left behind: everything under a dead run's claim, and artefacts of
 * the claimed-name pattern with no claim at all (their run died after releasing it or lost
 * it). Artefacts are listed before claims are read: an artefact seen here existed only after
 * its claim did, so a live run's artefact always finds its live claim.
 */
async function cleanStale(claimDir: string): Promise<void> {
  const artefactPrefixes = new Set([...(await listNamespaces()), ...(await listLinks())].flatMap((name) => ARTEFACT.exec(name)?.[1] ?? []));
  const dead = await takeDeadClaims(claimDir);
  const live = await liveClaimPrefixes(claimDir);
  for (const prefix of artefactPrefixes) {
    if (!live.has(prefix) && !dead.some((d) => d.claim.prefix === prefix)) await teardown(namesFor(prefix), 1000);
  }
  for (const { claim, done } of dead) {
    await teardown(namesFor(claim.prefix), 1000);
    await done();
  }
}

async function teardown(names: Names, killDeadlineMs: number): Promise<void> {
  const namespaces = (await listNamespaces()).filter(names.isNamespace);
  await Promise.all(namespaces.map((ns) => killNamespaceProcesses(ns, killDeadlineMs)));
  // Another run may be cleaning the same dead run's leftovers: only fail on what is still there.
  for (const ns of namespaces) {
    await ip(['netns', 'del', ns]).catch(async (error: unknown) => {
      if ((await listNamespaces()).includes(ns)) throw error;
    });
  }
  for (const link of (await listLinks()).filter(names.isLink)) {
    // A veth vanishes by itself when its peer's namespace goes.
    await ip(['link', 'del', link]).catch(async (error: unknown) => {
      if ((await listLinks()).includes(link)) throw error;
    });
  }
  await verifyGone(names, 'tearing down test network');
}

/** SIGTERM every process in the namespace, SIGKILL whatever survives the deadline. */
export async function killNamespaceProcesses(ns: string, deadlineMs: number): Promise<void> {
  const first = await namespacePids(ns);
  if (first.length === 0) return;
  signalAll(first, 'SIGTERM');
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if ((await namespacePids(ns)).length === 0) return;
    await delay(50);
  }
  signalAll(await namespacePids(ns), 'SIGKILL');
  const killDeadline = Date.now() + 2000;
  let left = await namespacePids(ns);
  while (left.length > 0 && Date.now() < killDeadline) {
    await delay(50);
    left = await namespacePids(ns);
  }
  if (left.length > 0) {
    throw new Error(`processes ${left.join(', ')} in namespace ${ns} survived SIGKILL for 2000 ms`);
  }
}

async function verifyGone(names: Names, what: string): Promise<void> {
  // Namespace and veth removal can lag a few milliseconds behind `ip netns del`.
  const deadline = Date.now() + 3000;
  let left: string[] = [];
  do {
    left = [
      ...(await listNamespaces()).filter(names.isNamespace).map((n) => `namespace ${n}`),
      ...(await listLinks()).filter(names.isLink).map((l) => `link ${l}`),
    ];
    if (left.length === 0) return;
    await delay(50);
  } while (Date.now() < deadline);
  throw new Error(`${what}: still present after 3000 ms: ${left.join(', ')}; remove them by hand (ip netns del / ip link del)`);
}

/** Names of every network namespace (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const out = await ip(['netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}

/** Names of every link in the root namespace. */
export async function listLinks(): Promise<string[]> {
  const out = await ip(['-o', 'link', 'show']);
  const names: string[] = [];
  for (const line of out.split('\n')) {
    const match = /^\d+:\s+([^:@\s]+)/.exec(line);
    if (match?.[1] !== undefined) names.push(match[1]);
  }
  return names;
}

/** Pids of processes inside a namespace; [] if the namespace is gone. */
export async function namespacePids(ns: string): Promise<number[]> {
  try {
    const out = await ip(['netns', 'pids', ns]);
    return out
      .split('\n')
      .map((l) => Number.parseInt(l.trim(), 10))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** Lists everything of a prefix still on the machine (for tests asserting a clean teardown). */
export async function leftoversOf(prefix: string, claimDir = CLAIM_DIR): Promise<string[]> {
  const names = namesFor(prefix);
  const namespaces = (await listNamespaces()).filter(names.isNamespace);
  const pids = (await Promise.all(namespaces.map(namespacePids))).flat();
  return [
    ...namespaces.map((n) => `namespace ${n}`),
    ...(await listLinks()).filter(names.isLink).map((l) => `link ${l}`),
    ...pids.map((p) => `pid ${p}`),
    ...((await listClaims(claimDir)).some((c) => c.prefix === prefix) ? [`claim of ${prefix} in ${claimDir}`] : []),
  ];
}

async function disableIpv6OnRootLink(link: string): Promise<void> {
  const path = `/proc/sys/net/ipv6/conf/${link}/disable_ipv6`;
  try {
    await access(path);
  } catch {
    return; // kernel without IPv6: nothing to disable
  }
  await writeFile(path, '1');
}

async function ip(args: string[]): Promise<string> {
  try {
    const { stdout } = await execFileAsync('ip', args, { timeout: 10_000 });
    return stdout;
  } catch (error) {
    throw new Error(`\`ip ${args.join(' ')}\` failed: ${errorText(error)}`, { cause: error });
  }
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function errorText(error: unknown): string {
  if (error !== null && typeof error === 'object' && 'stderr' in error) {
    const stderr = String((error as { stderr: unknown }).stderr).trim();
    if (stderr.length > 0) return stderr;
  }
  return error instanceof Error ? error.message : String(error);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
