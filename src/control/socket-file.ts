/**
 * Where the control socket lives and who may use it. The socket is in the agent's state
 * directory, mode 0600: only the user running the agent can attach. A client refuses a socket
 * owned by anyone else (it could be an impostor collecting commands), and the agent refuses
 * to replace one (it is not ours to delete).
 */
import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import { SmartnodeError } from '../shared/index.js';

export const CONTROL_SOCKET_NAME = 'control.sock';
/** sun_path is 108 bytes on Linux, including the terminating NUL. */
const MAX_SOCKET_PATH_BYTES = 107;

export function controlSocketPath(stateDir: string): string {
  return join(stateDir, CONTROL_SOCKET_NAME);
}

export type SocketFileState = { kind: 'absent' } | { kind: 'ours' };

/** Checks the socket file; throws CONTROL_REFUSED when it is not a socket this user owns. */
export async function checkSocketFile(path: string, options: { requirePrivate: boolean }): Promise<SocketFileState> {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
    throw new SmartnodeError(
      'CONTROL_REFUSED',
      `control socket path ${path} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a Unix socket path may have`,
      {
        hint: 'use a shorter --state-dir',
      },
    );
  }
  let info: Awaited<ReturnType<typeof lstat>>;
  try {
    info = await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw new SmartnodeError('CONTROL_REFUSED', `cannot inspect control socket ${path}: ${(error as Error).message}`, {
      hint: 'check the permissions of the state directory',
      cause: error,
    });
  }
  if (!info.isSocket()) {
    throw new SmartnodeError(
      'CONTROL_REFUSED',
      `${path} is not a socket (it is a ${info.isFile() ? 'regular file' : info.isDirectory() ? 'directory' : 'special file'}); ` +
        `refusing to use or replace it`,
      {
        hint: `move it away; the agent creates ${CONTROL_SOCKET_NAME} itself`,
      },
    );
  }
  const uid = currentUid();
  if (uid !== null && info.uid !== uid) {
    throw new SmartnodeError(
      'CONTROL_REFUSED',
      `control socket ${path} is owned by uid ${info.uid}, not by you (uid ${uid}); refusing to attach to it`,
      {
        hint: 'run this as the user that runs the agent (for a service: sudo -u <that user> smartnode ...)',
      },
    );
  }
  if (options.requirePrivate && (info.mode & 0o077) !== 0) {
    throw new SmartnodeError(
      'CONTROL_REFUSED',
      `control socket ${path} has mode ${(info.mode & 0o777).toString(8)}, expected 600 (only its owner may attach)`,
      {
        hint: 'restart the agent: it recreates the socket with mode 600',
      },
    );
  }
  return { kind: 'ours' };
}

function currentUid(): number | null {
  return typeof process.getuid === 'function' ? process.getuid() : null;
}
