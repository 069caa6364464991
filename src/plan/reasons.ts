import {
  formatBytes,
  formatBytesAtMost,
  formatBytesExact,
  formatDate,
  formatDuration,
  formatPercent,
  formatScore,
  plural,
  SmartnodeError,
} from '../shared/index.js';
import { factorClauses } from './describe-factors.js';
import { UNCOUNTED_SHARE } from './herd.js';
import { NO_MISS, type Ledger, type MissCode } from './ledger.js';
import type { HerdFactor, Reason, ReasonCode, ScoreComponents, ScoringPolicy } from './types.js';

/**
 * The one place reason sentences are written. The CLI, the dashboard and the logs show these
 * texts (and `details` for machines); none of them invents its own.
 *
 * `details` carries what is specific to the decision; the torrent's size, score and counts
 * are on the Decision itself and the budget on the Plan. Reasons that read the same for many
 * torrents (a full budget, a full feed, the add limit) are one shared object per plan: with
 * 100,000 candidates, one sentence per skipped torrent was most of a plan's memory.
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
    `${plural(c.leechers, 'leecher')}${leechersBesides} waiting${factorClauses(c)}`
  );
}

function swarmDetails(c: ScoreComponents): Record<string, number | string> {
  if (c.seeders === null || c.leechers === null) return { counts: 'unknown' };
  const geo = c.factors?.geo;
  const slow = c.factors?.slow;
  return {
    seeders: c.seeders,
    leechers: c.leechers,
    ...(geo == null ? {} : { geoFactor: geo.factor, countries: geo.countries, topCountry: geo.topCountry }),
    ...(slow == null ? {} : { slowFactor: slow.factor, downloadRateBytesPerSec: slow.rateBytesPerSec }),
  };
}

/** Builds a plan's reasons, sharing the ones that read the same for many torrents. */
export class ReasonBook {
  readonly pinned = reason('PINNED', 'pinned: the planner never removes it', {});
  readonly banned = reason('BANNED', 'banned by the owner: removed now and never mirrored again', {});
  readonly sizeUnknown = reason('SIZE_UNKNOWN', 'the feed gives no size, so it cannot be budgeted', {});
  readonly heldNotOwned = reason('HELD_NOT_OWNED', 'the daemon already holds it without our label; smartnode leaves it alone', {});
  readonly addLimit: Reason;
  private readonly wellSeededBySeeders = new Map<number, Reason>();
  private readonly leftToOthersByCause = new Map<string, Reason>();
  private readonly outscoredByText = new Map<number, Reason>();
  private readonly quotaByMiss = new Map<MissCode, Reason>();
  private noDiskBudgetShared: Reason | null = null;
  private readonly filteredByText = new Map<string, Reason>();

  constructor(
    readonly scoring: ScoringPolicy,
    maxAddsPerTick: number,
  ) {
    this.addLimit = reason(
      'ADD_LIMIT',
      `wanted, but this tick already adds ${plural(maxAddsPerTick, 'torrent')} (maxAddsPerTick); reconsidered next tick`,
      { maxAddsPerTick },
    );
  }

  /** Turned away by the feed's filter; one shared reason per sentence. */
  filtered(why: string): Reason {
    let r = this.filteredByText.get(why);
    if (r === undefined) {
      r = reason('FILTERED', `not wanted: ${why}`, { filter: why });
      this.filteredByText.set(why, r);
    }
    return r;
  }

  private get margin(): number {
    return Math.max(0, this.scoring.replaceMargin);
  }

  needed(c: ScoreComponents): Reason {
    return reason('NEEDED', describeSwarm(c, this.scoring.targetSeeders), swarmDetails(c));
  }

  /** A spare copy: at or above the target, taken with room the needy leave (spare.ts). */
  spare(seeders: number): Reason {
    const target = this.scoring.targetSeeders;
    return reason(
      'SPARE',
      `${plural(seeders, 'seeder')} meet the target of ${target}; a spare copy on room no needed torrent is using (the least replicated first), the first to give way when one needs it`,
      { seeders, targetSeeders: target },
    );
  }

  kept(c: ScoreComponents): Reason {
    const swarm = describeSwarm(c, this.scoring.targetSeeders);
    const text = c.scarcity === 0 ? `kept until the space is needed: ${swarm}` : `kept: ${swarm}`;
    return reason('KEPT', text, swarmDetails(c));
  }

  minSeedTime(situation: 'not-in-feed' | 'would-be-replaced', heldMs: number): Reason {
    const min = this.scoring.minSeedTimeMs;
    const times = `held ${formatDuration(heldMs)} of the ${formatDuration(min)} minimum`;
    const text =
      situation === 'not-in-feed'
        ? `no feed lists it any more; kept until the minimum seed time (${times})`
        : `a better torrent wants its space, but it is within the minimum seed time (${times})`;
    return reason('MIN_SEED_TIME', text, { situation, heldMs, minSeedTimeMs: min });
  }

