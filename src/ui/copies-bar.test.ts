import { describe, expect, it } from 'vitest';
import { copiesBar } from './copies-bar.js';

describe("a torrent's copies against the target", () => {
  it("one cell per copy the target asks for, this node's own marked, full or downloading", () => {
    expect(copiesBar({ others: 2, ours: { done: 1 }, target: 5 })).toBe('██▓·· 2+1/5');
    expect(copiesBar({ others: 2, ours: { done: 0.4 }, target: 5 })).toBe('██▒·· 2+.4/5');
    expect(copiesBar({ others: 1, ours: null, target: 5 })).toBe('█···· 1/5');
    expect(copiesBar({ others: 0, ours: null, target: 3 })).toBe('··· 0/3');
  });

  it('over the target: the cells are full and a + says so; our copy keeps its cell', () => {
    expect(copiesBar({ others: 7, ours: null, target: 5 })).toBe('█████+7/5');
    expect(copiesBar({ others: 6, ours: { done: 1 }, target: 5 })).toBe('████▓+6+1/5');
  });

  it('a target over 10 is drawn to scale in 10 cells; uncounted swarms say so', () => {
    expect(copiesBar({ others: 10, ours: null, target: 20 })).toBe('█████····· 10/20');
    expect(copiesBar({ others: null, ours: { done: 1 }, target: 5 })).toBe('?');
  });
});
