/**
 * `smartnode status` and `smartnode dashboard`: attach to the running agent's control socket.
 * The state directory comes from --state-dir, or the policy's node.stateDir, or the defaults
 * `run` uses (resolveStateDir), then the service's (state-dir.ts), so `status` finds the agent
 * `run` or the systemd unit started.
 */
import type { Command } from 'commander';
import { controlSocketPath, readAgentStatus } from '../control/index.js';
import { formatStatusText } from '../status/index.js';
import { loadPolicyFile } from '../policy/index.js';
import { findAgentStateDir } from './state-dir.js';

export interface AttachIO {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export interface StateDirFlags {
  policy?: string;
  stateDir?: string;
}

export async function resolveAgentSocket(flags: StateDirFlags, env: NodeJS.ProcessEnv, serviceDir?: string): Promise<string> {
  const fromPolicy =
    flags.policy === undefined || flags.stateDir !== undefined ? undefined : (await loadPolicyFile(flags.policy)).policy.node.stateDir;
  return controlSocketPath(await findAgentStateDir(flags.stateDir, fromPolicy, env, serviceDir));
}

export function registerStatusCommand(program: Command, io: AttachIO, setExitCode: (code: number) => void): void {
  program
    .command('status')
    .description('Show what the running agent is doing: its state, resources, mirror, best candidates and recent decisions.')
    .option('-p, --policy <file>', 'the policy the agent runs with (to find its state directory)')
    .option('--state-dir <dir>', "the agent's state directory")
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'rows per section', (v) => Number.parseInt(v, 10), 10)
    .action(async (opts: StateDirFlags & { json?: boolean; limit: number }) => {
      const socketPath = await resolveAgentSocket(opts, io.env);
      const status = await readAgentStatus(socketPath);
      if (opts.json) io.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
      else io.stdout.write(`${formatStatusText(status, { nowMs: Date.now(), limit: opts.limit })}\n`);
      setExitCode(0);
    });
}