  /** No need: at the seeder target, or (below it) herd avoidance leaves it to others. */
  notNeeded(c: ScoreComponents): Reason {
    if (c.seeders === null && c.factors?.herd?.designated === false) return this.uncounted();
    const seeders = c.seeders ?? 0;
    if (seeders < this.scoring.targetSeeders) return this.leftToOthers(seeders, c.factors?.herd ?? null);
    let r = this.wellSeededBySeeders.get(seeders);
    if (r === undefined) {
      const target = this.scoring.targetSeeders;
      r = reason('WELL_SEEDED', `${plural(seeders, 'seeder')} already meet the target of ${target}`, {
        seeders,
        targetSeeders: target,
      });
      this.wellSeededBySeeders.set(seeders, r);
    }
    return r;
  }

  /** Never counted, and this node's draw leaves it to the few that take uncounted torrents. */
  private uncounted(): Reason {
    const share = Math.round(UNCOUNTED_SHARE * 100);
    return reason(
      'LEFT_TO_OTHERS',
      `its swarm has not been counted yet: until a scrape or probe counts it, at most ${share} % of nodes take it, and this node's draw is not among them`,
      { targetSeeders: this.scoring.targetSeeders, cause: 'uncounted', share: UNCOUNTED_SHARE },
    );
  }

  /**
   * Below the target with no need: herd avoidance (herd.ts) left it to others, for one of
   * three causes, each said as it is: copies already on their way cover the deficit, slow
   * start has not drawn it yet, or this node's draw is above its share. Shared per cause.
   */
  private leftToOthers(seeders: number, herd: HerdFactor | null): Reason {
    const target = this.scoring.targetSeeders;
    const onTheirWay = herd?.onTheirWay ?? 0;
    const deficit = herd?.deficit ?? target - seeders;
    const nodes = Math.round((herd?.expectedNodes ?? this.scoring.signals?.herd.expectedNodes ?? 1) * 10) / 10;
    const cause = onTheirWay >= deficit && onTheirWay > 0 ? 'coming' : herd?.slowStart === 'waiting' ? 'slow-start' : 'draw';
    const key = `${cause}:${seeders}:${onTheirWay}:${cause === 'draw' ? nodes : ''}`;
    let r = this.leftToOthersByCause.get(key);
    if (r === undefined) {
      const swarm = `${plural(seeders, 'seeder')} against a target of ${target}`;
      const text =
        cause === 'coming'
          ? `${swarm}, but ${plural(onTheirWay, 'download')} under way (or waiting for a source) already cover the deficit`
          : cause === 'slow-start'
            ? `${swarm}, but in its slow start this node takes only a few needy torrents a tick, and this one was not drawn`
            : `${swarm}, but herd avoidance leaves it to others for now ` +
              `(about ${nodes} nodes take the same torrents; this node's draw is above its share, which grows while no copy arrives)`;
      r = reason('LEFT_TO_OTHERS', text, { seeders, targetSeeders: target, cause, onTheirWay, expectedNodes: nodes });
      this.leftToOthersByCause.set(key, r);
    }
    return r;
  }

  /**
   * Shared per feed and quota (`miss` from ledger.quotaMissCode, never NO_MISS): the feed's
   * usage is measured once, by the first ledger to report the miss.
   */
  overFeedQuota(miss: MissCode, ledger: Ledger): Reason {
    if (miss === NO_MISS) {
      throw new SmartnodeError('INTERNAL', 'planner: an OVER_FEED_QUOTA reason without a missed quota', {
        hint: 'This is a bug in smartnode; please report it with `smartnode plan --json`.',
      });
    }
    let r = this.quotaByMiss.get(miss);
    if (r === undefined) {
      const m = ledger.describeMiss(miss);
      const text =
        m.quota === 'count'
          ? `feed "${m.feedId}" is at its torrent quota (${m.usedTorrents} of ${m.limit})`
          : `feed "${m.feedId}" is at its byte quota (${formatBytes(m.usedBytes)} of ${formatBytes(m.limit)} used)`;
      r = reason('OVER_FEED_QUOTA', text, {
        feedId: m.feedId,
        quota: m.quota,
        limit: m.limit,
        used: m.quota === 'count' ? m.usedTorrents : m.usedBytes,
      });
      this.quotaByMiss.set(miss, r);
    }
    return r;
  }

