/**
 * Builds the agent's dependencies from a policy: the daemon adapter, agent state, event bus,
 * and the live feed/scrape/.torrent sources. The only place that knows how domains plug together.
 */
import { mkdir, readFile, rmdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { createDonatedLimits, type DonatedConfig } from '../agent/index.js';
import { createEventBus, type EventBus } from '../agent/index.js';
import { watchPolicyFile, type PolicyWatcher } from '../agent/index.js';
import { readDaemonAnswered } from './daemon-answered.js';
import { createHttpFeedSource, createScrapeCountSource, feedFilters, openCountStore } from '../agent/index.js';
import { createHttpTorrentSource, feedCookieFor, type HttpLimits } from '../agent/index.js';
import { openAgentState } from '../agent/index.js';
import { openScrapeHistory } from '../agent/index.js';
import { createSignalSource } from '../agent/index.js';
import { openProbeCache } from '../agent/index.js';
import { createDigestJobs } from '../agent/index.js';
import type { AgentConfig, AgentDeps } from '../agent/index.js';
import { createDaemonClient } from '../daemon/index.js';
import { assertMayWriteStateDir } from './state-owner.js';
import { SPARE_COPIES_MULTIPLE, type PlanPolicy, type SignalScoring } from '../plan/index.js';
import { loadPolicyFile, resolveSecrets, type Policy } from '../policy/index.js';
import { DAY_NAMES } from '../policy/index.js';
import { createSiteBudget, parseInfoHash, realSleep, siteOf, type InfoHash } from '../shared/index.js';
import { createGeoResolver, createScraper, createSwarmProber, createTrackerMemory, loadCountryLookup } from '../swarm/index.js';

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
  /**
   * Watches the policy file (and SIGHUP): a valid edit replaces `policy` and `config` (read by
   * the loop before each tick); an invalid one is reported and changes nothing.
   */
  watchPolicy(options?: { debounceMs?: number }): PolicyWatcher;
}

/** Keys a running agent cannot take over: they need a restart (reported when edited). */
const RESTART_KEYS = [
  'daemon',
  'node',
  'limits.feedMaxBytes',
  'limits.feedMaxItems',
  'limits.torrentFileMaxBytes',
  'limits.rpcAnswerMaxBytes',
  'limits.fetchTimeout',
  'scrape.requestsPerSecond',
  'intervals.tick',
  'geo.overrides',
  'announceProbe.requestsPerSecond',
  // The listener and the webhooks start with the agent (metrics.perTorrent applies live).
  'metrics.enabled',
  'metrics.address',
  'metrics.port',
  'metrics.bearerTokenEnv',
  'metrics.basicAuth',
  'notify',
];

