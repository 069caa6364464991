/**
 * `smartnode service`: writes the systemd unit for this host, from the shipped template
 * (examples/smartnode.service) with ExecStart naming the real Node.js and bin/smartnode.js of
 * this installation and ReadWritePaths naming the policy's download dir. A unit that names a
 * path the install did not use fails at start with 203/EXEC; this one cannot.
 */
import { constants } from 'node:fs';
import { open, readFile, realpath } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { loadPolicyFile } from '../policy/index.js';
import { renderServiceUnit, SERVICE_UNIT_PATH } from '../setup/index.js';
import { SmartnodeError } from '../shared/index.js';
import { DEFAULT_POLICY_PATH } from './doctor.js';
import type { CliIO } from './io.js';

// Beside dist/ in the installed package (and in a checkout).
const PACKAGE_FILE = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url));

export interface ServiceFlags {
  policy: string;
  output: string;
  print?: boolean;
  force?: boolean;
}

/** The unit text for this installation and the policy at `policyPath`. */
export async function renderUnitForThisInstall(policyPath: string): Promise<string> {
  const { policy } = await loadPolicyFile(policyPath);
  return renderServiceUnit(await readFile(PACKAGE_FILE('examples/smartnode.service'), 'utf8'), {
    nodePath: await realpath(process.execPath),
    binPath: await realpath(PACKAGE_FILE('bin/smartnode.js')),
    policyPath,
    downloadDir: policy.storage.downloadDir,
    readmePath: PACKAGE_FILE('README.md'),
  });
}

export function registerServiceCommand(program: Command, io: CliIO): void {
  program
    .command('service')
    .description('Write the systemd unit for this installation: the real path of smartnode and your download dir in its sandbox.')
    .option('-p, --policy <file>', 'the policy the service runs with', DEFAULT_POLICY_PATH)
    .option('-o, --output <file>', 'where to write the unit', SERVICE_UNIT_PATH)
    .option('--print', 'print the unit instead of writing it')
    .option('--force', 'replace an existing unit file')
    .action(async (flags: ServiceFlags) => {
      const text = await renderUnitForThisInstall(flags.policy);
      if (flags.print === true) {
        io.stdout.write(text);
        return;
      }
      const mode = constants.O_WRONLY | constants.O_CREAT | (flags.force === true ? constants.O_TRUNC : constants.O_EXCL);
      const handle = await open(flags.output, mode, 0o644).catch((error: NodeJS.ErrnoException) => {
        throw new SmartnodeError('SETUP_MISSING', `cannot write ${flags.output} (${error.code ?? 'error'})`, {
          hint: error.code === 'EEXIST' ? 'pass --force to replace it' : 'run it with sudo, or pass --output FILE',
          cause: error,
        });
      });
      try {
        await handle.writeFile(text, 'utf8');
      } finally {
        await handle.close();
      }
      io.stdout.write(
        `wrote ${flags.output}: runs ${process.execPath} with ${PACKAGE_FILE('bin/smartnode.js')}\n` +
          'Next: sudo systemctl daemon-reload && sudo systemctl enable --now smartnode\n',
      );
    });
}
