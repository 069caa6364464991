/**
 * A lone node's first fill of an empty mirror, with slow start and without: one node with the
 * disk a node of the population has, in the same world, the torrents it holds read at every
 * tick. The fill time is when it first holds 90 % of the torrents the node without slow start
 * holds at the end of the window (the add limit, not the disk, may bound both; counted in
 * torrents, not bytes, because slow start draws by deficit alone and so takes larger ones
 * than the planner's need per GB), so the ratio says how much slower slow start makes a first fill.
 */
import type { AgentConfig } from '../agent/index.js';
import { SIM_START_MS, type SimOptions } from './model.js';
import { runStrategy } from './run.js';
import { smartnodeStrategy } from './smartnode.js';

export interface LoneFill {
  /** Hours to the fill level, with slow start and without (null: not reached in the window). */
  slowStartHours: number | null;
  noSlowStartHours: number | null;
  levelTorrents: number;
  windowHours: number;
}

const WINDOW_DAYS = 2;

export function measureLoneFill(options: SimOptions, config: AgentConfig): LoneFill {
  const lone: SimOptions = {
    ...options,
    nodes: 1,
    diskMultiple: options.diskMultiple / Math.max(1, options.nodes),
    days: Math.min(options.days, WINDOW_DAYS),
  };
  const herd = config.planPolicy.scoring.signals?.herd;
  const signals = config.planPolicy.scoring.signals;
  const noSlowStart: AgentConfig =
    herd === undefined || signals === undefined
      ? config
      : {
          ...config,
          planPolicy: {
            ...config.planPolicy,
            scoring: { ...config.planPolicy.scoring, signals: { ...signals, herd: { ...herd, slowStartAdds: Number.POSITIVE_INFINITY } } },
          },
        };
  const committed = (c: AgentConfig): Array<{ hours: number; held: number }> => {
    const inner = smartnodeStrategy(c, { torrents: lone.torrents });
    const samples: Array<{ hours: number; held: number }> = [];
    runStrategy(lone, {
      name: inner.name,
      tick(node, w, nowMs) {
        samples.push({ hours: (nowMs - SIM_START_MS) / 3_600_000, held: node.copies.size });
        return inner.tick(node, w, nowMs);
      },
    });
    return samples;
  };
  const fast = committed(noSlowStart);
  const slow = committed(config);
  const levelTorrents = Math.ceil(0.9 * (fast.at(-1)?.held ?? 0));
  const reached = (samples: Array<{ hours: number; held: number }>): number | null =>
    levelTorrents <= 0 ? null : (samples.find((s) => s.held >= levelTorrents)?.hours ?? null);
  return { slowStartHours: reached(slow), noSlowStartHours: reached(fast), levelTorrents, windowHours: lone.days * 24 };
}
