/**
 * One decision, explained: every score component with the inputs it came from (source and
 * age). `smartnode explain` prints it; `plan` shows the top factors per row. Pure.
 */
import { describeGeo, describeSlow, describeSources, herdSentence } from './describe-factors.js';
import type { Decision, ScoreComponents, ScoringPolicy } from './types.js';
import { formatBytes, formatDuration, formatScore, plural } from '../shared/index.js';

/** "geo x1.5 slow x1.3": the (at most two) factors furthest from 1; "-" when none moved. */
export function formatTopFactors(c: ScoreComponents): string {
  const f = c.factors;
  if (f === undefined) return '-';
  const all: [string, number][] = [
    ['leechers', f.leechers],
    ['geo', f.geo?.factor ?? 1],
    ['slow', f.slow?.factor ?? 1],
    ['herd', f.herd?.factor ?? 1],
    ['sources', f.sources?.factor ?? 1],
  ];
  const moved = all
    .filter(([, x]) => Math.abs(x - 1) >= 0.005)
    .sort((a, b) => Math.abs(Math.log(Math.max(b[1], 1e-9))) - Math.abs(Math.log(Math.max(a[1], 1e-9))))
    .slice(0, 2);
  return moved.length === 0 ? '-' : moved.map(([name, x]) => `${name} x${formatScore(x)}`).join(' ');
}

export function explainDecision(d: Decision, nowMs: number, scoring: ScoringPolicy): string[] {
  const c = d.components;
  const f = c.factors;
  const age = (atMs: number): string => `${formatDuration(Math.max(0, nowMs - atMs))} ago`;
  const lines: string[] = [];
  lines.push(`${d.name} (${d.infoHash})`);
  lines.push(`  decision  ${d.action}: ${d.reason.code}: ${d.reason.text}`);
  const size = d.sizeBytes === null ? 'size unknown' : `${formatBytes(d.sizeBytes)}`;
  lines.push(
    `  score     ${formatScore(d.score)} per GB = need ${formatScore(d.need)} / ` +
      `${size}${d.isHeld ? (d.isOwned ? ', held by us' : ', held, not ours') : ''}`,
  );
  const product = [`scarcity ${formatScore(c.scarcity)}`, `leechers x${formatScore(f?.leechers ?? c.demand)}`];
  if (f !== undefined)
    product.push(
      `geo x${formatScore(f.geo?.factor ?? 1)}`,
      `slow x${formatScore(f.slow?.factor ?? 1)}`,
      `herd x${formatScore(f.herd?.factor ?? 1)}`,
      ...(f.sources === undefined ? [] : [`sources x${formatScore(f.sources?.factor ?? 1)}`]),
    );
  lines.push(`  need      ${product.join(' * ')}`);
  if (d.counts === null) {
    lines.push('  counts    none yet (treated as moderately needed)');
  } else {
    const besides = c.selfExcluded === null ? '' : ` (our own copy not counted as a ${c.selfExcluded})`;
    lines.push(
      `  counts    ${plural(d.counts.seeders, 'seeder')}, ` +
        `${plural(d.counts.leechers, 'leecher')}${d.counts.completed === null ? '' : `, ${d.counts.completed} completed`}: ` +
        `${d.counts.source} ${d.counts.origin}, ${age(d.counts.observedAtMs)}${besides}`,
    );
    lines.push(`  scarcity  ${c.seeders ?? '?'} against a target of ${scoring.targetSeeders}`);
    lines.push(`  leechers  ${c.leechers ?? '?'} waiting, weight ${scoring.leecherWeight}`);
  }
  if (f === undefined) {
    lines.push('  signals   not scored (geography, slow downloads and herd avoidance are off or not observed)');
    return lines;
  }
  if (f.geo === null) {
    lines.push('  geography unknown: no peer located yet (private, loopback and unresolved addresses count as unknown)');
  } else {
    const g = f.geo;
    lines.push(
      `  geography ${describeGeo(g)}: concentration ${formatScore(g.concentration)}, continent gap ${formatScore(g.continentGap)}, ` +
        `${g.knownPeers} located, ${g.unknownPeers} unknown; ` +
        `${g.source === 'daemon' ? 'daemon peers' : 'announce probe'}, ${age(g.observedAtMs)}`,
    );
  }
  if (f.slow === null) {
    lines.push('  downloads no estimate yet (held: two polls of the peers; others: scrape history over the minimum span)');
  } else {
    const s = f.slow;
    const o = s.observation;
    const from =
      o.kind === 'peers'
        ? `peer progress over ${formatDuration(o.spanMs)}`
        : `Little's law: L ${formatScore(o.leechers)}, ` +
          `lambda ${formatScore(o.completionsPerHour)}/h over ${o.samples} scrapes in ${formatDuration(o.spanMs)}`;
    lines.push(`  downloads ${describeSlow(s)}: slowness ${formatScore(s.slowness)}; ${from}, ${age(o.observedAtMs)}`);
  }
  if (f.sources !== undefined && f.sources !== null) lines.push(`  sources   ${describeSources(f.sources, d.isHeld)}`);
  lines.push(`  herd      ${f.herd === null ? 'off (or counts unknown)' : herdSentence(f.herd, scoring.signals?.herd.expectedNodes ?? 1)}`);
  return lines;
}
