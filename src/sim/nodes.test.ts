import { describe, expect, it } from 'vitest';
import { seededRandom } from '../shared/index.js';
import { addCopy, removeCopy, replaceNode, stepNodeDownloads, type Copy, type SimNode } from './nodes.js';

/**
 * The download step as the plain definition: every incomplete copy with a source, in the
 * node's order of its copies, stably sorted by bytes left, shares the node's rate smallest
 * first. stepNodeDownloads keeps its own list of downloads; it must move the same bytes.
 */
function reference(sizes: Float64Array, copies: Map<number, Copy>, sourced: Uint8Array, rate: number, nowMs: number, stepMs: number) {
  const active = [...copies.values()].filter((c) => !c.complete && sourced[c.torrent] === 1);
  active.sort((a, b) => (sizes[a.torrent] ?? 0) - a.doneBytes - ((sizes[b.torrent] ?? 0) - b.doneBytes));
  let budget = rate * (stepMs / 1000);
  let total = 0;
  const finished: number[] = [];
  active.forEach((c, k) => {
    const got = Math.min((sizes[c.torrent] ?? 0) - c.doneBytes, budget / (active.length - k));
    c.doneBytes += got;
    budget -= got;
    total += got;
    if (got > 0) c.lastProgressAtMs = nowMs;
    if (c.doneBytes >= (sizes[c.torrent] ?? 0)) {
      c.complete = true;
      finished.push(c.torrent);
    }
  });
  return { total, finished };
}

function emptyNode(): SimNode {
  return {
    index: 0,
    nodeId: 'n',
    budgetBytes: 0,
    phase: 0,
    startMs: 0,
    generation: 0,
    copies: new Map(),
    downloading: [],
    usedBytes: 0,
    rnd: Math.random,
  };
}

describe('stepNodeDownloads', () => {
  it('moves exactly the bytes of the plain definition through adds, removals, sources coming and going, ties and a replacement', () => {
    const rnd = seededRandom(5);
    // Few distinct sizes: many downloads tie on bytes left, where only the copies' order decides.
    const sizes = Float64Array.from({ length: 60 }, () => [100e6, 250e6, 1e9][Math.floor(rnd() * 3)] as number);
    const node = emptyNode();
    const shadow = new Map<number, Copy>();
    const sourced = new Uint8Array(sizes.length);
    let compared = 0;
    for (let step = 0; step < 400; step++) {
      const nowMs = step * 600_000;
      for (let k = 0; k < 3; k++) {
        const t = Math.floor(rnd() * sizes.length);
        if (rnd() < 0.7) {
          if (addCopy(sizes, node, t, nowMs)) shadow.set(t, { ...(node.copies.get(t) as Copy) });
        } else if (removeCopy(sizes, node, t) !== undefined) shadow.delete(t);
      }
      if (step === 200) {
        replaceNode(node, 1, nowMs);
        shadow.clear();
      }
      for (let t = 0; t < sizes.length; t++) if (rnd() < 0.1) sourced[t] = rnd() < 0.6 ? 1 : 0;
      const finished: number[] = [];
      const total = stepNodeDownloads(sizes, node, sourced, 0.5e6, nowMs, 600_000, finished);
      const want = reference(sizes, shadow, sourced, 0.5e6, nowMs, 600_000);
      expect(total).toBe(want.total);
      expect([...finished].sort((a, b) => a - b)).toEqual([...want.finished].sort((a, b) => a - b));
      for (const [t, c] of node.copies) expect({ ...c, seq: 0 }).toEqual({ ...(shadow.get(t) as Copy), seq: 0 });
      expect(node.downloading.map((c) => c.torrent).sort((a, b) => a - b)).toEqual(
        [...node.copies.values()]
          .filter((c) => !c.complete)
          .map((c) => c.torrent)
          .sort((a, b) => a - b),
      );
      compared += finished.length;
    }
    expect(compared).toBeGreaterThan(50);
  });
});
