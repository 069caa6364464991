/**
 * `smartnode run`: the agent. `--once` runs one tick; otherwise the loop runs with the control
 * socket up (status, dashboard, commands) and live policy edits, until SIGINT/SIGTERM, which
 * let the current action finish. A stop is taken at any moment, start-up included (the
 * executable holds the signals before it loads anything, early-stop.ts): every request waiting
 * for or using a site's budget is abandoned at once, no further action starts, and the process
 * exits 0 once the action under way (one daemon call) is done.
 */
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { startAgentLoop, tickFinishedEvent } from '../agent/index.js';
import { runTick } from '../agent/index.js';
import { startControlEndpoint } from '../control/index.js';
import { readOwnedProgress } from './progress-read.js';
import { formatPlanTable } from '../plan/index.js';
import { NO_TTY_MESSAGE, hasTerminal } from './dashboard.js';
import { forgetCiEnvironment } from './interactive.js';
import type { Logger } from 'pino';
import { createLogger, logAgentEvents, type LogFormat } from './log.js';
import { releaseStopSignals } from './early-stop.js';
import { isStopping } from '../shared/index.js';
import type { CliIO } from './io.js';
import { buildRuntime, ensureDownloadDir } from './runtime.js';
import { startOperations } from './ops.js';

interface RunOptions {
  policy: string;
  stateDir?: string;
  once?: boolean;
  dryRun?: boolean;
  logFormat?: LogFormat;
  logLevel: string;
  dashboard?: boolean;
  yes?: boolean;
}