export async function buildRuntime(options: {
  policyPath: string;
  stateDir?: string;
  env?: NodeJS.ProcessEnv;
  yes?: boolean;
  /**
   * The agent's stop: once aborted, every request waiting in or running through the site budget
   * (feeds, .torrent files, scrapes, probes) ends at once and background counting stops.
   */
  stop?: AbortSignal;
}): Promise<Runtime> {
  const env = options.env ?? process.env;
  const policyPath = resolve(options.policyPath);
  const loaded = await loadPolicyFile(policyPath);
  // Live edits replace these two (watchPolicy); the sources below read them at each use.
  let policy = loaded.policy;
  let secrets = await resolveSecrets(policy, env, (path) => readFile(path, 'utf8'));
  const stateDir = resolveStateDir(options.stateDir, policy.node.stateDir, env);
  await assertMayWriteStateDir(stateDir);

  const bus = createEventBus();
  const clock = (): number => Date.now();
  const state = openAgentState(stateDir);
  for (const message of state.openNotices) bus.emit({ type: 'state-warning', atMs: clock(), message });
  const passwordFile = policy.daemon.passwordEnv === undefined ? policy.daemon.passwordFile : undefined;
  const passwordFileMode = passwordFile === undefined ? undefined : (await stat(passwordFile).catch(() => undefined))?.mode;
  if (passwordFileMode !== undefined && (passwordFileMode & 0o077) !== 0) {
    bus.emit({
      type: 'state-warning',
      atMs: clock(),
      message: `password file ${passwordFile} can be read by others (mode ${(passwordFileMode & 0o777).toString(8)}): chmod 600 it`,
    });
  }
  const answered = readDaemonAnswered(stateDir, policy.daemon.url, policy.daemon.username);
  const daemon = createDaemonClient({
    ...answered,
    client: policy.daemon.client,
    url: policy.daemon.url,
    username: policy.daemon.username,
    password: secrets.rpcPassword,
    timeoutMs: policy.daemon.timeout,
    protocol: policy.daemon.protocol,
    maxAnswerBytes: policy.limits.rpcAnswerMaxBytes,
  });
  const limits: HttpLimits = {
    timeoutMs: policy.limits.fetchTimeout,
    feedMaxBytes: policy.limits.feedMaxBytes,
    feedMaxItems: policy.limits.feedMaxItems,
    torrentFileMaxBytes: policy.limits.torrentFileMaxBytes,
    userAgent: USER_AGENT,
  };
  // One request stream per site, shared by feeds, .torrent downloads, scrapes and probes.
  const budget = createSiteBudget({
    ratePerSecond: (site) => siteRate(policy.requestBudget, site),
    now: clock,
    sleep: realSleep,
    ...(options.stop === undefined ? {} : { stop: options.stop }),
  });
  const enabledFeeds = (): Policy['feeds'] => policy.feeds.filter((f) => f.enabled);
  const feeds = createHttpFeedSource({
    feeds: () => enabledFeeds().map((f) => ({ id: f.id, url: f.url, format: f.format, cookie: secrets.feedCookies.get(f.id) })),
    refreshIntervalMs: () => policy.intervals.feedRefresh,
    limits,
    bus,
    extraTrackers: (feedId) => enabledFeeds().find((f) => f.id === feedId)?.trackers ?? [],
    storeDir: join(stateDir, 'feeds'),
    ownedFor: (feedId) => state.owned().filter((r) => r.phase === 'owned' && r.feedIds.includes(feedId)),
    budget,
  });
  const countStore = await openCountStore(stateDir, { clock });
  const counts = createScrapeCountSource({
    scraper: createScraper({
      budget,
      memory: createTrackerMemory(countStore.trackers()),
      timeoutMs: Math.min(policy.limits.fetchTimeout, 15_000),
      now: clock,
    }),
    enabled: () => policy.scrape.enabled,
    intervalMs: () => policy.intervals.scrape,
    bus,
    store: countStore,
    clock,
  });
  options.stop?.addEventListener('abort', () => counts.stop(), { once: true });
  const torrents = createHttpTorrentSource({
    cookieFor: feedCookieFor(() => policy.feeds, secrets.feedCookies),
    limits,
    refusalTtlMs: policy.intervals.feedRefresh,
    clock,
    budget,
  });

  const donated = createDonatedLimits({
    stateDir,
    billingDay: () => policy.bandwidth.monthly?.billingDay ?? 1,
    alwaysConfirmEvictions: options.yes === true,
    onReset: (message) => bus.emit({ type: 'limits-warning', atMs: clock(), message }),
  });
  // Need signals: scrape history in the state dir, announce probes, geoip loaded on first use.
  const history = await openScrapeHistory(stateDir, { maxSamples: 12, maxAgeMs: 2 * policy.scoring.slowDownloads.window });
  if (history.warning !== null) bus.emit({ type: 'signals-warning', atMs: clock(), message: history.warning });
  const overrides = policy.geo.overrides;
  const signals = createSignalSource({
    daemon,
    history,
    prober: createSwarmProber({
      enabled: () => policy.announceProbe.enabled,
      intervalMs: () => policy.announceProbe.interval,
      maxPerTick: policy.announceProbe.maxPerTick,
      requestsPerSecond: policy.announceProbe.requestsPerSecond,
      budget,
      numwant: policy.announceProbe.numwant,
      timeoutMs: Math.min(policy.limits.fetchTimeout, 15_000),
      now: clock,
    }),
    loadResolver: async () => createGeoResolver(await loadCountryLookup(stateDir), overrides),
    probeCache: await openProbeCache(stateDir),
    probeIntervalMs: () => policy.announceProbe.interval,
    settings: () => ({
      geography: policy.scoring.geography.enabled,
      slowDownloads: policy.scoring.slowDownloads.enabled,
      peerPollsPerTick: policy.scoring.slowDownloads.peerPollsPerTick,
      windowMs: policy.scoring.slowDownloads.window,
      minSpanMs: policy.scoring.slowDownloads.minSpan,
      country: policy.geo.country === 'auto' ? null : policy.geo.country,
    }),
    bus,
  });
  const deps: AgentDeps = {
    daemon,
    state,
    bus,
    feeds,
    counts,
    torrents,
    clock,
    removeEmptyDir: removeEmptyDirSoon,
    donated,
    signals,
    // Content checks hash in the background; whoever stops the agent closes them (cancels the hash).
    digestJobs: createDigestJobs({ torrents }),
  };
  const secretValues = (): string[] => [secrets.rpcPassword, ...secrets.feedCookies.values()].filter((s): s is string => s !== undefined);
  const runtime: Runtime = {
    policy,
    policyPath,
    deps,
    bus,
    stateDir,
    config: toAgentConfig(policy),
    secrets: secretValues(),
    watchPolicy: (watchOptions) =>
      watchPolicyFile({
        path: policyPath,
        bus,
        clock,
        initial: policy,
        ...(watchOptions?.debounceMs === undefined ? {} : { debounceMs: watchOptions.debounceMs }),
        load: async (path) => {
          const next = (await loadPolicyFile(path)).policy;
          // A new feed's cookie must resolve before the edit is taken.
          await resolveSecrets(next, env, (file) => readFile(file, 'utf8'));
          return next;
        },
        apply: async (next, changed) => {
          const nextSecrets = await resolveSecrets(next, env, (file) => readFile(file, 'utf8'));
          const fixed = changed.filter((key) => RESTART_KEYS.some((k) => key === k || key.startsWith(`${k}.`)));
          if (fixed.length > 0) {
            bus.emit({
              type: 'limits-warning',
              atMs: clock(),
              message: `policy edit of ${fixed.join(', ')} takes effect after a restart of smartnode; the rest applies at the next tick`,
            });
          }
          // Keys that need a restart keep their running values.
          policy = { ...next, daemon: policy.daemon, node: policy.node };
          secrets = { ...nextSecrets, rpcPassword: secrets.rpcPassword };
          runtime.policy = policy;
          runtime.config = toAgentConfig(policy);
          runtime.secrets.splice(0, runtime.secrets.length, ...new Set([...runtime.secrets, ...secretValues()]));
          // A feed added or edited is fetched now, so a typo in its URL shows as failing within
          // seconds instead of after a tick. refresh reports its outcome as events and does not reject.
          if (changed.includes('feeds')) void feeds.refreshNew(clock()).catch(() => undefined);
        },
      }),
  };
  return runtime;
}

