import { describe, expect, it } from 'vitest';
import { shardMembers } from './run.js';

describe('shardMembers', () => {
  it('deals the nodes of each phase round-robin: every node once, each step split evenly', () => {
    // Phases as random ones come out: runs of the same phase that contiguous ranges would leave on one shard.
    const phases = [0, 0, 0, 0, 1, 1, 2, 0, 1, 2, 2, 2, 2, 0];
    const members = shardMembers(phases, 2);
    expect(members.flat().sort((a, b) => a - b)).toEqual(phases.map((_, i) => i));
    for (const shard of members) expect(shard).toEqual([...shard].sort((a, b) => a - b));
    for (const phase of [0, 1, 2]) {
      const counts = members.map((shard) => shard.filter((i) => phases[i] === phase).length);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });

  it('gives every shard a node: never more shards than nodes, none empty', () => {
    expect(shardMembers([3, 1], 4)).toEqual([[1], [0]]);
    expect(shardMembers([0, 0, 0, 5, 5], 2).map((shard) => shard.length)).toEqual([3, 2]);
  });
});
