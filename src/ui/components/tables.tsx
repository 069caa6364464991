/**
 * The list views: one Text per visible row (a padded string), only the rows that fit, so
 * 10,000 candidates cost what 20 do. Props only.
 */
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { CandidateView, OwnedTorrentView } from '../../agent/index.js';
import { describeFeedHealth, type DecisionEntry } from '../../status/index.js';
import type { FeedRow, Rows } from '../state.js';
import { countriesText } from '../factors.js';
import { copiesBar } from '../copies-bar.js';
import { fitLeft, fitRight, formatBytes, formatClock, formatDuration, formatRate, formatScore } from '../../shared/index.js';

export interface TableProps {
  rows: Rows;
  cursor: number;
  height: number;
  width: number;
  nowMs: number;
  pins: readonly string[];
  /** The policy's seeder target: with it, wide tables show each torrent's copies bar. */
  targetSeeders?: number;
}

export const Table = memo(function Table({ rows, cursor, height, width, nowMs, pins, targetSeeders }: TableProps) {
  const bodyRows = Math.max(1, height - 1);
  const total = rows.rows.length;
  const start = Math.max(0, Math.min(cursor - Math.floor(bodyRows / 2), total - bodyRows));
  const visible = rows.rows.slice(start, start + bodyRows);
  const columns = columnsFor(rows.view, width, targetSeeders);
  const lines = visible.map((row) => fitLeft(formatRow(rows.view, row, columns, nowMs, pins), width));
  // Three text blocks (above, at, below the cursor) instead of one node per row: Ink lays out
  // and measures every node on every frame.
  const at = cursor - start;
  const above = lines.slice(0, Math.max(0, at));
  const current = lines[at];
  const below = lines.slice(at + 1);
  return (
    <Box flexDirection="column" height={height}>
      <Text bold>{fitLeft(headerFor(rows.view, columns), width)}</Text>
      {total === 0 ? <Text dimColor>{fitLeft(emptyText(rows.view), width)}</Text> : null}
      {above.length > 0 ? <Text>{above.join('\n')}</Text> : null}
      {current === undefined ? null : <Text inverse>{current}</Text>}
      {below.length > 0 ? <Text>{below.join('\n')}</Text> : null}
    </Box>
  );
});

interface Columns {
  name: number;
  wide: boolean;
  medium: boolean;
  /** The seeder target when the copies column is shown (wide, and the target known). */
  target: number | null;
}

/** The copies column: a bar of up to 10 cells and its figures ("10+1/10"). */
const COPIES_WIDTH = 20;

function columnsFor(view: Rows['view'], width: number, targetSeeders: number | undefined): Columns {
  const wide = width >= 110;
  const medium = width >= 72;
  const target = wide && targetSeeders !== undefined ? targetSeeders : null;
  const copies = target === null ? 0 : COPIES_WIDTH;
  const fixed =
    view === 'mirror'
      ? medium
        ? 2 + 9 + 9 + 5 + 5 + 11 + 6 + 8 + (wide ? 12 : 0) + copies
        : 2 + 9 + 5 + 5 + 8
      : view === 'candidates'
        ? medium
          ? 9 + 5 + 8 + 2 + copies
          : 9 + 8 + 1
        : 0;
  const nameShare = view === 'candidates' ? 0.4 : 1;
  return { name: Math.max(10, Math.floor((width - fixed) * nameShare)), wide, medium, target };
}

function copiesCell(c: Columns, others: number | null, ours: { done: number } | null): string {
  return c.target === null ? '' : `  ${fitLeft(copiesBar({ others, ours, target: c.target }), COPIES_WIDTH - 2)}`;
}

const COPIES_HEADER = fitLeft('  copies (▓ ours)', COPIES_WIDTH);

