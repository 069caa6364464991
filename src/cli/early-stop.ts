/**
 * SIGINT and SIGTERM from the first moment of the process. The executable installs these
 * handlers before it loads the rest of smartnode (hundreds of modules, the slow part of a
 * start), so a stop asked during start-up is kept instead of killing the process by the
 * signal (exit 143). `smartnode run` takes the held signal over and stops cleanly (exit 0);
 * any other command gets the signal's default meaning back. No imports: it must load at once.
 */
const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
let received: NodeJS.Signals | null = null;
let holding = false;
const hold = (signal: NodeJS.Signals): void => {
  received ??= signal;
};

export function holdStopSignals(): void {
  if (holding) return;
  holding = true;
  for (const signal of SIGNALS) process.on(signal, hold);
}

/** Stops holding; returns the first stop signal that arrived meanwhile, if any. */
export function releaseStopSignals(): NodeJS.Signals | null {
  if (!holding) return null;
  holding = false;
  for (const signal of SIGNALS) process.off(signal, hold);
  const signal = received;
  received = null;
  return signal;
}

/** For commands other than `run`: a held signal now does what it would have done (ends the process). */
export function replayStopSignal(): void {
  const signal = releaseStopSignals();
  if (signal !== null) process.kill(process.pid, signal);
}
