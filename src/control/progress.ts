/**
 * Live progress between ticks: while someone watches (a dashboard subscribed, or a `status`
 * request just now), the agent reads its torrents' numbers from the daemon every few seconds
 * and emits a `progress` event, which the status reducer folds into the owned rows. No feed is
 * read and nothing is planned: a finished download shows 100 % within seconds, not at the next
 * tick, and the planner's scores and reasons stay the tick's.
 */
import type { AgentEvent, EventBus } from '../agent/index.js';

type ProgressEvent = Extract<AgentEvent, { type: 'progress' }>;

export type ProgressReading = Omit<ProgressEvent, 'type' | 'atMs'>;

export interface ProgressPollOptions {
  bus: EventBus;
  clock: () => number;
  /** The daemon's numbers for the owned torrents (a light torrent-get, no tracker stats). */
  read: () => Promise<ProgressReading>;
  /** True while a viewer is attached; the timer polls only then. */
  isWatched: () => boolean;
  intervalMs?: number;
}

export interface ProgressPoll {
  /** Reads now unless a reading is under way or younger than a second; never throws. */
  refresh(): Promise<void>;
  stop(): void;
}

export const PROGRESS_INTERVAL_MS = 3000;
const FRESH_MS = 1000;

export function startProgressPoll(options: ProgressPollOptions): ProgressPoll {
  let inFlight: Promise<void> | null = null;
  let lastAtMs = Number.NEGATIVE_INFINITY;
  const refresh = (): Promise<void> => {
    if (inFlight !== null) return inFlight;
    if (options.clock() - lastAtMs < FRESH_MS) return Promise.resolve();
    inFlight = options
      .read()
      .then(
        (reading) => {
          lastAtMs = options.clock();
          options.bus.emit({ type: 'progress', atMs: lastAtMs, ...reading });
        },
        () => undefined, // the daemon away: the next tick says so; the screen keeps the last numbers
      )
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };
  const timer = setInterval(() => {
    if (options.isWatched()) void refresh();
  }, options.intervalMs ?? PROGRESS_INTERVAL_MS);
  timer.unref();
  return { refresh, stop: () => clearInterval(timer) };
}
