/**
 * Commands that write agent state (`run`, `plan`, `explain`, `publish`), run as root against a
 * state dir another user owns (the service's), would leave files that user cannot replace: the
 * service then fails on them with EACCES, some quietly (the geography table). They refuse
 * instead, naming the user to run as.
 */
import { readFile, stat } from 'node:fs/promises';
import { SmartnodeError } from '../shared/index.js';

/**
 * Refuses root writing into a state dir that exists and belongs to another user: the files it
 * would create (state, caches, the geography table) stay root's, and the service then fails on
 * them with EACCES.
 */
export async function assertMayWriteStateDir(stateDir: string, uid: number | undefined = process.getuid?.()): Promise<void> {
  if (uid !== 0) return;
  const info = await stat(stateDir).catch(() => undefined);
  if (info === undefined || info.uid === 0) return;
  const owner = await userNameOf(info.uid);
  throw new SmartnodeError(
    'STATE_IO',
    `${stateDir} belongs to ${owner}: as root this command would leave files there that ${owner} cannot replace`,
    {
      hint: `run it as that user: sudo -u ${owner} smartnode ${process.argv.slice(2).join(' ')}`.trimEnd(),
    },
  );
}

/** The user name of `uid` from the passwd database, or "uid N". */
async function userNameOf(uid: number): Promise<string> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [name, , id] = line.split(':');
    if (name !== undefined && id === String(uid)) return name;
  }
  return `uid ${uid}`;
}
