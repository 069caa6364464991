/**
 * Pure: the score's factors as lines for the detail view. The numbers are the planner's
 * (ScoreFactors, carried in the agent's mirror view); only their layout is decided here.
 */
import type { ScoreFactors } from '../plan/index.js';
import { formatDuration, formatPercent, formatRate, formatScore } from '../shared/index.js';

export function factorLines(f: ScoreFactors | null, nowMs: number): string[] {
  if (f === null) return ['factors: leecher demand only (no swarm signals scored)'];
  const lines = [`x${formatScore(f.leechers)} leecher demand`];
  if (f.geo !== null) {
    const g = f.geo;
    const region = g.newRegion === null ? '' : `; we would bring a new ${g.newRegion}`;
    lines.push(
      `x${formatScore(g.factor)} geography: ${g.knownPeers} peers in ${g.countries} countries on ${g.continents} continents, ` +
        `top ${g.topCountry || '?'} ${formatPercent(g.topShare)}${g.unknownPeers > 0 ? `, ${g.unknownPeers} unresolved` : ''}${region}`,
    );
  } else {
    lines.push('geography: peers not observed');
  }
  if (f.slow !== null) {
    lines.push(
      `x${formatScore(f.slow.factor)} slow downloads: ${formatRate(f.slow.rateBytesPerSec)} (slowness ${formatScore(f.slow.slowness)}, ` +
        `observed ${formatDuration(nowMs - f.slow.observation.observedAtMs)} ago)`,
    );
  }
  if (f.herd !== null) {
    lines.push(
      `x${formatScore(f.herd.factor)} herd: ${f.herd.deficit} seeders short, ` +
        `${f.herd.designated ? 'this node is one expected to take it' : 'left to other nodes first'}`,
    );
  }
  return lines;
}

/** The countries column: the top country and how many more, or '-'. */
export function countriesText(f: ScoreFactors | null): string {
  const g = f?.geo ?? null;
  if (g === null || g.countries === 0) return '-';
  return g.countries === 1 ? g.topCountry : `${g.topCountry}+${g.countries - 1}`;
}
