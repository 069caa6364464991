/** The header and resource bars: props only. */
import { Box, Text } from 'ink';
import { memo } from 'react';
import type { MirrorView } from '../../agent/index.js';
import type { BandwidthView, StatusSnapshot } from '../../status/index.js';
import { heldEviction, type LinkState } from '../state.js';
import { fitLeft, formatBytes, formatDuration, formatRate } from '../../shared/index.js';

export interface HeaderProps {
  status: StatusSnapshot | null;
  link: LinkState;
  nowMs: number;
  width: number;
}

export const Header = memo(function Header({ status, link, nowMs, width }: HeaderProps) {
  const node = status === null ? '' : `node ${status.nodeId.slice(0, 8)}`;
  const daemon =
    status === null
      ? 'daemon ?'
      : status.daemon.state === 'connected'
        ? `daemon ${status.daemon.version?.split(' ')[0] ?? '?'} ok`
        : status.daemon.state === 'unreachable'
          ? 'daemon UNREACHABLE'
          : 'daemon ...';
  const agent = status === null ? '' : agentText(status, nowMs);
  const notice = recentNotice(status, nowMs);
  const color =
    status?.agent.state === 'error' || status?.daemon.state === 'unreachable'
      ? 'red'
      : status?.agent.state === 'paused'
        ? 'yellow'
        : 'green';
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold>smartnode</Text> {node} {daemon}{' '}
        <Text color={color} bold>
          {agent}
        </Text>
        {populationText(status)}
      </Text>
      {link.kind !== 'connected' ? (
        <Text color="red" wrap="truncate">
          {fitLeft(
            link.kind === 'lost'
              ? `agent unreachable: ${link.reason} (retrying every ${Math.round(link.retryInMs / 1000)} s)`
              : 'connecting to the agent...',
            width,
          )}
        </Text>
      ) : status?.agent.state === 'error' && status.agent.lastError !== null ? (
        <Text color="red" wrap="truncate">
          {fitLeft(`last tick failed [${status.agent.lastError.code}]: ${status.agent.lastError.message}`, width)}
        </Text>
      ) : notice !== null ? (
        <Text color="yellow" wrap="truncate">
          {fitLeft(notice.text, width)}
        </Text>
      ) : null}
    </Box>
  );
});

/** The node's estimate of the other smartnodes and what it held back for lack of a source. */
function populationText(s: StatusSnapshot | null): string {
  const p = s?.plan?.population;
  if (p === undefined) return '';
  const slow = p.slowStartAdds === null ? '' : ` slow start ${p.slowStartAdds}`;
  const held = p.noSource + p.stalled === 0 ? '' : `  no source ${p.noSource} stalled ${p.stalled}`;
  const surplus = (p.releasing ?? 0) === 0 ? '' : `  surplus released ${p.releasing}`;
  return `  herd ~${Math.round(p.competitors)} nodes, ${Math.round(p.othersOnTheirWay)} copies on their way${slow}${held}${surplus}`;
}

function agentText(s: StatusSnapshot, nowMs: number): string {
  const next = s.agent.nextTickAtMs === null ? '' : ` next tick ${formatDuration(s.agent.nextTickAtMs - nowMs)}`;
  switch (s.agent.state) {
    case 'paused':
      return 'PAUSED';
    case 'ticking':
      return `TICKING #${s.agent.tick}`;
    case 'error':
      return `ERROR${next}`;
    case 'starting':
      return 'starting';
    case 'running':
      return `running${next}${s.agent.dryRun ? ' (dry run)' : ''}`;
  }
}

export const Resources = memo(function Resources({
  mirror,
  bandwidth,
  width,
}: {
  mirror: MirrorView | null;
  bandwidth: BandwidthView | null;
  width: number;
}) {
  if (mirror === null) return <Text dimColor>resources: waiting for the first tick</Text>;
  const barWidth = width >= 100 ? 22 : width >= 72 ? 14 : 8;
  const disk =
    `disk ${bar(mirror.committedBytes, mirror.capacityBytes, barWidth)} ` +
    `${formatBytes(mirror.committedBytes)}/${formatBytes(mirror.capacityBytes)}`;
  const free =
    mirror.diskFreeBytes === null ? 'free ?' : `free ${formatBytes(mirror.diskFreeBytes)} (reserve ${formatBytes(mirror.minFreeBytes)})`;
  const rates =
    `up ${formatRate(mirror.uploadRateBytesPerSec)}${capText(bandwidth?.uploadBytesPerSec ?? null, bandwidth?.uploadState)} ` +
    `down ${formatRate(mirror.downloadRateBytesPerSec)}${capText(bandwidth?.downloadBytesPerSec ?? null, bandwidth?.downloadState)}` +
    (bandwidth === null
      ? ''
      : `  period up ${formatBytes(bandwidth.periodUploadedBytes)} down ${formatBytes(bandwidth.periodDownloadedBytes)}`);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">{fitLeft(`${disk}  ${free}`, width)}</Text>
      <Text wrap="truncate">{fitLeft(`${rates}  ${mirror.owned.length} owned, ${mirror.candidateTotal} candidates not held`, width)}</Text>
    </Box>
  );
});

/** " (cap 1 MB/s)", " (STOPPED)" or "" when there is no cap. */
function capText(capBytesPerSec: number | null, state: 'open' | 'throttled' | 'stopped' | undefined): string {
  if (state === 'stopped') return ' (STOPPED: cap reached)';
  if (capBytesPerSec === null) return '';
  return ` (cap ${formatRate(capBytesPerSec)}${state === 'throttled' ? ', throttled' : ''})`;
}

/** A held eviction (it waits for y), else a warning from the last 10 minutes (a refused policy edit), if any. */
export function recentNotice(status: StatusSnapshot | null, nowMs: number): { text: string } | null {
  const held = heldEviction(status);
  if (held !== null) return held;
  const last = status?.notices.at(-1);
  return last?.isError && nowMs - last.atMs < 600_000 ? last : null;
}

/** A gauge like `[####......]` for used of total (clamped; `?` when total is unknown). */
function bar(used: number, total: number | null, width: number): string {
  const inner = Math.max(1, width - 2);
  if (total === null || total <= 0 || !Number.isFinite(total)) return `[${'?'.repeat(inner)}]`;
  const filled = Math.round(Math.min(1, Math.max(0, used / total)) * inner);
  return `[${'#'.repeat(filled)}${'.'.repeat(inner - filled)}]`;
}