export function toAgentConfig(policy: Policy): AgentConfig {
  const filters = feedFilters(policy.feeds);
  const planPolicy: PlanPolicy = {
    maxBytes: policy.storage.maxBytes,
    minFreeBytes: policy.storage.minFreeBytes,
    feeds: policy.feeds
      .filter((f) => f.enabled)
      .map((f) => ({
        id: f.id,
        maxBytes: f.maxBytes ?? null,
        maxTorrents: f.maxTorrents ?? null,
        share: f.share ?? null,
        weight: f.weight,
      })),
    scoring: {
      targetSeeders: policy.scoring.targetSeeders,
      leecherWeight: policy.scoring.leecherWeight,
      replaceMargin: policy.scoring.replaceMargin,
      minSeedTimeMs: policy.scoring.minSeedTime,
      signals: toSignalScoring(policy),
      availability: {
        noSourceShare: policy.scoring.availability.noSourceShare,
        stalledAfterMs: policy.scoring.availability.stalledAfter,
        backoffMs: policy.scoring.availability.backoff,
      },
    },
    maxAddsPerTick: policy.limits.maxAddsPerTick,
    ...(policy.storage.spareFill > 0
      ? { spare: { fillShare: policy.storage.spareFill, copiesMultiple: SPARE_COPIES_MULTIPLE, nodeId: '', epoch: 0, nodes: 1 } }
      : {}),
  };
  return {
    label: policy.node.label,
    ...(filters.size === 0 ? {} : { feedFilters: filters }),
    downloadDir: policy.storage.downloadDir,
    planPolicy,
    maxCountAgeMs: 2 * policy.intervals.scrape,
    trackerStatsIntervalMs: policy.intervals.scrape,
    maxTorrentProbesPerTick: 20,
    donated: toDonatedConfig(policy),
    integrity: { reverifyEveryMs: policy.integrity.reverifyEvery, readRateBytesPerSec: policy.integrity.readRate ?? null },
  };
}

