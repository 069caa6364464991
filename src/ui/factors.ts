/**
 * Pure: the score's factors as lines for the detail view. The numbers are the planner's
 * (ScoreFactors, carried in the agent's mirror view) and the herd sentences are the ones
 * `explain` prints; only their layout is decided here.
 */
import type { PopulationSummary } from '../agent/index.js';
import { describeCompetitors, describeSources, herdSentence, type ScoreFactors } from '../plan/index.js';
import { formatDuration, formatPercent, formatRate, formatScore } from '../shared/index.js';

/** `population`: the tick's herd estimates (the planned event's), said under the herd factor. */
export function factorLines(f: ScoreFactors | null, nowMs: number, population?: PopulationSummary, held = false): string[] {
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
  if (f.sources !== undefined && f.sources !== null)
    lines.push(`x${formatScore(f.sources.factor)} sources: ${describeSources(f.sources, held)}`);
  // The planner's own estimate is in the factor (it is never below the policy's hint), so no hint is needed here.
  if (f.herd !== null) lines.push(`x${formatScore(f.herd.factor)} herd: ${herdSentence(f.herd, 1)}`);
  if (f.herd !== null && population !== undefined) lines.push(`  ${describeCompetitors(population)}`);
  return lines;
}

/** The countries column: the top country and how many more, or '-'. */
export function countriesText(f: ScoreFactors | null): string {
  const g = f?.geo ?? null;
  if (g === null || g.countries === 0) return '-';
  return g.countries === 1 ? g.topCountry : `${g.topCountry}+${g.countries - 1}`;
}
