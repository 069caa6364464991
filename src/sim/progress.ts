/**
 * Pure: the progress line `smartnode simulate` writes to stderr while it runs, so a run of
 * minutes is not silent. Each strategy's start is said; between, the simulated day it reached,
 * at most once per `everyMs` of wall time (on a terminal one line rewritten in place).
 */
import { SIM_START_MS } from './model.js';

const DAY_MS = 86_400_000;

export interface SimProgress {
  /** After each tick of a strategy's run (runStrategiesInWorkers' onStep). */
  step(nowMs: number, strategy: string): void;
  /** Ends the line on a terminal, before the results are printed. */
  finish(): void;
}

export function createSimProgress(options: {
  strategies: readonly string[];
  days: number;
  write: (text: string) => void;
  /** Wall clock, ms. */
  clock: () => number;
  isTTY: boolean;
  everyMs?: number;
}): SimProgress {
  const everyMs = options.everyMs ?? (options.isTTY ? 250 : 5000);
  let current: string | null = null;
  let lastAtMs = Number.NEGATIVE_INFINITY;
  let open = false;
  const say = (text: string): void => {
    if (options.isTTY) {
      options.write(`\r\u001b[2K${text}`);
      open = true;
    } else {
      options.write(`${text}\n`);
    }
  };
  return {
    step(nowMs, strategy) {
      const wallMs = options.clock();
      const index = options.strategies.indexOf(strategy) + 1;
      const day = Math.min(options.days, (nowMs - SIM_START_MS) / DAY_MS);
      const text =
        `simulating ${strategy} (${index} of ${options.strategies.length}): ` +
        `day ${day.toFixed(1)} of ${options.days} (${Math.round((100 * day) / options.days)} %)`;
      if (strategy !== current || wallMs - lastAtMs >= everyMs) {
        current = strategy;
        lastAtMs = wallMs;
        say(text);
      }
    },
    finish() {
      if (open) options.write('\r\u001b[2K');
      open = false;
    },
  };
}
