/**
 * Sources: whether a download of this torrent can finish, as a factor of its need. Pure.
 *
 * A torrent's sources are its complete seeders, the web seeds its .torrent names (BEP 19
 * `url-list`, BEP 17 `httpseeds`, which Transmission fetches from) and, weakly, partial copies:
 * leechers that may hold pieces between them. With a complete seeder or a web seed the
 * download can finish: factor 1. With neither, its scarcity (1: no complete copy) overstates
 * what one more taker adds now, since that taker waits; so such a torrent is ranked just
 * below a swarm with one seeder at the same target and size:
 *
 *   factor = scarcity(1 seeder) x (NO_SOURCE_BASE + PARTIAL_WEIGHT x min(1, leechers / target))
 *
 * between 0.75 and 0.95 of a one-seeder swarm's scarcity (or of NO_SOURCE_FLOOR where that is 0). Partial copies lift it: the more
 * leechers, the likelier their pieces add up to a complete copy, and a returning seeder finds
 * them in place. It stays above a two-seeder swarm (at most 0.5 of one seeder's scarcity for
 * targets up to 10), so data with no complete copy still comes before well-started swarms,
 * and the bounded NO_SOURCE share of the budget (availability.ts) still applies on top.
 *
 * A held torrent is factor 1: we hold it (complete, or downloading; a stalled download is the
 * stall rule's to release), so ranking it lower would only trade it for a re-download.
 */
import type { SourcesFactor } from './types.js';

export const NO_SOURCE_BASE = 0.75;
export const PARTIAL_WEIGHT = 0.2;
/**
 * At a target of one seeder a one-seeder swarm needs nothing (scarcity 0), yet a torrent with
 * no copy at all still does: its factor never goes below this share of a torrent with a source.
 */
export const NO_SOURCE_FLOOR = 0.05;

export function sourcesFactor(args: {
  seeders: number | null;
  leechers: number | null;
  webSeeds: number;
  targetSeeders: number;
  /** seederScarcity(1, targetSeeders): what a swarm with one seeder scores (score.ts). */
  oneSeederScarcity: number;
  held: boolean;
}): SourcesFactor | null {
  if (args.seeders === null) return null;
  const leechers = args.leechers ?? 0;
  const canFinish = args.held || args.seeders > 0 || args.webSeeds > 0;
  const partial = Math.min(1, leechers / Math.max(1, args.targetSeeders));
  const factor = canFinish ? 1 : Math.max(NO_SOURCE_FLOOR, args.oneSeederScarcity) * (NO_SOURCE_BASE + PARTIAL_WEIGHT * partial);
  return { factor, seeders: args.seeders, webSeeds: args.webSeeds, partialCopies: leechers, canFinish };
}