export function registerRunCommand(program: Command, io: CliIO, secrets: string[], setExitCode: (code: number) => void): void {
  program
    .command('run')
    .description('Run the agent: every tick, read the feeds, plan, and drive the daemon.')
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .option('--state-dir <dir>', 'agent state directory (overrides node.stateDir)')
    .option('--once', 'run one tick and exit')
    .option('--dry-run', 'plan and print the actions without touching the daemon')
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'pretty']))
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option(
      '--dashboard',
      'show the dashboard in this terminal while the agent runs (logs go to <state dir>/smartnode.log); q stops the agent',
    )
    .option(
      '--yes',
      'carry out plans that remove more than limits.maxEvictFraction of the mirror at once (e.g. after shrinking the budget)',
    )
    .action(async (opts: RunOptions) => {
      // The stop handlers come first: a signal held since the process started, or one that
      // arrives while the runtime is built, stops the agent before its first tick.
      const controller = new AbortController();
      let stopSignal: NodeJS.Signals | null = null;
      let log: Logger | null = null;
      const stop = (signal: NodeJS.Signals): void => {
        if (controller.signal.aborted) {
          log?.warn(`second ${signal}: exiting now`);
          process.exit(130);
        }
        stopSignal = signal;
        log?.info(`${signal}: finishing the current action, then stopping`);
        controller.abort();
      };
      const held = releaseStopSignals();
      const releaseSignals = ownSignals(['SIGINT', 'SIGTERM'], stop);
      if (held !== null) stop(held);
      try {
        await runAgent(opts, { signal: controller.signal, request: () => controller.abort() }, (logger) => {
          log = logger;
          if (stopSignal !== null) logger.info(`${stopSignal} during start-up: stopping before the first tick`);
        });
      } finally {
        releaseSignals();
      }
    });

  async function runAgent(
    opts: RunOptions,
    stopping: { signal: AbortSignal; request: () => void },
    onLogger: (logger: Logger) => void,
  ): Promise<void> {
    const stopSignal = stopping.signal;
    if (opts.dashboard && (opts.once || !hasTerminal(process.stdin, io.stdout))) {
      io.stderr.write(opts.once ? '--dashboard needs a running agent, not --once\n' : NO_TTY_MESSAGE);
      setExitCode(opts.once ? 2 : 1);
      return;
    }
    const runtime = await buildRuntime({
      policyPath: opts.policy,
      stateDir: opts.stateDir,
      env: io.env,
      yes: opts.yes === true,
      stop: stopSignal,
    });
    secrets.push(...runtime.secrets);
    // While the dashboard owns the terminal, logs go to a file: anything else on stdout garbles Ink.
    const logFile = opts.dashboard ? createWriteStream(join(runtime.stateDir, 'smartnode.log'), { flags: 'a', mode: 0o600 }) : null;
    const logger =
      logFile !== null
        ? createLogger({ format: opts.logFormat ?? 'pretty', level: opts.logLevel, destination: logFile })
        : createLogger({
            format: opts.logFormat ?? (io.stdout.isTTY ? 'pretty' : 'json'),
            level: opts.logLevel,
            destination: io.stdout,
          });
    logAgentEvents(runtime.bus, logger);
    onLogger(logger);
    logger.info(
      { policy: runtime.policyPath, stateDir: runtime.stateDir, nodeId: runtime.deps.state.nodeId },
      `smartnode starting${opts.dryRun ? ' (dry run)' : ''}`,
    );
    if (!opts.dryRun) await ensureDownloadDir(runtime.config.downloadDir);
    const dryRun = opts.dryRun === true;
    if (stopSignal.aborted) {
      logger.info('smartnode stopped');
      return;
    }

    if (opts.once) {
      const startedAtMs = Date.now();
      const result = await runTick(runtime.deps, runtime.config, { dryRun, tick: 1, stop: stopSignal }).catch((error: unknown) => {
        if (stopSignal.aborted && isStopping(error)) return null;
        throw error;
      });
      if (result === null) {
        await runtime.deps.digestJobs?.close();
        logger.info('smartnode stopped');
        return;
      }
      runtime.bus.emit(tickFinishedEvent(result, { tick: 1, startedAtMs, nowMs: Date.now(), dryRun }));
      // A content check started by this one tick is not waited for: the next run starts it again.
      await runtime.deps.digestJobs?.close();
      if (dryRun) io.stdout.write(`${formatPlanTable(result.plan, { limit: 50, width: 120 })}\n`);
      setExitCode(result.failed > 0 ? 1 : 0);
      return;
    }

    // Metrics and webhooks subscribe to the bus before the first tick (and before the control socket: a bad secret stops here).
    const operations = await startOperations({ runtime, env: io.env, logger, addSecrets: (values) => secrets.push(...values) });
    // The control socket (status, dashboard, commands) is up before the first tick.
    let wakeLoop: () => boolean = () => false;
    const control = await startControlEndpoint({
      stateDir: runtime.stateDir,
      bus: runtime.bus,
      state: runtime.deps.state,
      clock: runtime.deps.clock,
      dryRun,
      tickNow: () => wakeLoop(),
      targetSeeders: () => runtime.policy.scoring.targetSeeders,
      readProgress: () => readOwnedProgress(runtime.deps.daemon, (hash) => runtime.deps.state.ownedRecord(hash) !== undefined),
      confirmEviction: () => {
        const guard = runtime.deps.donated?.guard;
        if (guard === undefined || guard.pending() === null) return false;
        guard.confirm();
        return true;
      },
    });
    // Live policy edits (file watch and SIGHUP): a valid edit applies at the next tick.
    const policyWatch = runtime.watchPolicy();
    const loop = startAgentLoop(runtime.deps, {
      tickIntervalMs: runtime.policy.intervals.tick,
      dryRun,
      signal: stopSignal,
      readConfig: () => runtime.config,
      onTick: (result) => control.control.observeTick(result),
    });
    wakeLoop = () => loop.tickNow();
    if (opts.dashboard) {
      forgetCiEnvironment();
      const { runDashboard } = await import('../ui/index.js');
      await Promise.race([runDashboard({ socketPath: control.server.socketPath, stdout: io.stdout as NodeJS.WriteStream }), loop.done]);
      if (!stopSignal.aborted) {
        logger.info('dashboard closed: finishing the current action, then stopping');
        stopping.request();
      }
    }
    await loop.done;
    await runtime.deps.digestJobs?.close();
    policyWatch.close();
    await control.close();
    await operations.close();
    logger.info('smartnode stopped');
    logFile?.end();
  }
}

/**
 * While the agent runs, it alone decides what SIGINT and SIGTERM mean: the first finishes the
 * action under way and stops (exit 0, what systemd expects of a stop), a second exits at once.
 * Libraries hook these signals too (conf's atomic writer, through when-exit, re-raises the
 * signal after its cleanup, which would arrive as a second signal and exit 130), so their
 * listeners are set aside while ours is installed and put back when the agent has stopped.
 * Nothing is lost by it: the agent finishes its writes before it exits.
 */
function ownSignals(signals: readonly NodeJS.Signals[], handler: (signal: NodeJS.Signals) => void): () => void {
  const others = new Map(signals.map((signal) => [signal, process.rawListeners(signal) as ((...args: unknown[]) => void)[]]));
  for (const signal of signals) {
    process.removeAllListeners(signal);
    process.on(signal, handler);
  }
  return () => {
    for (const signal of signals) {
      process.off(signal, handler);
      for (const listener of others.get(signal) ?? []) process.on(signal, listener);
    }
  };
}
