import { describe, expect, it } from 'vitest';
import { hashOf } from '../plan/testing.js';
import type { InfoHash } from '../shared/index.js';
import { SwarmLevels, type Baseline } from './swarm-levels.js';

const level = (n: number): Baseline => ({
  leechers: n,
  copies: n + 1,
  excessLeechers: n / 2,
  excessCopies: n / 4,
  observedAtMs: 1_000 + n,
  gate: n / 3,
  excessSinceMs: 500 + n,
});

/** The next table with a level per listed swarm (n: its level), as population.ts fills it. */
function nextOf(prev: SwarmLevels, listed: readonly (number | null)[]): SwarmLevels {
  const b = prev.next(listed.map((n) => (n === null ? null : hashOf(n))));
  listed.forEach((n, i) => {
    if (n === null) return;
    const l = level(n + (b.prevSlot(i) >= 0 ? 1_000 : 0));
    b.set(i, l.leechers, l.copies, l.excessLeechers, l.excessCopies, l.observedAtMs, l.gate, l.excessSinceMs);
  });
  return b.build();
}

describe('swarm levels', () => {
  it('reads as the map it was built from, the last entry of a hash winning', () => {
    const entries: Array<[InfoHash, Baseline]> = [
      [hashOf(1), level(1)],
      [hashOf(2), level(2)],
      [hashOf(1), level(3)],
    ];
    const table = SwarmLevels.of(entries);
    expect(table.toMap()).toEqual(new Map(entries));
    expect(table.size).toBe(2);
    expect(table.get(hashOf(1))).toEqual(level(3));
    expect(table.has(hashOf(4))).toBe(false);
    expect(SwarmLevels.of(table)).toBe(table);
  });

  it('the next table holds the listed swarms only, and the previous one is left as it was', () => {
    const first = nextOf(SwarmLevels.empty(), [1, 2, null, 3]);
    expect([...first.keys()]).toEqual([hashOf(1), hashOf(2), hashOf(3)]);
    const second = nextOf(first, [2, 4, 2]);
    // Two tables from the same one: neither sees the other's swarms.
    const sibling = nextOf(first, [5]);
    expect(second.toMap()).toEqual(
      new Map([
        [hashOf(2), level(1_002)],
        [hashOf(4), level(4)],
      ]),
    );
    expect(sibling.toMap()).toEqual(new Map([[hashOf(5), level(5)]]));
    expect(first.toMap()).toEqual(
      new Map([
        [hashOf(1), level(1)],
        [hashOf(2), level(2)],
        [hashOf(3), level(3)],
      ]),
    );
    // A swarm that left and comes back starts afresh.
    expect(nextOf(second, [1]).get(hashOf(1))).toEqual(level(1));
  });

  it('finds the previous levels of a list that shifted, lost and gained swarms', () => {
    const first = nextOf(SwarmLevels.empty(), [1, 2, 3, 4, 5]);
    const next = nextOf(first, [1, 3, 4, 6, 5, 2, 2, null]);
    expect(next.toMap()).toEqual(
      new Map([1, 3, 4, 5, 2].map((n) => [hashOf(n), level(n + 1_000)] as const).concat([[hashOf(6), level(6)]])),
    );
    expect(nextOf(next, [6, 1, 7, 3]).toMap()).toEqual(
      new Map([6, 1, 3].map((n) => [hashOf(n), level(n + 1_000)] as const).concat([[hashOf(7), level(7)]])),
    );
  });

  it('rebuilds its index when most slots no longer hold a level, and keeps reading the previous table', () => {
    const many = Array.from({ length: 3_000 }, (_, i) => i + 1);
    const big = nextOf(nextOf(SwarmLevels.empty(), many), many);
    expect(big.size).toBe(3_000);
    const small = nextOf(big, [2_999, 7, 5_000]);
    expect(small.toMap()).toEqual(
      new Map([
        [hashOf(2_999), level(3_999)],
        [hashOf(7), level(1_007)],
        [hashOf(5_000), level(5_000)],
      ]),
    );
    expect(nextOf(small, [7, 8]).toMap()).toEqual(
      new Map([
        [hashOf(7), level(1_007)],
        [hashOf(8), level(8)],
      ]),
    );
    expect(big.get(hashOf(3_000))).toEqual(level(4_000));
  });
});
