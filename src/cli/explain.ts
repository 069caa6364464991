/**
 * `smartnode explain <infohash or name>`: plans once (dry run, nothing changes) and prints how
 * one torrent's score was reached: every component with the inputs it came from.
 */
import type { Command } from 'commander';
import { restoredCarriedState, runTick, type AgentConfig, type AgentDeps } from '../agent/index.js';
import { describeIntegrity, toIntegrityView } from '../integrity/index.js';
import { describeCompetitors, explainDecision, type Decision } from '../plan/index.js';
import { formatDuration, SmartnodeError } from '../shared/index.js';
import type { CliIO } from './io.js';
import { buildRuntime } from './runtime.js';

/** The decision a query names: a full or leading info-hash, else a name (exact, then part). */
export function findDecision(decisions: readonly Decision[], query: string): Decision {
  const q = query.trim().toLowerCase();
  const byHash = /^[0-9a-f]{6,40}$/.test(q) ? decisions.filter((d) => d.infoHash.startsWith(q)) : [];
  const exact = decisions.filter((d) => d.name.toLowerCase() === q);
  const partial = decisions.filter((d) => d.name.toLowerCase().includes(q));
  const found = byHash.length > 0 ? byHash : exact.length > 0 ? exact : partial;
  if (found.length === 1 && found[0] !== undefined) return found[0];
  if (found.length === 0) {
    throw new SmartnodeError('TORRENT_NOT_FOUND', `no candidate or held torrent matches "${query}"`, {
      hint: 'give an info-hash (or its first 6+ characters) or a name from `smartnode plan`',
    });
  }
  throw new SmartnodeError(
    'TORRENT_NOT_FOUND',
    `"${query}" matches ${found.length} torrents: ${found
      .slice(0, 5)
      .map((d) => d.name)
      .join(', ')}${found.length > 5 ? ', ...' : ''}`,
    {
      hint: 'give more of the name, or the info-hash',
    },
  );
}

export function registerExplainCommand(program: Command, io: CliIO, secrets: string[]): void {
  program
    .command('explain')
    .description("Explain one torrent's score: every component, with where its inputs came from and how old they are.")
    .argument('<torrent>', 'info-hash (or its first 6+ characters) or name')
    .requiredOption('-p, --policy <file>', 'policy file (YAML)')
    .option('--state-dir <dir>', 'agent state directory (overrides node.stateDir)')
    .option('--json', 'machine-readable output')
    .action(async (query: string, opts: { policy: string; stateDir?: string; json?: boolean }) => {
      const runtime = await buildRuntime({ policyPath: opts.policy, stateDir: opts.stateDir, env: io.env });
      secrets.push(...runtime.secrets);
      io.stdout.write(await explainTorrent(runtime.deps, runtime.config, query, { json: opts.json === true, stderr: io.stderr }));
    });
}

/**
 * One dry-run tick from the decisions' memory the agent saved (so the herd estimates shown are
 * the ones it learnt), then the named torrent's explanation as text or JSON.
 */
export async function explainTorrent(
  deps: AgentDeps,
  config: AgentConfig,
  query: string,
  options: { json: boolean; stderr: NodeJS.WritableStream },
): Promise<string> {
  const restored = restoredCarriedState(deps);
  if (restored.warning !== null) options.stderr.write(`warning: ${restored.warning}\n`);
  const result = await runTick(deps, config, { dryRun: true, tick: 0, carried: restored.carried });
  const decision = findDecision(result.plan.decisions, query);
  const record = decision.isOwned ? deps.state.integrity().get(decision.infoHash) : undefined;
  const integrity = record === undefined ? null : toIntegrityView(record);
  if (options.json) {
    return `${JSON.stringify({ schema: 'smartnode.explain/1', nowMs: result.plan.nowMs, decision, integrity }, null, 2)}\n`;
  }
  const lines = explainDecision(decision, result.plan.nowMs, config.planPolicy.scoring);
  const population = result.tickPlan.population;
  if (population !== null) lines.push(`  competing ${describeCompetitors(population)}`);
  if (decision.isOwned) lines.push(describeIntegrity(integrity, result.plan.nowMs, formatDuration));
  return `${lines.join('\n')}\n`;
}
