/**
 * The Transmission lines the tests run, and how to start each: Debian 12's own 3.00 from
 * PATH, and the daemons of Debian 13 (4.1.0-beta.2, old protocol only) and Debian unstable
 * (4.1.x, JSON-RPC 2.0) that `npm run setup` unpacks into private roots
 * (scripts/transmission-lines.mjs), started through the root's own dynamic loader so they use
 * the libraries they were built against, not the machine's.
 *
 * A line that setup could not prepare is an error carrying setup's recorded reason: the test
 * that needs it fails with that message, it is never skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type DaemonLine = 'bookworm' | 'trixie' | 'sid';

export const DAEMON_LINES: readonly DaemonLine[] = ['bookworm', 'trixie', 'sid'];

export interface DaemonLineCommand {
  line: DaemonLine;
  /** The program and the arguments that come before transmission-daemon's own. */
  command: string;
  prefix: string[];
  /** "transmission-daemon 4.1.4 (a6d907d9ea)", as the binary says. */
  version: string;
}

const LOADER = 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2';
const LIBS = 'usr/lib/x86_64-linux-gnu';

/** Where setup keeps the roots: <repo>/.cache/transmission (from src/testkit or dist/testkit). */
export function daemonLinesDir(): string {
  return process.env['SMARTNODE_DAEMON_CACHE'] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '.cache', 'transmission');
}

/** The command that starts this line's daemon; throws with setup's reason when it is missing. */
export function resolveDaemonLine(line: DaemonLine): DaemonLineCommand {
  if (line === 'bookworm') return { line, command: 'transmission-daemon', prefix: [], version: 'transmission-daemon (Debian 12, PATH)' };
  const dir = join(daemonLinesDir(), line);
  const root = join(dir, 'root');
  const stamp = join(dir, 'line.json');
  if (!existsSync(stamp) || !existsSync(join(root, LOADER))) {
    const recorded = join(dir, 'error.txt');
    const reason = existsSync(recorded)
      ? readFileSync(recorded, 'utf8').trim()
      : `transmission-daemon from Debian ${line} is not prepared in ${root}`;
    throw new Error(
      `${reason}\nRun \`npm run setup\` (as root, with access to the Debian archive) to prepare it; \`npm test\` runs setup first.`,
    );
  }
  const info = JSON.parse(readFileSync(stamp, 'utf8')) as { version?: unknown };
  return {
    line,
    command: join(root, LOADER),
    prefix: ['--library-path', join(root, LIBS), join(root, 'usr/bin/transmission-daemon')],
    version: typeof info.version === 'string' ? info.version : line,
  };
}
