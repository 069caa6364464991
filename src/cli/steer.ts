/**
 * Steering the running agent from a shell, as the dashboard's keys do: `ban`, `unban` and
 * `confirm-eviction` send one command over the control socket and print the agent's answer.
 * A command lands in agent state, so it holds across restarts (see control/agent-control.ts).
 */
import type { Command } from 'commander';
import { sendAgentCommand, type ControlCommand } from '../control/index.js';
import { resolveAgentSocket, type AttachIO, type StateDirFlags } from './status.js';

const STATE_DIR_HELP = "the agent's state directory";

function withStateDirFlags(command: Command): Command {
  return command
    .option('-p, --policy <file>', 'the policy the agent runs with (to find its state directory)')
    .option('--state-dir <dir>', STATE_DIR_HELP);
}

export function registerSteerCommands(program: Command, io: AttachIO, setExitCode: (code: number) => void): void {
  const send = async (flags: StateDirFlags, command: ControlCommand): Promise<void> => {
    const answer = await sendAgentCommand(await resolveAgentSocket(flags, io.env), command);
    io.stdout.write(`${answer}\n`);
    setExitCode(0);
  };
  for (const kind of ['ban', 'unban'] as const) {
    withStateDirFlags(
      program
        .command(kind)
        .description(
          kind === 'ban'
            ? 'Ban a torrent: the running agent removes its copy and never mirrors it again (until unbanned).'
            : 'Lift a ban: the torrent becomes a candidate again at the next tick.',
        )
        .argument('<info-hash>', "the torrent's info-hash (40 hex digits, as status and plan show it)"),
    ).action((infoHash: string, flags: StateDirFlags) => send(flags, { kind, infoHash }));
  }
  withStateDirFlags(
    program
      .command('confirm-eviction')
      .description('Let the agent remove what the donated limits hold back (maxEvictFraction); the next tick applies it.'),
  ).action((flags: StateDirFlags) => send(flags, { kind: 'confirm-eviction' }));
}
