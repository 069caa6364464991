/**
 * Builds the agent's dependencies from a policy: the daemon adapter, agent state, event bus,
 * and the live feed/scrape/.torrent sources. The only place that knows how domains plug together.
 */
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createEventBus, type EventBus } from '../agent/events.js';
import { createHttpFeedSource, createHttpTorrentSource, createScrapeCountSource, type HttpLimits } from '../agent/live-sources.js';
import { openAgentState } from '../agent/state.js';
import type { AgentConfig, AgentDeps } from '../agent/tick.js';
import { createTransmissionDaemon } from '../daemon/index.js';
import type { PlanPolicy } from '../plan/index.js';
import { loadPolicyFile, resolveSecrets, type Policy } from '../policy/index.js';
import { createScraper } from '../swarm/index.js';

export const USER_AGENT = 'smartnode/0.1 (+https://github.com/smartnode)';

export interface Runtime {
  policy: Policy;
  policyPath: string;
  deps: AgentDeps;
  config: AgentConfig;
  bus: EventBus;
  stateDir: string;
  /** Secret values, so output paths can redact them if one ever slips into a message. */
  secrets: string[];
}

export async function buildRuntime(options: { policyPath: string; stateDir?: string; env?: NodeJS.ProcessEnv }): Promise<Runtime> {
  const env = options.env ?? process.env;
  const policyPath = resolve(options.policyPath);
  const loaded = await loadPolicyFile(policyPath);
  const policy = loaded.policy;
  const secrets = await resolveSecrets(policy, env, (path) => readFile(path, 'utf8'));
  const stateDir = resolveStateDir(options.stateDir, policy.node.stateDir, env);

  const bus = createEventBus();
  const clock = (): number => Date.now();
  const state = openAgentState(stateDir);
  const daemon = createTransmissionDaemon({
    url: policy.daemon.url,
    username: policy.daemon.username,
    password: secrets.rpcPassword,
    timeoutMs: policy.daemon.timeout,
  });
  const limits: HttpLimits = {
    timeoutMs: policy.limits.fetchTimeout,
    feedMaxBytes: policy.limits.feedMaxBytes,
    torrentFileMaxBytes: policy.limits.torrentFileMaxBytes,
    userAgent: USER_AGENT,
  };
  const enabledFeeds = policy.feeds.filter((f) => f.enabled);
  const extraTrackers = new Map(enabledFeeds.map((f) => [f.id, f.trackers]));
  const feeds = createHttpFeedSource({
    feeds: () => enabledFeeds.map((f) => ({ id: f.id, url: f.url, format: f.format, cookie: secrets.feedCookies.get(f.id) })),
    refreshIntervalMs: () => policy.intervals.feedRefresh,
    limits,
    bus,
    extraTrackers: (feedId) => extraTrackers.get(feedId) ?? [],
  });
  const counts = createScrapeCountSource({
    scraper: createScraper({ requestsPerSecond: policy.scrape.requestsPerSecond, timeoutMs: Math.min(policy.limits.fetchTimeout, 15_000), now: clock }),
    enabled: () => policy.scrape.enabled,
    intervalMs: () => policy.intervals.scrape,
    bus,
  });
  const torrents = createHttpTorrentSource({
    cookieFor: (feedId) => secrets.feedCookies.get(feedId),
    limits,
    refusalTtlMs: policy.intervals.feedRefresh,
    clock,
  });

  const deps: AgentDeps = {
    daemon, state, bus, feeds, counts, torrents, clock,
    removeEmptyDir: removeEmptyDirSoon,
  };
  return {
    policy, policyPath, deps, bus, stateDir,
    config: toAgentConfig(policy),
    secrets: [secrets.rpcPassword, ...secrets.feedCookies.values()].filter((s): s is string => s !== undefined),
  };
}

export function toAgentConfig(policy: Policy): AgentConfig {
  const planPolicy: PlanPolicy = {
    maxBytes: policy.storage.maxBytes,
    minFreeBytes: policy.storage.minFreeBytes,
    feeds: policy.feeds.filter((f) => f.enabled).map((f) => ({ id: f.id, maxBytes: f.maxBytes ?? null, maxTorrents: f.maxTorrents ?? null })),
    scoring: {
      targetSeeders: policy.scoring.targetSeeders,
      leecherWeight: policy.scoring.leecherWeight,
      replaceMargin: policy.scoring.replaceMargin,
      minSeedTimeMs: policy.scoring.minSeedTime,
    },
    maxAddsPerTick: policy.limits.maxAddsPerTick,
  };
  return {
    label: policy.node.label,
    downloadDir: policy.storage.downloadDir,
    planPolicy,
    maxCountAgeMs: 2 * policy.intervals.scrape,
    trackerStatsIntervalMs: policy.intervals.scrape,
    maxTorrentProbesPerTick: 20,
  };
}

/** --state-dir, then the policy's node.stateDir, then systemd's $STATE_DIRECTORY, then ~/.local/state/smartnode. */
export function resolveStateDir(flag: string | undefined, fromPolicy: string | undefined, env: NodeJS.ProcessEnv): string {
  if (flag !== undefined) return resolve(flag);
  if (fromPolicy !== undefined) return fromPolicy;
  const systemd = env.STATE_DIRECTORY?.split(':')[0];
  if (systemd) return systemd;
  return join(env.XDG_STATE_HOME ?? join(homedir(), '.local', 'state'), 'smartnode');
}

/** Creates the download directory when the daemon is on this machine (best effort). */
export async function ensureDownloadDir(path: string): Promise<void> {
  await mkdir(path, { recursive: true }).catch(() => undefined);
}

/**
 * Removes a per-torrent directory once the daemon has deleted its files (Transmission deletes
 * asynchronously after answering torrent-remove). Only ever removes an EMPTY directory.
 */
async function removeEmptyDirSoon(path: string): Promise<void> {
  const deadline = Date.now() + 5000;
  for (;;) {
    try {
      await rmdir(path);
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'ENOTEMPTY' || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
