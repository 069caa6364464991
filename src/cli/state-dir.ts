/**
 * Which state directory a command uses, and whether it may write there.
 *
 * `status`, `dashboard`, `doctor` and the steering commands look for a running agent: given no
 * --state-dir and no node.stateDir, they try the caller's own default (where `smartnode run`
 * puts it) and then the service's (/var/lib/smartnode, systemd's StateDirectory=smartnode),
 * taking the first with a control socket, so `sudo smartnode status` finds the service.
 */
import { stat } from 'node:fs/promises';
import { controlSocketPath } from '../control/index.js';
import { SERVICE_STATE_DIR } from '../setup/index.js';
import { SmartnodeError } from '../shared/index.js';
import { resolveStateDir } from './runtime.js';

async function socketState(dir: string): Promise<'present' | 'absent' | 'denied'> {
  try {
    await stat(controlSocketPath(dir));
    return 'present';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES' ? 'denied' : 'absent';
  }
}

/** The state dir of the agent to attach to (see the module comment for the order). */
export async function findAgentStateDir(
  flag: string | undefined,
  fromPolicy: string | undefined,
  env: NodeJS.ProcessEnv,
  serviceDir: string = SERVICE_STATE_DIR,
): Promise<string> {
  const own = resolveStateDir(flag, fromPolicy, env);
  if (flag !== undefined || fromPolicy !== undefined || env.STATE_DIRECTORY) return own;
  if ((await socketState(own)) === 'present') return own;
  const service = await socketState(serviceDir);
  if (service === 'present') return serviceDir;
  if (service === 'denied') {
    throw new SmartnodeError(
      'CONTROL_UNAVAILABLE',
      `no agent runs for ${own}, and the service's state dir ${serviceDir} is not open to you`,
      {
        hint: `the service's agent answers its own user and root: sudo smartnode ${process.argv[2] ?? 'status'}`,
      },
    );
  }
  return own;
}