function headerFor(view: Rows['view'], c: Columns): string {
  switch (view) {
    case 'mirror':
      return c.medium
        ? [
            `  ${fitLeft('name', c.name)}${fitLeft(' feed', 9)}${fitRight('size', 9)}${fitRight('done', 5)}${fitRight('seed', 5)}`,
            `${fitRight('up', 11)}${fitRight('ratio', 6)}${fitRight('score', 8)}${c.wide ? fitRight('countries', 12) : ''}`,
            c.target === null ? '' : COPIES_HEADER,
          ].join('')
        : `  ${fitLeft('name', c.name)}${fitRight('size', 9)}${fitRight('done', 5)}${fitRight('seed', 5)}${fitRight('score', 8)}`;
    case 'candidates':
      return c.medium
        ? `${fitLeft('name', c.name)}${fitRight('size', 9)}${fitRight('seed', 5)}${fitRight('score', 8)}` +
            `${c.target === null ? '' : COPIES_HEADER}  why not chosen (the planner's reason)`
        : `${fitLeft('name', c.name)}${fitRight('size', 9)}${fitRight('score', 8)} reason`;
    case 'decisions':
      return 'time     action  torrent: reason';
    case 'feeds':
      return 'feed: items, last fetch, errors';
  }
}

function formatRow(view: Rows['view'], row: Rows['rows'][number], c: Columns, nowMs: number, pins: readonly string[]): string {
  switch (view) {
    case 'mirror': {
      const o = row as OwnedTorrentView;
      const mark = pins.includes(o.infoHash) || o.pinned ? '* ' : o.action === 'remove' ? '- ' : o.action === 'add' ? '+ ' : '  ';
      const done = `${Math.floor(o.percentDone * 100)}%`;
      const seed = o.seeders === null ? '?' : String(o.seeders);
      const size = fitRight(formatBytes(o.sizeBytes), 9);
      const score = fitRight(formatScore(o.score), 8);
      if (!c.medium) return `${mark}${fitLeft(o.name, c.name)}${size}${fitRight(done, 5)}${fitRight(seed, 5)}${score}`;
      return [
        `${mark}${fitLeft(o.name, c.name)} ${fitLeft(o.feedId ?? '-', 8)}${size}${fitRight(done, 5)}${fitRight(seed, 5)}`,
        fitRight(formatRate(o.uploadRateBytesPerSec), 11),
        fitRight(o.ratio === null ? '-' : o.ratio.toFixed(2), 6),
        score,
        c.wide ? fitRight(countriesText(o.factors), 12) : '',
        copiesCell(c, o.otherSeeders ?? null, { done: o.percentDone }),
      ].join('');
    }
    case 'candidates': {
      const k = row as CandidateView;
      const why = k.action === 'add' ? `ADD: ${k.reason.text}` : k.reason.text;
      const nameAndSize = `${fitLeft(k.name, c.name)}${fitRight(formatBytes(k.sizeBytes), 9)}`;
      const score = fitRight(formatScore(k.score), 8);
      return c.medium
        ? `${nameAndSize}${fitRight(k.seeders === null ? '?' : String(k.seeders), 5)}${score}${copiesCell(c, k.seeders, null)}  ${why}`
        : `${nameAndSize}${score} ${why}`;
    }
    case 'decisions': {
      const d = row as DecisionEntry;
      const what = d.error !== null ? `${d.kind} FAILED` : `${d.dryRun ? 'would ' : ''}${d.kind}`;
      return `${formatClock(d.atMs)} ${fitLeft(what, 7)} ${d.name}: ${d.error !== null ? d.error.message : (d.reason?.text ?? '')}`;
    }
    case 'feeds':
      return feedRowText(row as FeedRow, nowMs);
  }
}

/** A feed's line: when it was fetched and whether that worked; never "ok" before a first fetch. */
export function feedRowText(f: FeedRow, nowMs: number): string {
  if (f.lastFetchAtMs === null) return `${f.feedId}: not fetched yet`;
  const fetched = `fetched ${formatDuration(nowMs - f.lastFetchAtMs)} ago${f.notModified ? ' (not modified)' : ''}`;
  const errors = f.lastError === null ? 'ok' : `${f.failures} failed: ${f.lastError.message}`;
  const health = f.health === undefined ? '' : `; health ${describeFeedHealth(f.health)}`;
  return `${f.feedId}: ${f.items} items, ${fetched}, ${errors}${f.droppedItems > 0 ? `, ${f.droppedItems} items dropped` : ''}${health}`;
}

function emptyText(view: Rows['view']): string {
  switch (view) {
    case 'mirror':
      return 'nothing mirrored (yet, or nothing matches the filter)';
    case 'candidates':
      return 'no candidates (the feeds list nothing we do not hold, or nothing matches the filter)';
    case 'decisions':
      return 'no adds or removals since the dashboard attached';
    case 'feeds':
      return 'no feed fetched yet';
  }
}
