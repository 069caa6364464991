import { BytesBelow } from './decide.js';
import { MovableLog, Placement } from './placement.js';
import { Pool } from './pool.js';
import { ReasonBook } from './reasons.js';
import { DEFAULT_SCORING, NeedCache } from './score.js';

/**
 * One empty instance of each class the planner builds per plan, alive as long as the process.
 *
 * V8 gives objects hidden classes ("maps") and optimized code embeds them, but it holds the
 * maps of a class's instances only weakly: once no instance is left, a full GC collects them
 * and deoptimizes every function that embedded them ("weak objects" in --trace-deopt). The
 * agent plans once per tick, and between ticks the working set of the last plan is garbage,
 * so without these each plan started over in the interpreter: 30-40% slower, and its
 * for-of loops allocated an iterator result per step (src/bench/plan-bench.ts, ticks mode).
 *
 * This only works while an instance's fields keep one representation: the classes hold
 * numbers in typed arrays (or small integers), never in fields that could switch between
 * integers and doubles, which would give real instances a different map than these.
 */
export const PLANNER_SHAPES: readonly object[] = anchorShapes();

function anchorShapes(): object[] {
  const pool = new Pool(0);
  return [
    pool,
    new Placement(pool, 0, [{ id: 'anchor', maxBytes: null, maxTorrents: null }]),
    new MovableLog(),
    new ReasonBook(DEFAULT_SCORING, 0),
    new NeedCache(DEFAULT_SCORING),
    new BytesBelow(pool, []),
  ];
}
