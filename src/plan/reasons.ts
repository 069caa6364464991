import { formatBytes, formatDuration, formatPercent, formatScore, plural } from './format.js';
import type { QuotaMiss } from './ledger.js';
import type { Reason, ReasonCode, ScoreComponents } from './types.js';

/**
 * The one place reason sentences are written. The CLI, the dashboard and the logs show these
 * texts (and `details` for machines); none of them invents its own.
 */
function reason(code: ReasonCode, text: string, details: Record<string, number | string>): Reason {
  return { code, text, details };
}

/** "2 seeders against a target of 5; 3 leechers waiting" (or that the swarm is uncounted). */
export function describeSwarm(c: ScoreComponents, targetSeeders: number): string {
  if (c.seeders === null || c.leechers === null) {
    return 'swarm not counted yet, treated as moderately needed';
  }
  const besides = c.selfExcluded === 'seeder' ? ' besides us' : '';
  const leechersBesides = c.selfExcluded === 'leecher' ? ' besides us' : '';
  return (
    `${plural(c.seeders, 'seeder')}${besides} against a target of ${targetSeeders}; ` +
    `${plural(c.leechers, 'leecher')}${leechersBesides} waiting`
  );
}

function swarmDetails(c: ScoreComponents, score: number): Record<string, number | string> {
  const d: Record<string, number | string> = { score, scarcity: c.scarcity, demand: c.demand };
  if (c.seeders !== null) d['seeders'] = c.seeders;
  if (c.leechers !== null) d['leechers'] = c.leechers;
  return d;
}

export function neededReason(c: ScoreComponents, score: number, target: number): Reason {
  return reason('NEEDED', describeSwarm(c, target), swarmDetails(c, score));
}

export function keptReason(c: ScoreComponents, score: number, target: number): Reason {
  const swarm = describeSwarm(c, target);
  const text =
    c.scarcity === 0 ? `kept until the space is needed: ${swarm}` : `kept: ${swarm}`;
  return reason('KEPT', text, swarmDetails(c, score));
}

export function pinnedReason(): Reason {
  return reason('PINNED', 'pinned: the planner never removes it', {});
}

export function minSeedTimeReason(
  situation: 'not-in-feed' | 'would-be-replaced',
  heldMs: number,
  minSeedTimeMs: number,
): Reason {
  const times = `held ${formatDuration(heldMs)} of the ${formatDuration(minSeedTimeMs)} minimum`;
  const text =
    situation === 'not-in-feed'
      ? `no feed lists it any more; kept until the minimum seed time (${times})`
      : `a better torrent wants its space, but it is within the minimum seed time (${times})`;
  return reason('MIN_SEED_TIME', text, { situation, heldMs, minSeedTimeMs });
}

export function wellSeededReason(c: ScoreComponents, target: number): Reason {
  const seeders = c.seeders ?? 0;
  return reason(
    'WELL_SEEDED',
    `${plural(seeders, 'seeder')} already meet the target of ${target}`,
    { seeders, targetSeeders: target, leechers: c.leechers ?? 0 },
  );
}

export function overFeedQuotaReason(miss: QuotaMiss, sizeBytes: number): Reason {
  const text =
    miss.quota === 'count'
      ? `feed "${miss.feedId}" is at its torrent quota (${miss.usedTorrents} of ${miss.limit})`
      : `feed "${miss.feedId}" is at its byte quota (${formatBytes(miss.usedBytes)} of ` +
        `${formatBytes(miss.limit)} used; this needs ${formatBytes(sizeBytes)})`;
  return reason('OVER_FEED_QUOTA', text, {
    feedId: miss.feedId,
    quota: miss.quota,
    limit: miss.limit,
    usedBytes: miss.usedBytes,
    usedTorrents: miss.usedTorrents,
    sizeBytes,
  });
}

export function noDiskBudgetReason(
  sizeBytes: number,
  freeBytes: number,
  capacityBytes: number,
  held: boolean,
): Reason {
  const text = held
    ? `the ${formatBytes(capacityBytes)} budget no longer fits it beside higher-scoring torrents`
    : `needs ${formatBytes(sizeBytes)}; ${formatBytes(Math.max(0, freeBytes))} left of the ` +
      `${formatBytes(capacityBytes)} budget after higher-scoring torrents`;
  return reason('NO_DISK_BUDGET', text, { sizeBytes, freeBytes, capacityBytes });
}

export function largerThanBudgetReason(sizeBytes: number, capacityBytes: number): Reason {
  return reason(
    'LARGER_THAN_BUDGET',
    `${formatBytes(sizeBytes)} is larger than the whole ${formatBytes(capacityBytes)} budget`,
    { sizeBytes, capacityBytes },
  );
}

export function outscoredReason(
  score: number,
  blocker: 'margin' | 'seed-time',
  replaceMargin: number,
  minSeedTimeMs: number,
): Reason {
  const why =
    blocker === 'margin'
      ? `not by the ${formatPercent(replaceMargin)} replace margin`
      : `they are within the ${formatDuration(minSeedTimeMs)} minimum seed time`;
  return reason(
    'OUTSCORED',
    `scores ${formatScore(score)}/GB, above held torrents that fill the budget, but ${why}`,
    { score, blocker, replaceMargin, minSeedTimeMs },
  );
}

export function swappedOutReason(score: number, byScore: number, byName: string): Reason {
  return reason(
    'OUTSCORED',
    `its space serves more need with "${byName}" (${formatScore(byScore)}/GB against ` +
      `${formatScore(score)}/GB, but larger)`,
    { score, byScore, byName },
  );
}

export function sizeUnknownReason(): Reason {
  return reason('SIZE_UNKNOWN', 'the feed gives no size, so it cannot be budgeted', {});
}

export function heldNotOwnedReason(): Reason {
  return reason(
    'HELD_NOT_OWNED',
    'the daemon already holds it without our label; smartnode leaves it alone',
    {},
  );
}

export function addLimitReason(maxAddsPerTick: number): Reason {
  return reason(
    'ADD_LIMIT',
    `wanted, but this tick already adds ${plural(maxAddsPerTick, 'torrent')} (maxAddsPerTick); ` +
      'reconsidered next tick',
    { maxAddsPerTick },
  );
}

export function noLongerInFeedReason(heldMs: number, minSeedTimeMs: number): Reason {
  return reason(
    'NO_LONGER_IN_FEED',
    `no feed lists it any more and it has been held ${formatDuration(heldMs)} ` +
      `(minimum ${formatDuration(minSeedTimeMs)})`,
    { heldMs, minSeedTimeMs },
  );
}

export function replacedReason(score: number, replaceMargin: number): Reason {
  const bar = score * (1 + replaceMargin);
  return reason(
    'REPLACED',
    `its space goes to torrents scoring above ${formatScore(bar)}/GB (its ` +
      `${formatScore(score)}/GB plus the ${formatPercent(replaceMargin)} replace margin)`,
    { score, replaceMargin, bar },
  );
}
