/** One torrent in full: score components, counts and their source and age, the planner's reason. */
import { Box, Text } from 'ink';
import type { CandidateView, OwnedTorrentView, PopulationSummary } from '../../agent/index.js';
// The pure record module only (the domain's index also holds the hashing IO).
import { describeIntegrity } from '../../integrity/index.js';
import { factorLines } from '../factors.js';
import { fitLeft, formatBytes, formatDuration, formatRate, formatScore } from '../../shared/index.js';

export interface DetailProps {
  target: { kind: 'owned'; row: OwnedTorrentView } | { kind: 'candidate'; row: CandidateView } | null;
  pinned: boolean;
  /** The last plan's herd estimates, when the node makes them. */
  population?: PopulationSummary;
  nowMs: number;
  width: number;
  height: number;
}

export function Detail({ target, pinned, population, nowMs, width, height }: DetailProps) {
  if (target === null)
    return (
      <Box height={height}>
        <Text dimColor>this torrent is no longer in the plan (press Esc)</Text>
      </Box>
    );
  const r = target.row;
  const counts = r.seeders === null ? 'not counted yet' : `${r.seeders} seeders, ${r.leechers ?? '?'} leechers`;
  const source =
    r.countsSource === null
      ? ''
      : ` (from ${r.countsSource}${r.countsObservedAtMs === null ? '' : `, ${formatDuration(nowMs - r.countsObservedAtMs)} old`})`;
  const lines: string[] = [
    `${r.name}`,
    `info-hash ${r.infoHash}   feed ${r.feedId ?? '-'}   size ${formatBytes(r.sizeBytes)}`,
    target.kind === 'owned'
      ? `owned: ${target.row.status}, ${Math.floor(target.row.percentDone * 100)}% done, ` +
        `up ${formatRate(target.row.uploadRateBytesPerSec)}, ` +
        `ratio ${target.row.ratio === null ? '-' : target.row.ratio.toFixed(2)}${pinned ? ', PINNED' : ''}`
      : `not held; planner action: ${r.action}${pinned ? ' (pinned: kept once mirrored)' : ''}`,
    `swarm: ${counts}${source}`,
    ...(target.kind === 'owned' ? [describeIntegrity(target.row.integrity, nowMs, formatDuration)] : []),
    `score ${formatScore(r.score)}/GB = need ${formatScore(r.need)} (scarcity ` +
      `${formatScore(r.scarcity)} x demand ${formatScore(r.demand)}) / size`,
    ...factorLines(r.factors, nowMs, population, target.kind === 'owned').map((l) => `  ${l}`),
    '',
    `planner: ${r.action} [${r.reason.code}]`,
  ];
  return (
    <Box flexDirection="column" height={height}>
      {lines.map((l, i) =>
        i === 0 ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the lines are positional, line i is always the same field
          <Text key={i} bold wrap="truncate">
            {fitLeft(l, width)}
          </Text>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: the lines are positional, line i is always the same field
          <Text key={i} wrap="wrap">
            {l}
          </Text>
        ),
      )}
      <Text wrap="wrap">{r.reason.text}</Text>
    </Box>
  );
}
