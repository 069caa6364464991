/**
 * `smartnode dashboard`: the Ink dashboard attached to the running agent. Quitting detaches;
 * the agent keeps running. Needs a terminal: a service has logs and `smartnode status`.
 */
import type { Command } from 'commander';
import { resolveAgentSocket, type AttachIO, type StateDirFlags } from './status.js';
import { forgetCiEnvironment } from './interactive.js';

export const NO_TTY_MESSAGE =
  'smartnode dashboard needs an interactive terminal (stdin and stdout must be a TTY).\n' +
  "Without one, use `smartnode status` (or `--json`), or read the agent's logs.\n";

export function hasTerminal(stdin: { isTTY?: boolean }, stdout: { isTTY?: boolean }): boolean {
  return stdin.isTTY === true && stdout.isTTY === true;
}

export function registerDashboardCommand(
  program: Command,
  io: AttachIO & { stdin?: NodeJS.ReadStream },
  setExitCode: (code: number) => void,
): void {
  program
    .command('dashboard')
    .description('Attach a terminal dashboard to the running agent: see its decisions and steer it (pause, tick now, pin, ban).')
    .option('-p, --policy <file>', 'the policy the agent runs with (to find its state directory)')
    .option('--state-dir <dir>', "the agent's state directory")
    .action(async (opts: StateDirFlags) => {
      const stdin = io.stdin ?? process.stdin;
      if (!hasTerminal(stdin, io.stdout)) {
        io.stderr.write(NO_TTY_MESSAGE);
        setExitCode(1);
        return;
      }
      const socketPath = await resolveAgentSocket(opts, io.env);
      forgetCiEnvironment();
      const { runDashboard } = await import('../ui/index.js');
      await runDashboard({ socketPath, stdin, stdout: io.stdout as NodeJS.WriteStream });
      setExitCode(0);
    });
}
