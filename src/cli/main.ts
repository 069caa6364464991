/**
 * The `smartnode` command line. Parses flags, builds dependencies, calls the agent. Exit codes:
 * 0 ok, 1 the work failed (daemon down, tick failed), 2 bad input (policy, flags).
 */
import { Command, CommanderError } from 'commander';
import { checkPolicyFile } from '../policy/index.js';
import { SmartnodeError, redactText } from '../shared/index.js';
import { registerDashboardCommand } from './dashboard.js';
import { registerDoctorCommand } from './doctor.js';
import { registerExplainCommand } from './explain.js';
import { defaultInitDeps, registerInitCommand } from './init.js';
import { registerPlanCommand } from './plan.js';
import { registerPublishCommand } from './publish.js';
import { registerRunCommand } from './run.js';
import { registerServiceCommand } from './service.js';
import { registerSimulateCommand } from './simulate.js';
import { registerStatusCommand } from './status.js';
import { registerSteerCommands } from './steer.js';
import type { CliIO } from './io.js';
import { replayStopSignal } from './early-stop.js';

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

  const setExitCode = (code: number): void => {
    exitCode = code;
  };
  registerRunCommand(program, io, secrets, setExitCode);
  registerPlanCommand(program, io, secrets);
  registerExplainCommand(program, io, secrets);
  registerInitCommand(program, io, defaultInitDeps());
  registerDoctorCommand(program, io, setExitCode);
  registerStatusCommand(program, io, setExitCode);
  registerPublishCommand(program, io, secrets);
  registerDashboardCommand(program, io, setExitCode);
  registerSimulateCommand(program, io, setExitCode);
  registerSteerCommands(program, io, setExitCode);
  registerServiceCommand(program, io);

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

  // A stop signal held since the process started (bin/smartnode.js) is run's to take; any
  // other command gets the signal's usual meaning back before it starts.
  program.hook('preAction', (_program, command) => {
    if (command.name() !== 'run') replayStopSignal();
  });

  // The command holds the process open until it is done: waits for a site's request budget use
  // timers that do not (so background counting never keeps a finished command alive).
  const hold = setInterval(() => undefined, 1 << 30);
  try {
    await program.parseAsync([...argv]);
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
    io.stderr.write(`${redactText(formatError(error), secrets)}\n`);
    if (error instanceof SmartnodeError)
      return error.code.startsWith('POLICY') || error.code === 'SECRET_MISSING' || error.code === 'PUBLISH_INVALID' ? 2 : 1;
    return 1;
  } finally {
    clearInterval(hold);
    replayStopSignal();
  }
}

function formatError(error: unknown): string {
  if (error instanceof SmartnodeError) {
    return `error [${error.code}]: ${error.message}${error.hint === undefined ? '' : `\nhint: ${error.hint}`}`;
  }
  return `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}
