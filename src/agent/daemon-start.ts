/**
 * When the daemon process started, bounded from its uptime (session-stats
 * `current-stats.secondsActive`, which every Transmission line reports). The uptime is whole
 * seconds and lags the daemon's clock by up to a second or two (3.00 refreshes it on a
 * one-second timer), so it gives an interval: the latest start is the answer's time minus the
 * uptime, the earliest SECONDS_ACTIVE_SLACK seconds before that. Two readings whose intervals
 * do not overlap come from two daemon processes: a restart between them, however quick.
 */
import type { DaemonPort } from '../daemon/index.js';
import { SmartnodeError } from '../shared/index.js';

/** Seconds by which a daemon's secondsActive may under-report its time since start. */
const SECONDS_ACTIVE_SLACK = 3;

/** The earliest the daemon can have started (agent clock, ms); `askedAtMs` is taken before asking. */
export async function readDaemonEarliestStartMs(daemon: DaemonPort, askedAtMs: number): Promise<number> {
  return askedAtMs - ((await daemon.readSessionStats()).secondsActive + SECONDS_ACTIVE_SLACK) * 1000;
}

/**
 * The latest the daemon can have started (agent clock, ms), or undefined when it does not say
 * (an add is then judged without it, as before any record had one). Unreachable is thrown.
 */
export async function readDaemonLatestStartMs(daemon: DaemonPort, clock: () => number): Promise<number | undefined> {
  try {
    const { secondsActive } = await daemon.readSessionStats();
    return clock() - secondsActive * 1000;
  } catch (error) {
    if (error instanceof SmartnodeError && error.code === 'DAEMON_UNREACHABLE') throw error;
    return undefined;
  }
}
