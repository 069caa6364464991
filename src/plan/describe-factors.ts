/**
 * Sentences for the need-signal score factors, appended to the planner's reasons (reasons.ts) and
 * printed by `smartnode explain`. Pure. Only what moved the score is said.
 */
import type { GeoFactor, HerdFactor, ScoreComponents, SlowFactor, SourcesFactor } from './types.js';
import { formatDuration, formatPercent, formatRate, formatScore, plural } from '../shared/index.js';

/** "; peers all in one country (DE) on 1 of 3 continents; downloads crawl at 12 kB/s", or "". */
export function factorClauses(c: ScoreComponents): string {
  const f = c.factors;
  if (f === undefined) return '';
  const parts: string[] = [];
  if (f.geo !== null) parts.push(describeGeo(f.geo));
  if (f.slow !== null && f.slow.slowness > 0) parts.push(describeSlow(f.slow));
  return parts.length === 0 ? '' : `; ${parts.join('; ')}`;
}

export function describeGeo(g: GeoFactor): string {
  const who = g.peersAre === 'seeders' ? 'seeders' : 'peers';
  const where =
    g.countries === 1
      ? `${g.knownPeers === 1 ? `the one located ${who.slice(0, -1)} is` : `${who} all`} in one country (${g.topCountry})`
      : g.concentration >= 0.5
        ? `${who} concentrated: ${formatPercent(g.topShare)} in ${g.topCountry}, ${g.countries} countries`
        : `${who} spread over ${g.countries} countries`;
  const continents = `${plural(g.continents, 'continent')}`;
  const region = g.newRegion === null ? '' : `; this node would add a new ${g.newRegion}`;
  return `${where} on ${continents}${region}`;
}

export function describeSlow(s: SlowFactor): string {
  const o = s.observation;
  const rate = formatRate(s.rateBytesPerSec);
  if (o.kind === 'peers') {
    return `its ${plural(o.leechers, 'downloader')} get ${rate} besides our upload`;
  }
  if (!Number.isFinite(o.meanDownloadMs))
    return `nobody completed a download in ${formatDuration(o.spanMs)} (${formatScore(o.leechers)} waiting)`;
  return `downloads take ${formatDuration(o.meanDownloadMs)} on average (${rate})`;
}

export function describeHerd(h: HerdFactor, expectedNodes: number): string {
  if (h.slowStart === 'waiting' && h.gate === null) {
    return (
      `slow start: this node takes only a few of the needy torrents in its first hours, ` +
      `drawn by deficit, and this one was not drawn (this node drew ${formatScore(h.draw)})`
    );
  }
  const onTheirWay = h.onTheirWay > 0 ? `, ${h.onTheirWay} already on their way (leechers above the usual level)` : '';
  const needed = `${h.deficit} more ${h.deficit === 1 ? 'seeder is' : 'seeders are'} needed${onTheirWay}`;
  if (h.gate !== null) {
    return (
      `left to others for now: ${needed}; about ${formatScore(Math.max(expectedNodes, h.expectedNodes))} nodes take the same ` +
      `torrents as this one, and this swarm's take gate is ${formatScore(h.gate)} per open copy (it doubles each half hour ` +
      `no copy arrives), so each node takes it with probability ${formatScore(h.probability)} ` +
      `(this node drew ${formatScore(h.draw)})`
    );
  }
  return (
    `left to other smartnodes this interval: ${needed} and ` +
    `about ${formatScore(Math.max(expectedNodes, h.expectedNodes))} nodes read the same counts, ` +
    `so each takes it with probability ${formatScore(h.probability)} ` +
    `(this node drew ${formatScore(h.draw)})`
  );
}

/**
 * The herd factor with every input it came from (deficit, copies on their way, the swarm's
 * gate, probability and draw, slow start): `explain` and the dashboard's detail both say it.
 */
export function herdSentence(h: HerdFactor, expectedNodesHint: number): string {
  if (h.held) return 'held by us: never left to others';
  if (!h.designated) return describeHerd(h, expectedNodesHint);
  const how =
    h.slowStart === 'designated' ? 'slow start drew it' : `probability ${formatScore(h.probability)}, draw ${formatScore(h.draw)}`;
  const gate = `about ${formatScore(h.expectedNodes)} nodes competing${h.gate === null ? '' : `, take gate ${formatScore(h.gate)}`}`;
  return `takes it: deficit ${h.deficit}, ${how}; ${h.onTheirWay} on their way, ${gate}`;
}

/** What the competitor estimate is measured from: copies above their swarms' usual levels, others' against this node's. */
export function describeCompetitors(p: { competitors: number; othersOnTheirWay: number; mineOnTheirWay: number }): string {
  return (
    `about ${formatScore(p.competitors)} nodes take the same torrents as this one: beside its recent picks (worth ` +
    `${formatScore(p.mineOnTheirWay)} at the chances it took them with), ${formatScore(p.othersOnTheirWay)} copies of others arrived`
  );
}

/** Whether a download can finish, from its sources: complete seeders, web seeds, partial copies. */
export function describeSources(f: SourcesFactor, held: boolean): string {
  const partial = plural(f.partialCopies, 'partial copy', 'partial copies');
  const seeds = `${plural(f.seeders, 'complete seeder')}, ${plural(f.webSeeds, 'web seed')}, ${partial}`;
  if (held && f.seeders === 0 && f.webSeeds === 0) return `${seeds}: held by us, left to the stall rule`;
  if (f.canFinish) return `${seeds}: a download can finish`;
  return `${seeds}: nothing can complete a download now; ranked just below a swarm with one seeder`;
}