/** The policy's need-signal scoring keys as the planner reads them (the tick adds node id and detected country). */
export function toSignalScoring(policy: Policy): SignalScoring {
  const { geography: g, slowDownloads: slow, herd } = policy.scoring;
  return {
    geo: {
      enabled: g.enabled,
      weight: g.weight,
      targetCountries: g.targetCountries,
      targetContinents: g.targetContinents,
      newCountryBonus: g.newCountryBonus,
      newContinentBonus: g.newContinentBonus,
      selfCountry: policy.geo.country === 'auto' ? null : policy.geo.country,
    },
    slow: { enabled: slow.enabled, weight: slow.weight, targetRateBytesPerSec: slow.targetRate },
    herd: {
      enabled: herd.enabled,
      nodeId: '',
      expectedNodes: herd.expectedNodes,
      jitter: herd.jitter,
      redrawIntervalMs: herd.redrawInterval,
      epoch: 0,
      adaptive: herd.adaptive,
      slowStartAdds: herd.slowStartAdds,
    },
  };
}

/** The policy's bandwidth, pins and eviction limit, as the agent's limits read them. */
export function toDonatedConfig(policy: Policy): DonatedConfig {
  const b = policy.bandwidth;
  return {
    scope: b.scope,
    groupName: policy.node.label,
    rules: {
      uploadBytesPerSec: b.uploadRate ?? null,
      downloadBytesPerSec: b.downloadRate ?? null,
      schedule: b.schedule.map((w) => ({
        days: w.days.map((d) => DAY_NAMES.indexOf(d)),
        fromMinute: w.from,
        toMinute: w.to,
        ...(w.uploadRate === undefined ? {} : { uploadBytesPerSec: w.uploadRate }),
        ...(w.downloadRate === undefined ? {} : { downloadBytesPerSec: w.downloadRate }),
      })),
    },
    monthly:
      b.monthly === undefined
        ? null
        : {
            uploadCapBytes: b.monthly.uploadCap ?? null,
            downloadCapBytes: b.monthly.downloadCap ?? null,
            billingDay: b.monthly.billingDay,
            throttleAt: b.monthly.throttleAt,
          },
    dailyDownloadBudgetBytes: b.dailyDownloadBudget ?? null,
    maxEvictFraction: policy.limits.maxEvictFraction,
    pins: policy.storage.pins.map(parseInfoHash).filter((h): h is InfoHash => h !== null),
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

/** A site's requests per second: its own entry (a host name covers its subdomains), else perSite. */
export function siteRate(budget: Policy['requestBudget'], site: string): number {
  for (const [name, rate] of Object.entries(budget.sites)) if (siteOf(`http://${name}/`) === site) return rate;
  return budget.perSite;
}
