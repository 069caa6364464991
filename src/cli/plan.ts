/** `smartnode plan`: one dry-run tick, printed as the planner's ranked table (or JSON). */
import type { Command } from 'commander';
import { restoredCarriedState, runTick } from '../agent/index.js';
import { formatPlanTable, planToJSON } from '../plan/index.js';
import type { CliIO } from './io.js';
import { buildRuntime } from './runtime.js';

export function registerPlanCommand(program: Command, io: CliIO, secrets: string[]): void {
  program
    .command('plan')
    .description('Show what the agent would do now: ranked candidates, planned actions and their reasons.')
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .option('--state-dir <dir>', 'agent state directory (overrides node.stateDir)')
    .option('--json', 'machine-readable output')
    .option('--limit <n>', 'rows to show', (v) => Number.parseInt(v, 10), 40)
    .action(async (opts: { policy: string; stateDir?: string; json?: boolean; limit: number }) => {
      const runtime = await buildRuntime({ policyPath: opts.policy, stateDir: opts.stateDir, env: io.env });
      secrets.push(...runtime.secrets);
      const warnings: string[] = [];
      runtime.bus.subscribe((e) => {
        if (e.type === 'feed-failed') warnings.push(`feed ${e.feedId} failed: ${e.error.message}`);
        if (e.type === 'torrent-file-failed') warnings.push(`.torrent for ${e.name} refused: ${e.error.message}`);
      });
      // From the decisions' memory the agent saved: the plan it would make, herd estimates included.
      const restored = restoredCarriedState(runtime.deps);
      if (restored.warning !== null) warnings.push(restored.warning);
      const result = await runTick(runtime.deps, runtime.config, { dryRun: true, tick: 0, carried: restored.carried });
      if (opts.json) {
        io.stdout.write(`${JSON.stringify({ ...planToJSON(result.plan), actions: result.actions, warnings }, null, 2)}\n`);
      } else {
        for (const w of warnings) io.stderr.write(`warning: ${w}\n`);
        io.stdout.write(`${formatPlanTable(result.plan, { limit: opts.limit, width: terminalWidth(io.stdout) })}\n`);
      }
    });
}

function terminalWidth(stream: NodeJS.WritableStream): number {
  const columns = (stream as { columns?: number }).columns;
  return typeof columns === 'number' && columns > 40 ? columns : 120;
}
