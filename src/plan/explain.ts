import { formatTopFactors } from './explain-decision.js';
import type { Decision, DecisionAction, FeedUsage, Plan, PlanCapacity, ReasonCode } from './types.js';
import { clipText, formatBytes, formatDuration, formatScore } from '../shared/index.js';

export interface PlanTableOptions {
  /** Rows to show (default 20); a footer counts the rest. */
  limit?: number;
  /** Line width in characters (default 120); a reason too long for its column wraps below it, never cut. */
  width?: number;
  /** 'action' (default): adds, removes, keeps, skips, each best score first. 'score': by score. */
  order?: 'action' | 'score';
}

const ACTION_ORDER: Record<DecisionAction, number> = { add: 0, remove: 1, keep: 2, skip: 3 };

export interface PlanSummary {
  add: number;
  keep: number;
  remove: number;
  skip: number;
  desiredTorrents: number;
  byReason: Partial<Record<ReasonCode, number>>;
}

export function summarizePlan(plan: Plan): PlanSummary {
  const summary: PlanSummary = {
    add: 0,
    keep: 0,
    remove: 0,
    skip: 0,
    desiredTorrents: plan.desired.length,
    byReason: {},
  };
  for (const d of plan.decisions) {
    summary[d.action]++;
    summary.byReason[d.reason.code] = (summary.byReason[d.reason.code] ?? 0) + 1;
  }
  return summary;
}

/** "2/3 scrape 5m": seeders/leechers, where the count came from and how old it is. */
export function formatCounts(d: Decision, nowMs: number): string {
  if (d.counts === null) return '?/? none';
  const age = formatDuration(Math.max(0, nowMs - d.counts.observedAtMs));
  return `${d.counts.seeders}/${d.counts.leechers} ${d.counts.source} ${age}`;
}

/** A ranked, fixed-width table of a plan's decisions for terminals and logs. */
export function formatPlanTable(plan: Plan, options: PlanTableOptions = {}): string {
  const limit = Math.max(0, options.limit ?? 20);
  const width = Math.max(60, options.width ?? 120);
  const rows =
    options.order === 'score'
      ? plan.decisions
      : plan.decisions
          .map((d, rank) => ({ d, rank }))
          .sort((a, b) => ACTION_ORDER[a.d.action] - ACTION_ORDER[b.d.action] || a.rank - b.rank)
          .map((r) => r.d);
  const shown = rows.slice(0, limit);

  const nameWidth = Math.max(12, Math.min(32, Math.floor(width / 5)));
  // The top score factors get a column when any row shown has them.
  const withFactors = shown.some((d) => d.components.factors !== undefined);
  const cells = shown.map((d) => [
    d.action,
    clipText(d.name, nameWidth),
    formatScore(d.score),
    formatBytes(d.sizeBytes),
    formatCounts(d, plan.nowMs),
    ...(withFactors ? [formatTopFactors(d.components)] : []),
    d.feedId ?? '-',
    `${d.reason.code}: ${d.reason.text}`,
  ]);
  const header = ['ACTION', 'NAME', 'SCORE/GB', 'SIZE', 'S/L SOURCE AGE', ...(withFactors ? ['TOP FACTORS'] : []), 'FEED', 'REASON'];
  const widths = header.map((h, col) => (col === header.length - 1 ? 0 : Math.max(h.length, ...cells.map((c) => (c[col] ?? '').length))));
  const head = (c: string[]): string => c.map((cell, col) => (col === c.length - 1 ? '' : cell.padEnd(widths[col] ?? 0))).join('  ');

  const out = [clipText(describeCapacity(plan.capacity, plan), width), clipText(describeSummary(plan), width)];
  out.push(clipText(`${head(header)}REASON`, width));
  for (const c of cells) out.push(...hangingLines(head(c), c.at(-1) ?? '', width));
  if (rows.length > shown.length) out.push(`... and ${rows.length - shown.length} more`);
  return out.join('\n');
}

/** Narrower than this, a reason starts on the line below its row instead of in its column. */
const MIN_REASON_COLUMN = 30;
const REASON_INDENT = 6;

/**
 * A row's cells, then its reason wrapped at word boundaries within `width`: in the reason column
 * while that column is at least MIN_REASON_COLUMN wide, else on lines of its own below the row.
 */
function hangingLines(head: string, reason: string, width: number): string[] {
  if (head.length + reason.length <= width) return [head + reason];
  const inColumn = width - head.length >= MIN_REASON_COLUMN;
  const indent = inColumn ? head.length : REASON_INDENT;
  const parts = wrapWords(reason, width - indent).map((part) => ' '.repeat(indent) + part);
  if (!inColumn) return [clipText(head.trimEnd(), width), ...parts];
  return [head + (parts[0] ?? '').slice(indent), ...parts.slice(1)];
}

/** Greedy word wrap; a word longer than the line is broken. */
function wrapWords(text: string, room: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(' ')) {
    for (let rest = word; rest !== ''; ) {
      const candidate = current === '' ? rest : `${current} ${rest}`;
      if (candidate.length <= room) {
        current = candidate;
        rest = '';
      } else if (current !== '') {
        lines.push(current);
        current = '';
      } else {
        lines.push(rest.slice(0, room));
        rest = rest.slice(room);
      }
    }
  }
  if (current !== '') lines.push(current);
  return lines;
}

function describeCapacity(c: PlanCapacity, plan: Plan): string {
  const limit =
    c.limitedBy === 'disk'
      ? `limited by disk: ${formatBytes(c.diskFreeBytes ?? 0)} free + ${formatBytes(c.heldCommittedBytes)} ours - ` +
        `${formatBytes(c.pendingWriteBytes)} still to write - ${formatBytes(c.minFreeBytes)} kept free`
      : `maxBytes`;
  return `budget ${formatBytes(plan.capacityBytes)} (${limit}); plan holds ${formatBytes(plan.committedBytes)}`;
}

function describeSummary(plan: Plan): string {
  const s = summarizePlan(plan);
  return `${s.desiredTorrents} torrents desired: +${s.add} add, -${s.remove} remove, ${s.keep} keep, ${s.skip} skipped`;
}

export interface PlanJSON {
  schema: 'smartnode.plan/1';
  nowMs: number;
  capacityBytes: number;
  committedBytes: number;
  capacity: PlanCapacity;
  summary: PlanSummary;
  feeds: FeedUsage[];
  desired: string[];
  decisions: Decision[];
}

/** The plan as JSON-safe data (for `plan --json`, the control endpoint and logs). */
export function planToJSON(plan: Plan): PlanJSON {
  return {
    schema: 'smartnode.plan/1',
    nowMs: plan.nowMs,
    capacityBytes: plan.capacityBytes,
    committedBytes: plan.committedBytes,
    capacity: { ...plan.capacity },
    summary: summarizePlan(plan),
    feeds: plan.feeds.map((f) => ({ ...f })),
    desired: [...plan.desired],
    decisions: plan.decisions.map((d) => ({
      ...d,
      components: { ...d.components },
      reason: { ...d.reason, details: { ...d.reason.details } },
      counts: d.counts === null ? null : { ...d.counts },
    })),
  };
}
