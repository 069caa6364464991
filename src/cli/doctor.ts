/**
 * `smartnode doctor`: runs every installation check (src/setup/doctor.ts) and prints each as
 * passed, failed with its fix, or skipped. Exit status 0 only when nothing failed.
 */
import type { Command } from 'commander';
import { runDoctor, SERVICE_UNIT_PATH, summarizeChecks, type CheckResult } from '../setup/index.js';
import type { CliIO } from './io.js';
import { resolveStateDir, USER_AGENT } from './runtime.js';
import { findAgentStateDir } from './state-dir.js';

export const DEFAULT_POLICY_PATH = '/etc/smartnode/policy.yaml';

const MARK: Record<CheckResult['status'], string> = { passed: 'pass', failed: 'FAIL', skipped: 'skip' };

export function formatCheckResults(results: readonly CheckResult[]): string {
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`[${MARK[r.status]}] ${r.title}: ${r.detail}`);
    if (r.fix !== undefined) lines.push(`       fix: ${r.fix}`);
  }
  const counts = summarizeChecks(results);
  lines.push(`${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`);
  return `${lines.join('\n')}\n`;
}

export function registerDoctorCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('doctor')
    .description('Check the installation: daemon, credentials, download dir, feeds, policy, state dir, running agent.')
    .option('-p, --policy <file>', 'policy file (YAML)', DEFAULT_POLICY_PATH)
    .option('--state-dir <dir>', 'agent state directory (overrides node.stateDir)')
    .option('--skip <ids>', 'comma-separated check ids to skip (e.g. "agent" before the service first starts)')
    .option('--unit <file>', 'the systemd unit to check (when it exists)', SERVICE_UNIT_PATH)
    .option('--json', 'machine-readable output')
    .action(async (opts: { policy: string; stateDir?: string; skip?: string; json?: boolean; unit: string }) => {
      const skip = new Set(
        (opts.skip ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== ''),
      );
      const results = await runDoctor({
        policyPath: opts.policy,
        env: io.env,
        resolveStateDir: (policy) =>
          findAgentStateDir(opts.stateDir, policy.node.stateDir, io.env).catch(() => resolveStateDir(undefined, undefined, io.env)),
        userAgent: USER_AGENT,
        skip,
        unitPath: opts.unit,
      });
      const counts = summarizeChecks(results);
      if (opts.json) {
        io.stdout.write(`${JSON.stringify({ ok: counts.failed === 0, ...counts, checks: results }, null, 2)}\n`);
      } else {
        io.stdout.write(formatCheckResults(results));
      }
      setExitCode(counts.failed === 0 ? 0 : 1);
    });
}
