/**
 * Herd avoidance (issue 3). Pure and deterministic: no coordinator, no randomness at run time.
 *
 * Many smartnodes read the same feeds and see the same counts at about the same time. If each
 * took every needy torrent, a swarm with one seeder would get a thousand. Instead:
 *
 * - deficit d = targetSeeders - seeders: the copies the swarm still needs. A node counts itself
 *   once it holds a torrent (the planner excludes our own copy from the counts, and a held
 *   torrent is never subject to the draw: we already are one of its seeders).
 * - each node draws u = hash(nodeId, infoHash) in [0, 1): the same draw every tick for the same
 *   node and torrent, different across nodes (rendezvous hashing: the nodes with the lowest
 *   draws are the torrent's "designated" takers, and the set only shrinks as d falls).
 * - with E = expectedNodes (independent nodes assumed to see the same counts), a node is
 *   designated when u < p = min(1, d / E): about d of the E nodes are. The probability falls
 *   as more nodes would also take the torrent.
 * - factor = (designated ? 1 : p) x (1 - jitter x u). A node that is not designated still
 *   values the torrent at its expected share p of the need (others are expected to fill the
 *   deficit), so it takes it only when it has room and nothing better. The small jitter breaks
 *   exact ties differently on every node.
 *
 * With d >= E the factor is 1 - jitter x u: a node that expects fewer peers than the swarm
 * needs takes what is needed. That is why the default E (4) keeps a lone node deterministic
 * for torrents with at most one seeder at the default target of 5 (d = 4 >= E).
 */
import type { HerdFactor, SignalScoring } from './types.js';

/** FNV-1a over the UTF-16 code units, then murmur3's fmix32 for avalanche; [0, 1). */
export function herdDraw(nodeId: string, infoHash: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < nodeId.length; i++) h = Math.imul(h ^ nodeId.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ 0x3a, 0x01000193);
  for (let i = 0; i < infoHash.length; i++) h = Math.imul(h ^ infoHash.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** The herd factor for one swarm; null when herd avoidance is off or the counts are unknown. */
export function herdFactor(
  args: { infoHash: string; seeders: number | null; targetSeeders: number; held: boolean },
  herd: SignalScoring['herd'],
): HerdFactor | null {
  if (!herd.enabled || args.seeders === null) return null;
  const deficit = Math.max(0, args.targetSeeders - args.seeders);
  const draw = herdDraw(herd.nodeId, args.infoHash);
  if (args.held) {
    return { factor: 1, deficit, probability: 1, draw, designated: true, held: true };
  }
  const expected = Math.max(1, herd.expectedNodes);
  const probability = Math.min(1, deficit / expected);
  const designated = draw < probability;
  const jitter = Math.max(0, Math.min(1, herd.jitter));
  const factor = (designated ? 1 : probability) * (1 - jitter * draw);
  return { factor, deficit, probability, draw, designated, held: false };
}