  /** A held torrent the shrunk budget no longer fits. */
  noDiskBudgetHeld(capacityBytes: number): Reason {
    return reason('NO_DISK_BUDGET', `the ${formatBytes(capacityBytes)} budget no longer fits it beside higher-scoring torrents`, {
      capacityBytes,
    });
  }

  /**
   * Shared: every candidate the filled budget blocks reads the same, unless its size and the
   * room left would read alike once rounded ("8 MB" beside "8 MB left"): then its own reason
   * gives both in bytes, so the shortfall shows. Few candidates are that close, so sharing holds.
   */
  noDiskBudget(freeBytes: number, capacityBytes: number, sizeBytes: number): Reason {
    const left = Math.max(0, freeBytes);
    const budget = formatBytes(capacityBytes);
    const shownSize = formatBytes(sizeBytes);
    if (shownSize === formatBytes(left) || shownSize === formatBytesAtMost(left)) {
      return reason(
        'NO_DISK_BUDGET',
        `higher-scoring torrents fill the ${budget} budget: it needs ${formatBytesExact(sizeBytes)} and ` +
          `${formatBytesExact(left)} are left (${formatBytesExact(sizeBytes - left)} short)`,
        { freeBytes, capacityBytes, sizeBytes },
      );
    }
    if (this.noDiskBudgetShared === null) {
      this.noDiskBudgetShared = reason(
        'NO_DISK_BUDGET',
        `higher-scoring torrents fill the ${budget} budget (${formatBytesAtMost(left)} left)`,
        { freeBytes, capacityBytes },
      );
    }
    return this.noDiskBudgetShared;
  }

  largerThanBudget(sizeBytes: number, capacityBytes: number): Reason {
    return reason('LARGER_THAN_BUDGET', `${formatBytes(sizeBytes)} is larger than the whole ${formatBytes(capacityBytes)} budget`, {
      capacityBytes,
    });
  }

  /** Shared by displayed score: the text names only the score and what protects the holders. */
  outscored(score: number, blocker: 'margin' | 'seed-time'): Reason {
    // Keyed by the score rounded as it is shown (3 significant digits), without building the
    // text for each of tens of thousands of candidates; the sign tells the blocker apart.
    const rounded = roundSignificant(score);
    const key = blocker === 'margin' ? rounded : -rounded - 1;
    let r = this.outscoredByText.get(key);
    if (r === undefined) {
      const shown = formatScore(rounded);
      const why =
        blocker === 'margin'
          ? `not by the ${formatPercent(this.margin)} replace margin`
          : `they are within the ${formatDuration(this.scoring.minSeedTimeMs)} minimum seed time`;
      r = reason('OUTSCORED', `scores ${shown}/GB, above held torrents that fill the budget, but ${why}`, {
        blocker,
      });
      this.outscoredByText.set(key, r);
    }
    return r;
  }

  /** Taken out by the swap pass to make room for one torrent worth more than all it displaced. */
  swappedOut(byScore: number, byName: string): Reason {
    return reason(
      'OUTSCORED',
      `made room for "${byName}" (${formatScore(byScore)}/GB), which serves more need than the torrents it displaced`,
      { byScore, byName },
    );
  }

  noLongerInFeed(heldMs: number): Reason {
    const min = this.scoring.minSeedTimeMs;
    return reason(
      'NO_LONGER_IN_FEED',
      `no feed lists it any more and it has been held ${formatDuration(heldMs)} (minimum ${formatDuration(min)})`,
      { heldMs, minSeedTimeMs: min },
    );
  }

  replaced(score: number): Reason {
    const bar = score * (1 + this.margin);
    if (score === 0) {
      return reason('REPLACED', 'its swarm no longer needs it; its space goes to needier torrents', {
        bar,
      });
    }
    return reason(
      'REPLACED',
      `its space goes to torrents scoring above ${formatScore(bar)}/GB (its ` +
        `${formatScore(score)}/GB plus the ${formatPercent(this.margin)} replace margin)`,
      { bar },
    );
  }
}

/** `score` to 3 significant digits (as formatScore shows it), as a number. */
function roundSignificant(score: number): number {
  if (!Number.isFinite(score) || score <= 0) return score;
  if (score >= 100) return Math.round(score);
  const scale = 10 ** (2 - Math.floor(Math.log10(score)));
  return Math.round(score * scale) / scale;
}

/** A download that cannot progress now, beyond the share of the budget that may wait on such. */
export function noSourceReason(shareBytes: number, share: number): Reason {
  return reason(
    'NO_SOURCE',
    `no complete seeder and no web seed: nothing can be downloaded now, and the ${formatPercent(share)} of the budget ` +
      `that may wait on such torrents (${formatBytes(shareBytes)}) is used; the budget goes to downloads that can progress`,
    { shareBytes, share },
  );
}

