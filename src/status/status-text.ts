/**
 * Pure: `smartnode status` as text. Reasons are the planner's texts, as received.
 */
import { describeIntegrity } from '../integrity/index.js';
import { formatBytes, formatClock, formatDuration, formatPercent, formatRate, formatScore } from '../shared/index.js';
import type { StatusSnapshot } from './status-model.js';
import { describeFeedHealth } from './collection-health.js';

export function formatStatusText(s: StatusSnapshot, options: { nowMs: number; limit?: number }): string {
  const limit = options.limit ?? 10;
  const lines: string[] = [];
  const daemon =
    s.daemon.state === 'connected'
      ? `connected to transmission-daemon ${s.daemon.version ?? '?'} (RPC ${s.daemon.rpcVersion ?? '?'})`
      : s.daemon.state === 'unreachable'
        ? `UNREACHABLE: ${s.daemon.error?.message ?? 'unknown error'}`
        : 'not contacted yet';
  lines.push(`node ${s.nodeId}`);
  lines.push(`agent: ${describeAgent(s, options.nowMs)}`);
  lines.push(`daemon: ${daemon}`);
  if (s.agent.lastError !== null && s.agent.state === 'error') {
    lines.push(
      `last error [${s.agent.lastError.code}]: ${s.agent.lastError.message}${s.agent.lastError.hint ? ` (${s.agent.lastError.hint})` : ''}`,
    );
  }
  const m = s.mirror;
  if (m === null) {
    lines.push('mirror: no tick has finished yet');
  } else {
    lines.push(
      `disk: ${formatBytes(m.committedBytes)} committed of ${formatBytes(m.capacityBytes)} budget (limited by ${m.limitedBy}); ` +
        (m.diskFreeBytes === null ? 'free space unknown' : `${formatBytes(m.diskFreeBytes)} free, reserve ${formatBytes(m.minFreeBytes)}`),
    );
    lines.push(`transfer now: up ${formatRate(m.uploadRateBytesPerSec)}, down ${formatRate(m.downloadRateBytesPerSec)}`);
    lines.push('', `mirror: ${m.owned.length} owned`);
    for (const o of m.owned.slice(0, limit)) {
      lines.push(
        `  ${o.pinned ? '*' : ' '} ${o.name}  ${formatBytes(o.sizeBytes)}  ${formatPercent(o.percentDone)}  ` +
          `seeders ${o.seeders ?? '?'}  up ${formatRate(o.uploadRateBytesPerSec)}  ratio ` +
          `${o.ratio === null ? '-' : o.ratio.toFixed(2)}  score ${formatScore(o.score)}  ${o.reason.text}`,
      );
      if (o.integrity !== undefined && o.integrity !== null)
        lines.push(`      ${describeIntegrity(o.integrity, options.nowMs, formatDuration)}`);
    }
    if (m.owned.length > limit) lines.push(`  ... ${m.owned.length - limit} more`);
    lines.push('', `best candidates (${m.candidateTotal} not held):`);
    for (const c of m.candidates.slice(0, limit)) {
      const verdict = c.action === 'add' ? 'ADD' : 'not chosen';
      lines.push(`  ${c.name}  ${formatBytes(c.sizeBytes)}  score ${formatScore(c.score)}  ${verdict}: ${c.reason.text}`);
    }
  }
  if (s.decisions.length > 0) {
    lines.push('', 'recent decisions:');
    for (const d of s.decisions.slice(-limit)) {
      const when = formatClock(d.atMs);
      const what =
        d.error !== null
          ? `${d.kind} FAILED ${d.name}: ${d.error.message}`
          : `${d.dryRun ? 'would ' : ''}${d.kind} ${d.name}: ${d.reason?.text ?? ''}`;
      lines.push(`  ${when} ${what}`);
    }
  }
  if (s.feeds.length > 0) {
    lines.push('', 'feeds:');
    for (const f of s.feeds) {
      const fetched = f.lastFetchAtMs === null ? 'never fetched' : `fetched ${formatDuration(options.nowMs - f.lastFetchAtMs)} ago`;
      const failed = f.lastError ? `, ${f.failures} failure(s): ${f.lastError.message}` : '';
      const dropped = f.droppedItems ? `, ${f.droppedItems} items dropped` : '';
      lines.push(`  ${f.feedId}: ${f.items} items, ${fetched}${failed}${dropped}`);
    }
  }
  if (m !== null && m.health !== undefined && m.health.length > 0) {
    lines.push('', "collection health (this node's view of the swarms):");
    for (const h of m.health) lines.push(`  ${h.feedId}: ${describeFeedHealth(h)}`);
  }
  if (s.bandwidth !== null) {
    const b = s.bandwidth;
    lines.push(
      '',
      `bandwidth: upload ${b.uploadState}${b.uploadBytesPerSec === null ? '' : ` (cap ${formatRate(b.uploadBytesPerSec)})`}, ` +
        `download ${b.downloadState}${b.downloadBytesPerSec === null ? '' : ` (cap ${formatRate(b.downloadBytesPerSec)})`}; ` +
        `this period ${formatBytes(b.periodUploadedBytes)} up, ${formatBytes(b.periodDownloadedBytes)} down`,
    );
  }
  if (s.notices.length > 0) {
    lines.push('', 'notices:');
    for (const n of s.notices.slice(-limit)) lines.push(`  ${formatClock(n.atMs)} ${n.isError ? 'WARN ' : ''}${n.text}`);
  }
  if (s.pins.length > 0) lines.push('', `pinned: ${s.pins.join(', ')}`);
  if (s.bans.length > 0) lines.push(`banned: ${s.bans.join(', ')}`);
  return lines.join('\n');
}

export function describeAgent(s: StatusSnapshot, nowMs: number): string {
  const next = s.agent.nextTickAtMs === null ? '' : `, next tick in ${formatDuration(Math.max(0, s.agent.nextTickAtMs - nowMs))}`;
  switch (s.agent.state) {
    case 'paused':
      return 'paused';
    case 'ticking':
      return `ticking (tick ${s.agent.tick})`;
    case 'error':
      return `error in tick ${s.agent.tick}${next}`;
    case 'starting':
      return 'starting';
    case 'running':
      return `running, ${s.agent.tick} ticks${next}${s.agent.dryRun ? ' (dry run)' : ''}`;
  }
}
