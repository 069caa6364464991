/**
 * doctor's checks of the service around the agent: the systemd unit can start (its ExecStart
 * program exists, its sandbox lets it write the download dir), and the state directory holds
 * nothing its owner cannot use (a file root left there by running a command with sudo).
 */
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Policy } from '../policy/index.js';
import { commandWords, isWithin, readUnitKeys, SYSTEMD_EXEC_SEARCH_PATH, unitPaths } from './service-unit.js';

const UNIT_TITLE = 'the systemd unit can start the agent';

/** A doctor check's result (doctor.ts's CheckResult, of which these are passed or failed). */
interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: 'passed' | 'failed';
  readonly detail: string;
  readonly fix?: string;
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, constants.X_OK).then(
    () => true,
    () => false,
  );
}

/** Where systemd finds an ExecStart program: an absolute path as is, a bare name on its fixed search path. */
async function findProgram(name: string): Promise<string | undefined> {
  if (isAbsolute(name)) return (await isExecutable(name)) ? name : undefined;
  for (const dir of SYSTEMD_EXEC_SEARCH_PATH) if (await isExecutable(join(dir, name))) return join(dir, name);
  return undefined;
}

/**
 * The unit at `unitPath`: undefined when there is none (nothing to check before `smartnode
 * service` wrote one), else passed or failed with the command that fixes it.
 */
export async function checkServiceUnit(unitPath: string, policy: Policy, policyPath: string): Promise<CheckResult | undefined> {
  let text: string;
  try {
    text = await readFile(unitPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const rewrite = `sudo smartnode service --policy ${policyPath} --force && sudo systemctl daemon-reload && sudo systemctl restart smartnode`;
  const fail = (detail: string): CheckResult => ({ id: 'unit', title: UNIT_TITLE, status: 'failed', detail, fix: rewrite });
  const keys = readUnitKeys(text);
  const execStart = keys.get('ExecStart')?.at(-1);
  if (execStart === undefined) return fail(`${unitPath} has no ExecStart=`);
  const words = commandWords(execStart);
  const program = words[0] ?? '';
  const found = await findProgram(program);
  if (found === undefined) {
    const where = isAbsolute(program) ? program : `${program} (not in ${SYSTEMD_EXEC_SEARCH_PATH.join(':')})`;
    return fail(`${unitPath}: ExecStart names ${where}, which is not an executable file: systemd would fail with 203/EXEC`);
  }
  const script = words[1];
  if (/(^|\/)node[\d.]*$/.test(found) && script !== undefined && isAbsolute(script) && !(await stat(script).catch(() => undefined))) {
    return fail(`${unitPath}: ExecStart runs ${script}, which does not exist (smartnode moved or was uninstalled)`);
  }
  const writable = (keys.get('ReadWritePaths') ?? []).flatMap(unitPaths);
  const downloadDir = policy.storage.downloadDir;
  if (keys.get('ProtectSystem')?.at(-1) === 'strict' && !writable.some((p) => isWithin(downloadDir, p))) {
    return fail(
      `${unitPath}: the sandbox (ProtectSystem=strict) lets the agent write only ${writable.join(', ') || 'its state dir'}, ` +
        `not the download dir ${downloadDir}`,
    );
  }
  return {
    id: 'unit',
    title: UNIT_TITLE,
    status: 'passed',
    detail: `${unitPath}: runs ${found}${script === undefined ? '' : ` ${script}`}`,
  };
}

/** Entries of `dir` (two levels down) owned by anyone but `uid`. */
async function foreignEntries(dir: string, uid: number, depth: number): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) continue;
    if (info.uid !== uid) found.push(path);
    else if (entry.isDirectory() && depth > 0) found.push(...(await foreignEntries(path, uid, depth - 1)));
  }
  return found;
}

/**
 * A failed `state-dir` check when the state dir holds files its owner (the service's user) does
 * not own: the agent then fails on them (EACCES), some quietly (the geography cache). Undefined
 * when all is the owner's.
 */
export async function checkStateOwnership(stateDir: string): Promise<CheckResult | undefined> {
  const info = await stat(stateDir).catch(() => undefined);
  if (info === undefined) return undefined;
  const foreign = await foreignEntries(stateDir, info.uid, 2);
  if (foreign.length === 0) return undefined;
  const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ` and ${foreign.length - 3} more` : '');
  return {
    id: 'state-dir',
    title: 'state dir writable',
    status: 'failed',
    detail: `${shown} in ${stateDir} not owned by the dir's owner (uid ${info.uid}): the agent cannot replace them`,
    fix: `sudo chown -R --reference=${stateDir} ${stateDir}   (and run smartnode commands against it as that user: sudo -u <user> smartnode ...)`,
  };
}
