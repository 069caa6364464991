/**
 * The `smartnode` command line. Parses flags, builds dependencies, calls the agent. Exit codes:
 * 0 ok, 1 the work failed (daemon down, tick failed), 2 bad input (policy, flags).
 */
import { Command, CommanderError, Option } from 'commander';
import { runTick } from '../agent/tick.js';
import { startAgentLoop } from '../agent/loop.js';
import { formatPlanTable, planToJSON } from '../plan/index.js';
import { checkPolicyFile } from '../policy/index.js';
import { SmartnodeError, redactText } from '../shared/index.js';
import { createLogger, logAgentEvents, type LogFormat } from './log.js';
import { registerDoctorCommand } from './doctor.js';
import { registerExplainCommand } from './explain.js';
import { defaultInitDeps, registerInitCommand } from './init.js';
import { buildRuntime, ensureDownloadDir } from './runtime.js';
import { registerStatusCommand } from './status.js';
import { NO_TTY_MESSAGE, hasTerminal, registerDashboardCommand } from './dashboard.js';
import { startControlEndpoint } from '../control/index.js';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { forgetCiEnvironment } from './interactive.js';

export interface CliIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const defaultIO = (): CliIO => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

export async function main(argv: readonly string[], io: CliIO = defaultIO()): Promise<number> {
  let exitCode = 0;
  const secrets: string[] = [];
  const program = new Command()
    .name('smartnode')
    .description('A smart mirror for research-data torrents: mirrors what the swarm needs most, within the limits you donate.')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  program
    .command('run')
    .description('Run the agent: every tick, read the feeds, plan, and drive the daemon.')
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .option('--state-dir <dir>', 'agent state directory (overrides node.stateDir)')
    .option('--once', 'run one tick and exit')
    .option('--dry-run', 'plan and print the actions without touching the daemon')
    .addOption(new Option('--log-format <format>', 'log format').choices(['json', 'pretty']))
    .option('--log-level <level>', 'trace, debug, info, warn or error', 'info')
    .option('--dashboard', 'show the dashboard in this terminal while the agent runs (logs go to <state dir>/smartnode.log); q stops the agent')
    .option('--yes', 'carry out plans that remove more than limits.maxEvictFraction of the mirror at once (e.g. after shrinking the budget)')
    .action(async (opts: { policy: string; stateDir?: string; once?: boolean; dryRun?: boolean; logFormat?: LogFormat; logLevel: string; dashboard?: boolean; yes?: boolean }) => {
      if (opts.dashboard && (opts.once || !hasTerminal(process.stdin, io.stdout))) {
        io.stderr.write(opts.once ? '--dashboard needs a running agent, not --once\n' : NO_TTY_MESSAGE);
        exitCode = opts.once ? 2 : 1;
        return;
      }
      const runtime = await buildRuntime({ policyPath: opts.policy, stateDir: opts.stateDir, env: io.env, yes: opts.yes === true });
      secrets.push(...runtime.secrets);
      // While the dashboard owns the terminal, logs go to a file: anything else on stdout garbles Ink.
      const logFile = opts.dashboard ? createWriteStream(join(runtime.stateDir, 'smartnode.log'), { flags: 'a', mode: 0o600 }) : null;
      const logger = logFile !== null
        ? createLogger({ format: opts.logFormat ?? 'pretty', level: opts.logLevel, destination: logFile })
        : createLogger({ format: opts.logFormat ?? (io.stdout.isTTY ? 'pretty' : 'json'), level: opts.logLevel, destination: io.stdout });
      logAgentEvents(runtime.bus, logger);
      logger.info({ policy: runtime.policyPath, stateDir: runtime.stateDir, nodeId: runtime.deps.state.nodeId }, `smartnode starting${opts.dryRun ? ' (dry run)' : ''}`);
      if (!opts.dryRun) await ensureDownloadDir(runtime.config.downloadDir);
      const dryRun = opts.dryRun === true;

      if (opts.once) {
        const result = await runTick(runtime.deps, runtime.config, { dryRun, tick: 1 });
        runtime.bus.emit({ type: 'tick-finished', atMs: Date.now(), tick: 1, durationMs: 0, adds: dryRun ? result.actions.filter((a) => a.kind === 'add').length : result.appliedAdds, removes: dryRun ? result.actions.filter((a) => a.kind === 'remove').length : result.appliedRemoves, failed: result.failed, dryRun });
        if (dryRun) io.stdout.write(formatPlanTable(result.plan, { limit: 50, width: 120 }) + '\n');
        exitCode = result.failed > 0 ? 1 : 0;
        return;
      }

      const controller = new AbortController();
      const stop = (signal: NodeJS.Signals): void => {
        if (controller.signal.aborted) {
          logger.warn(`second ${signal}: exiting now`);
          process.exit(130);
        }
        logger.info(`${signal}: finishing the current action, then stopping`);
        controller.abort();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // The control socket (status, dashboard, commands) is up before the first tick.
      let wakeLoop: () => boolean = () => false;
      const control = await startControlEndpoint({
        stateDir: runtime.stateDir, bus: runtime.bus, state: runtime.deps.state, clock: runtime.deps.clock, dryRun, tickNow: () => wakeLoop(),
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
        signal: controller.signal,
        readConfig: () => runtime.config,
        onTick: (result) => control.control.observeTick(result),
      });
      wakeLoop = () => loop.tickNow();
      if (opts.dashboard) {
        forgetCiEnvironment();
        const { runDashboard } = await import('../ui/index.js');
        await Promise.race([runDashboard({ socketPath: control.server.socketPath, stdout: io.stdout as NodeJS.WriteStream }), loop.done]);
        if (!controller.signal.aborted) {
          logger.info('dashboard closed: finishing the current action, then stopping');
          controller.abort();
        }
      }
      await loop.done;
      policyWatch.close();
      await control.close();
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      logger.info('smartnode stopped');
      logFile?.end();
    });

  program
    .command('plan')
    .description('Show what the agent would do now: ranked candidates, planned actions and their reasons.')
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .option('--state-dir <dir>', 'agent state directory (overrides node.stateDir)')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'rows to show', (v) => Number.parseInt(v, 10), 40)
    .action(async (opts: { policy: string; stateDir?: string; json?: boolean; limit: number }) => {
      const runtime = await buildRuntime({ policyPath: opts.policy, stateDir: opts.stateDir, env: io.env });
      secrets.push(...runtime.secrets);
      const warnings: string[] = [];
      runtime.bus.subscribe((e) => {
        if (e.type === 'feed-failed') warnings.push(`feed ${e.feedId} failed: ${e.error.message}`);
        if (e.type === 'torrent-file-failed') warnings.push(`.torrent for ${e.name} refused: ${e.error.message}`);
      });
      const result = await runTick(runtime.deps, runtime.config, { dryRun: true, tick: 0 });
      if (opts.json) {
        io.stdout.write(JSON.stringify({ ...planToJSON(result.plan), actions: result.actions, warnings }, null, 2) + '\n');
      } else {
        for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
        io.stdout.write(formatPlanTable(result.plan, { limit: opts.limit, width: terminalWidth(io.stdout) }) + '\n');
      }
    });

  registerExplainCommand(program, io, secrets);
  registerInitCommand(program, io, defaultInitDeps());
  registerDoctorCommand(program, io, (code) => { exitCode = code; });
  registerStatusCommand(program, io, (code) => { exitCode = code; });
  registerDashboardCommand(program, io, (code) => { exitCode = code; });

  const policy = program.command('policy').description('Policy file tools.');
  policy
    .command('check')
    .description('Validate a policy file; print what it sets, or every problem with file:line.')
    .argument('<file>', 'policy file (YAML)')
    .action(async (file: string) => {
      const result = await checkPolicyFile(file);
      if (result.ok) {
        io.stdout.write(`${file}: valid\n${result.summary.map((l) => `  ${l}`).join('\n')}\n`);
      } else {
        io.stderr.write(`${result.error.message}\n`);
        if (result.error.hint !== undefined) io.stderr.write(`hint: ${result.error.hint}\n`);
        exitCode = 2;
      }
    });

  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.stderr.write(redactText(formatError(error), secrets) + '\n');
    if (error instanceof SmartnodeError) return error.code.startsWith('POLICY') || error.code === 'SECRET_MISSING' ? 2 : 1;
    return 1;
  }
}

function formatError(error: unknown): string {
  if (error instanceof SmartnodeError) {
    return `error [${error.code}]: ${error.message}${error.hint === undefined ? '' : `\nhint: ${error.hint}`}`;
  }
  return `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

function terminalWidth(stream: NodeJS.WritableStream): number {
  const columns = (stream as { columns?: number }).columns;
  return typeof columns === 'number' && columns > 40 ? columns : 120;
}
