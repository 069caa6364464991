/**
 * `smartnode policy check FILE`: validate a policy without starting anything, and say in plain
 * lines what it will do. Warnings are lines starting with "warning:"; they never fail a check.
 */
import { isSmartnodeError, SmartnodeError } from '../shared/index.js';
import { formatDurationExact, formatPercent, formatSizeExact } from '../shared/index.js';
import { redactUrl } from '../shared/index.js';
import { loadPolicyFile, type SecretEnv } from './load.js';
import type { Policy } from './schema.js';

export type PolicyCheckResult =
  | { readonly ok: true; readonly policy: Policy; readonly summary: string[] }
  | { readonly ok: false; readonly error: SmartnodeError };

export interface CheckPolicyOptions {
  /** When given, each environment variable the policy names is checked for presence (never printed). */
  readonly env?: SecretEnv;
}

/**
 * Plain lines describing a valid policy, then warnings about settings that will not work well.
 * Pure. Values are shown exactly as they were read (no rounding), so a typo stays visible.
 */
export function summarizePolicy(policy: Policy, env?: SecretEnv): string[] {
  const { daemon, storage, feeds, scoring, intervals, limits, scrape, node } = policy;
  const auth =
    daemon.passwordEnv !== undefined
      ? ', password from the environment (daemon.passwordEnv)'
      : daemon.passwordFile !== undefined
        ? `, password from ${daemon.passwordFile}`
        : '';
  const enabled = feeds.filter((f) => f.enabled);
  const lines = [
    `daemon: ${redactUrl(daemon.url)}${daemon.username === undefined ? '' : ` as ${daemon.username}`}${auth} ` +
      `(timeout ${formatDurationExact(daemon.timeout)})`,
    `storage: up to ${formatSizeExact(storage.maxBytes)} in ${storage.downloadDir}, ` +
      `keeping ${formatSizeExact(storage.minFreeBytes)} free; owned torrents are labelled "${node.label}"`,
    `feeds: ${enabled.length} enabled of ${feeds.length}`,
    ...feeds.map((f) => {
      const quota = [
        f.maxBytes === undefined ? undefined : `up to ${formatSizeExact(f.maxBytes)}`,
        f.maxTorrents === undefined ? undefined : `at most ${f.maxTorrents} torrents`,
        f.cookieEnv === undefined ? undefined : 'cookie from the environment (cookieEnv)',
      ].filter((part): part is string => part !== undefined);
      const quotaText = quota.length > 0 ? `, ${quota.join(', ')}` : '';
      return `  ${f.id}${f.enabled ? '' : ' (disabled)'}: ${f.format} ${redactUrl(f.url)}${quotaText}`;
    }),
    `scoring: target ${scoring.targetSeeders} seeders, leecher weight ${scoring.leecherWeight}, ` +
      `replace only when ${formatPercent(scoring.replaceMargin)} better, seed at least ${formatDurationExact(scoring.minSeedTime)}`,
    `intervals: tick every ${formatDurationExact(intervals.tick)}, ` +
      `feeds every ${formatDurationExact(intervals.feedRefresh)}, scrape every ${formatDurationExact(intervals.scrape)}` +
      (scrape.enabled ? '' : ' (scrape disabled)'),
    `requests: ${policy.requestBudget.perSite}/s to a site, one at a time` +
      Object.entries(policy.requestBudget.sites)
        .map(([site, rate]) => `, ${site} ${rate}/s`)
        .join(''),
    `limits: feeds up to ${formatSizeExact(limits.feedMaxBytes)} and ${limits.feedMaxItems} items, ` +
      `.torrent files up to ${formatSizeExact(limits.torrentFileMaxBytes)}, ` +
      `fetch timeout ${formatDurationExact(limits.fetchTimeout)}, at most ${limits.maxAddsPerTick} adds per tick`,
  ];

  if (enabled.length === 0) lines.push('warning: no feed is enabled, so nothing will be mirrored');
  for (const f of feeds) {
    if (f.maxBytes !== undefined && f.maxBytes > storage.maxBytes) {
      lines.push(
        `warning: feed ${f.id} maxBytes ${formatSizeExact(f.maxBytes)} is more than ` +
          `storage.maxBytes ${formatSizeExact(storage.maxBytes)}; the storage budget wins`,
      );
    }
  }
  if (daemon.username === undefined && (daemon.passwordEnv !== undefined || daemon.passwordFile !== undefined)) {
    lines.push('warning: a daemon password is set but no daemon.username; Transmission checks both');
  }
  if (intervals.feedRefresh < intervals.tick) {
    lines.push(
      `warning: intervals.feedRefresh (${formatDurationExact(intervals.feedRefresh)}) is shorter than ` +
        `intervals.tick (${formatDurationExact(intervals.tick)}); feeds are fetched at most once per tick`,
    );
  }
  if (env !== undefined) {
    const keys = [
      ...(daemon.passwordEnv === undefined ? [] : [{ key: 'daemon.passwordEnv', name: daemon.passwordEnv }]),
      ...enabled.flatMap((f) => (f.cookieEnv === undefined ? [] : [{ key: `the cookieEnv of feed ${f.id}`, name: f.cookieEnv }])),
    ];
    // Named by key, never by value: the value may be a secret typed in the wrong place.
    for (const { key, name } of keys) {
      if ((env[name] ?? '') === '')
        lines.push(`warning: the environment variable named by ${key} is not set here; the agent needs it where it runs`);
    }
  }
  return lines;
}

/** Loads, validates and summarizes a policy file. Never throws for a bad or missing file. */
export async function checkPolicyFile(path: string, options: CheckPolicyOptions = {}): Promise<PolicyCheckResult> {
  try {
    const loaded = await loadPolicyFile(path);
    return { ok: true, policy: loaded.policy, summary: summarizePolicy(loaded.policy, options.env) };
  } catch (error) {
    if (isSmartnodeError(error)) return { ok: false, error };
    return { ok: false, error: new SmartnodeError('INTERNAL', `checking ${path} failed unexpectedly`, { cause: error }) };
  }
}