/**
 * A download that made no progress for a while: removed, and not taken again before its
 * backoff ends at `backoffUntilMs` (said in UTC, and how far from `nowMs`).
 */
export function stalledReason(stalledMs: number, backoffUntilMs: number, nowMs: number, held: boolean): Reason {
  const at = new Date(backoffUntilMs).toISOString().slice(0, 16).replace('T', ' ');
  const until = `${at} UTC (in ${formatDuration(backoffUntilMs - nowMs)})`;
  return reason(
    'STALLED',
    held
      ? `no progress for ${formatDuration(stalledMs)}: removed so the budget goes to ` +
          `downloads that can progress; not taken again before ${until}`
      : `stalled here before: not taken again before ${until}`,
    { stalledMs, backoffUntilMs },
  );
}

/** A monthly download cap that stops adds until its billing period ends. */
export interface TransferCapStop {
  downloadCapBytes: number;
  periodEndMs: number;
}

/** The numbers of a breached disk reserve (limits.ts), as the reasons below read them. */
export interface ReserveFigures {
  diskFreeBytes: number;
  minFreeBytes: number;
  pendingWriteBytes: number;
  /** The largest pending writers, most first; `writerCount` counts them all. */
  writers: readonly { name: string; leftUntilDoneBytes: number }[];
  writerCount: number;
}

export interface EvictionFigures {
  removes: number;
  removeBytes: number;
  fraction: number;
  maxEvictFraction: number;
}

/** Removals (and adds) held whole until a mass eviction is confirmed. */
export function awaitingConfirmationReason(p: EvictionFigures): Reason {
  return reason(
    'AWAITING_CONFIRMATION',
    `the plan would remove ${formatPercent(p.fraction)} of the mirror at once ` +
      `(more than limits.maxEvictFraction ${formatPercent(p.maxEvictFraction)}); ` +
      'confirm with `smartnode run --yes` or on the dashboard',
    { removes: p.removes, removeBytes: p.removeBytes, fraction: p.fraction },
  );
}

export function transferCapReason(stop: TransferCapStop): Reason {
  return reason(
    'TRANSFER_CAP',
    `the monthly download cap (${formatBytes(stop.downloadCapBytes)}) is reached; ` +
      `nothing is added until the period ends on ${formatDate(stop.periodEndMs)}`,
    { downloadCapBytes: stop.downloadCapBytes, periodEndMs: stop.periodEndMs },
  );
}

/** `leftBytes`: what today's download budget still allows; null when there is no budget. */
export function dailyBudgetReason(leftBytes: number | null): Reason {
  return reason(
    'DAILY_BUDGET',
    `today's download budget (bandwidth.dailyDownloadBudget) has ${formatBytes(leftBytes ?? 0)} left; added on a later day`,
    { leftBytes: leftBytes ?? -1 },
  );
}

export function diskReserveReason(breach: ReserveFigures): Reason {
  return reason('DISK_RESERVE', `${describeReserveBreach(breach)}; nothing is added until it is restored`, {
    minFreeBytes: breach.minFreeBytes,
    diskFreeBytes: breach.diskFreeBytes,
    pendingWriteBytes: breach.pendingWriteBytes,
    writers: breach.writerCount,
  });
}

/** "free space 65 MB on the download filesystem, less 2.1 GB still to be written there by 1 torrent(s) (x 2.1 GB), is below ..." */
export function describeReserveBreach(breach: ReserveFigures): string {
  const free = `free space ${formatBytes(breach.diskFreeBytes)} on the download filesystem`;
  const reserve = `is below the storage.minFreeBytes reserve of ${formatBytes(breach.minFreeBytes)}`;
  if (breach.writerCount === 0) return `${free} ${reserve}`;
  const named = breach.writers.map((w) => `${w.name} ${formatBytes(w.leftUntilDoneBytes)}`).join(', ');
  const more = breach.writerCount > breach.writers.length ? `, and ${breach.writerCount - breach.writers.length} more` : '';
  const pending = `less ${formatBytes(breach.pendingWriteBytes)} still to be written there by ${breach.writerCount} torrent(s)`;
  return `${free}, ${pending} (${named}${more}), ${reserve}`;
}

/** A held copy released because its swarm has more than twice the target in copies. */
export function surplusReason(copies: number, targetSeeders: number): Reason {
  return reason(
    'SURPLUS',
    `${plural(copies, 'copy', 'copies')} (seeders and leechers, ours included) against a target of ${targetSeeders}: ` +
      'more than twice the target, and this node was drawn to release its copy so the space goes where copies are needed',
    { copies, targetSeeders },
  );
}
