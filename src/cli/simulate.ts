/**
 * `smartnode simulate`: many independent nodes over one modelled swarm, each strategy on the
 * same world and seed (smartnode's nodes split over worker threads); prints the table, the targets as
 * measured ratios, and the speed of smartnode's decision with an estimate for a larger world.
 */
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { runMatrixCommand, shadowTotals } from './simulate-matrix.js';
import { loadPolicyFile, parsePolicyText } from '../policy/index.js';
import { DEFAULT_SIM, type SimOptions } from '../sim/index.js';
import { measureLoneFill } from '../sim/index.js';
import { runStrategiesInWorkers } from '../sim/index.js';
import { formatSimLegend, formatSimTable, formatTargets, plotBelowTarget, simulateExitCode, targetsOf } from '../sim/index.js';
import { createSimProgress } from '../sim/index.js';
import type { SimMetrics } from '../sim/index.js';
import type { SmartnodeStats } from '../sim/index.js';
import { STRATEGIES, isStrategyName, type StrategyName } from '../sim/index.js';
import { WORLDS, worldNamed, worldOptions } from '../sim/index.js';
import type { CliIO } from './io.js';
import type { AgentConfig } from '../agent/index.js';
import { toAgentConfig } from './runtime.js';

/** A policy with every default: what a volunteer gets from `init` with one feed. */
const DEFAULT_POLICY = `version: 1
daemon: { url: "http://127.0.0.1:9091/transmission/rpc" }
storage: { downloadDir: /srv/smartnode, maxBytes: 1 TB, minFreeBytes: 0 }
feeds: [{ id: sim, url: "http://sim.invalid/feed.csv" }]
`;

/** The agent config of a node on every default, as `smartnode simulate` runs it without --policy. */
export function defaultSimConfig(): AgentConfig {
  return toAgentConfig(parsePolicyText(DEFAULT_POLICY, 'defaults'));
}

interface SimulateFlags {
  nodes: string;
  torrents: string;
  days: string;
  diskMultiple: string;
  seederLifetime: string;
  seederArrivals: string;
  webSeeds: string;
  tick: string;
  scrape: string;
  downloadRate: string;
  seed: string;
  arrivalDays: string;
  churn: string;
  strategies: string;
  world?: string;
  matrix?: boolean;
  policy?: string;
  json?: boolean;
  svg?: string;
  workers: string;
}

export function registerSimulateCommand(program: Command, io: CliIO, setExitCode: (code: number) => void): void {
  program
    .command('simulate')
    .description('Compare smartnode with the shipped mirroring scripts on one modelled swarm (same world and seed for each).')
    .option('--nodes <n>', 'independent nodes', String(DEFAULT_SIM.nodes))
    .option('--torrents <n>', 'torrents in the feed', String(DEFAULT_SIM.torrents))
    .option('--days <n>', 'days simulated', String(DEFAULT_SIM.days))
    .option('--disk-multiple <x>', 'donated disk of all nodes as a multiple of what the swarm needs', String(DEFAULT_SIM.diskMultiple))
    .option('--seeder-lifetime <days>', 'mean days an external seeder stays', String(DEFAULT_SIM.seederLifetimeDays))
    .option('--seeder-arrivals <perDay>', 'external seeders arriving per torrent per day', String(DEFAULT_SIM.seederArrivalsPerDay))
    .option('--web-seeds <share>', 'share of torrents with a web seed (BEP 19/17); 0 = off', String(DEFAULT_SIM.webSeedShare))
    .option('--tick <minutes>', "minutes between a node's ticks", String(DEFAULT_SIM.tickMinutes))
    .option('--scrape <minutes>', 'minutes between tracker scrapes', String(DEFAULT_SIM.scrapeMinutes))
    .option('--download-rate <MBps>', "one node's download rate, MB/s", String(DEFAULT_SIM.nodeDownloadBytesPerSec / 1e6))
    .option('--seed <n>', 'world seed', String(DEFAULT_SIM.seed))
    .option('--arrival-days <days>', 'nodes start spread over the first this many days (0: all at once)', String(DEFAULT_SIM.arrivalDays))
    .option(
      '--churn <share>',
      'share of the nodes that leave each day, data gone, replaced by empty nodes',
      String(DEFAULT_SIM.churnPerDay),
    )
    .option('--world <name>', `a named world (flags given explicitly override it): ${WORLDS.map((w) => w.name).join(', ')}`)
    .option('--matrix', 'run every named world against every strategy; one row per world')
    .option('--strategies <list>', `comma-separated: ${STRATEGIES.join(', ')}`, STRATEGIES.join(','))
    .option('-p, --policy <file>', "smartnode's policy (its disk budget is replaced by the modelled share); default: every default")
    .option('--json', 'machine-readable output')
    .option('--svg <file>', 'write a plot of torrents below target over time')
    .option('--workers <n>', 'worker threads the nodes are split over (1: all in this thread)', String(availableParallelism()))
    .action(async (flags: SimulateFlags, command: Command) => {
      let options: SimOptions;
      let explicit: Partial<SimOptions>;
      const strategies = flags.strategies
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      try {
        options = simOptionsOf(flags);
        explicit = explicitOptions(options, command);
        const unknown = strategies.filter((s) => !isStrategyName(s));
        if (unknown.length > 0) throw new BadFlag('--strategies', unknown.join(','), `one of ${STRATEGIES.join(', ')}`);
        if (flags.world !== undefined) {
          const preset = worldNamed(flags.world);
          if (preset === undefined) throw new BadFlag('--world', flags.world, `one of ${WORLDS.map((w) => w.name).join(', ')}`);
          options = worldOptions(options, preset, explicit);
        }
      } catch (error) {
        if (!(error instanceof BadFlag)) throw error;
        io.stderr.write(`error: ${error.message}\nhint: see \`smartnode simulate --help\`\n`);
        setExitCode(2);
        return;
      }
      const config = flags.policy === undefined ? defaultSimConfig() : toAgentConfig((await loadPolicyFile(flags.policy)).policy);
      if (flags.matrix) {
        const given = command.getOptionValueSource('strategies') === 'cli' ? (strategies as StrategyName[]) : undefined;
        const rows = await runMatrixCommand(io, {
          base: options,
          explicit,
          config,
          workers: Number(flags.workers),
          json: flags.json === true,
          strategies: given,
        });
        // A shadow run that found a changed decision: the figures are not the agent's.
        if (shadowTotals(rows).changed > 0) setExitCode(1);
        return;
      }
      const started = performance.now();
      // A run takes minutes: its progress goes to stderr (the results to stdout).
      const progress = createSimProgress({
        strategies,
        days: options.days,
        write: (text) => void io.stderr.write(text),
        clock: () => performance.now(),
        isTTY: (io.stderr as { isTTY?: boolean }).isTTY === true,
      });
      const outcomes = await runStrategiesInWorkers(options, strategies as StrategyName[], config, Number(flags.workers), (nowMs, s) =>
        progress.step(nowMs, s),
      );
      progress.finish();
      const wallMs = performance.now() - started;
      const byName = new Map([...outcomes].map(([name, o]) => [name, o.run.metrics]));
      const metrics: SimMetrics[] = (strategies as StrategyName[])
        .map((s) => byName.get(s))
        .filter((m): m is SimMetrics => m !== undefined);
      // One node, beside the population: cheap next to the run itself.
      const loneFill = strategies.includes('smartnode') ? measureLoneFill(options, config) : undefined;
      const targets = targetsOf(byName, loneFill);
      const stats = outcomes.get('smartnode')?.stats ?? null;
      const speed = stats === null || stats.decisions === 0 ? null : speedOf(stats, options, Math.max(1, Number(flags.workers)));
      const title =
        `torrents below target: ${options.nodes} nodes x ${options.torrents} ` +
        `torrents x ${options.days} d, disk ${options.diskMultiple}x the need`;
      if (flags.svg !== undefined) {
        await writeFile(
          flags.svg,
          plotBelowTarget(
            [...outcomes].map(([strategy, o]) => ({ strategy, series: o.run.series })),
            title,
          ),
        );
      }
      // --json carries the targets for the reader to judge; the table's exit status says whether all were met.
      if (flags.json) {
        io.stdout.write(
          `${JSON.stringify({
            options,
            wallMs,
            metrics,
            targets,
            loneFill: loneFill ?? null,
            speed,
            series: Object.fromEntries([...outcomes].map(([n, o]) => [n, o.run.series])),
          })}\n`,
        );
        return;
      }
      const bold = (io.stdout as { isTTY?: boolean }).isTTY === true;
      io.stdout.write(`${title}\n\n${formatSimTable(metrics, { bold })}\n\n${formatSimLegend()}\n\n`);
      if (flags.svg !== undefined) io.stdout.write(`plot: ${flags.svg} (torrents below target over time; lower is better)\n\n`);
      if (targets.length > 0) io.stdout.write(`targets (measured / allowed; met at <= 1):\n${formatTargets(targets)}\n\n`);
      if (speed !== null) io.stdout.write(`${formatSpeed(speed)}\n`);
      io.stdout.write(`wall time ${(wallMs / 1000).toFixed(1)} s, smartnode on ${flags.workers} worker thread(s)\n`);
      setExitCode(simulateExitCode(targets));
    });
}

/** The estimate's world: 10,000 nodes x 100,000 torrents x 30 days. */
const LARGE = { nodes: 10_000, torrents: 100_000, days: 30 };

export interface Speed {
  decisions: number;
  workers: number;
  msPerDecision: number;
  candidatesPerDecision: number;
  usPerCandidate: number;
  estimate: { nodes: number; torrents: number; days: number; decisions: number; msPerDecision: number; hours: number };
}

/**
 * Measured decision cost, and what it predicts for the large world. Assumptions: a decision's
 * cost is linear in its candidates (the planner's one sort aside), the candidates a node
 * weighs are the same share of the torrents (torrents below target and its own: the same
 * disk multiple and seeder model), one decision per node per tick, and the decisions spread
 * evenly over the workers' cores. The world's own steps are left out (linear in torrents,
 * not in nodes x torrents).
 */
export function speedOf(stats: SmartnodeStats, options: SimOptions, workers: number): Speed {
  const candidatesPerDecision = stats.candidates / stats.decisions;
  const usPerCandidate = (1000 * stats.decideMs) / Math.max(1, stats.candidates);
  const decisions = (LARGE.nodes * LARGE.days * 24 * 60) / options.tickMinutes;
  const msPerDecision = (usPerCandidate * candidatesPerDecision * (LARGE.torrents / options.torrents)) / 1000;
  return {
    decisions: stats.decisions,
    workers,
    msPerDecision: stats.decideMs / stats.decisions,
    candidatesPerDecision,
    usPerCandidate,
    estimate: { ...LARGE, decisions, msPerDecision, hours: (decisions * msPerDecision) / workers / 3_600_000 },
  };
}

function formatSpeed(s: Speed): string {
  const e = s.estimate;
  return (
    `smartnode: ${s.decisions} decisions, ${s.msPerDecision.toFixed(2)} ms each over ${s.candidatesPerDecision.toFixed(0)} candidates ` +
    `(${s.usPerCandidate.toFixed(2)} µs per candidate)\n` +
    `estimate for ${e.nodes.toLocaleString('en')} nodes x ${e.torrents.toLocaleString('en')} torrents x ${e.days} days: ` +
    `${(e.decisions / 1e6).toFixed(1)} M decisions x ${e.msPerDecision.toFixed(0)} ms / ${s.workers} workers = ${e.hours.toFixed(1)} h ` +
    '(cost linear in candidates, candidates the same share of the torrents, decisions spread evenly over the workers)'
  );
}

function simOptionsOf(flags: SimulateFlags): SimOptions {
  const num = (flag: string, raw: string, check: (n: number) => boolean, expected: string): number => {
    const n = Number(raw);
    if (!Number.isFinite(n) || !check(n)) throw new BadFlag(flag, raw, expected);
    return n;
  };
  const whole = (flag: string, raw: string) => num(flag, raw, (n) => Number.isInteger(n) && n >= 1, 'a whole number >= 1');
  const positive = (flag: string, raw: string) => num(flag, raw, (n) => n > 0, 'a number > 0');
  // The outside world's constants (no flag sets them) from the defaults.
  return {
    ...DEFAULT_SIM,
    nodes: whole('--nodes', flags.nodes),
    torrents: whole('--torrents', flags.torrents),
    days: positive('--days', flags.days),
    diskMultiple: positive('--disk-multiple', flags.diskMultiple),
    seederLifetimeDays: positive('--seeder-lifetime', flags.seederLifetime),
    seederArrivalsPerDay: num('--seeder-arrivals', flags.seederArrivals, (n) => n >= 0, 'a number >= 0'),
    webSeedShare: num('--web-seeds', flags.webSeeds, (n) => n >= 0 && n <= 1, 'a share from 0 to 1'),
    tickMinutes: num('--tick', flags.tick, (n) => n >= 5 && n % 5 === 0, 'minutes, a multiple of 5'),
    scrapeMinutes: num('--scrape', flags.scrape, (n) => n >= 5 && n % 5 === 0, 'minutes, a multiple of 5'),
    nodeDownloadBytesPerSec: positive('--download-rate', flags.downloadRate) * 1e6,
    seed: whole('--seed', flags.seed),
    arrivalDays: num('--arrival-days', flags.arrivalDays, (n) => n >= 0, 'a number >= 0'),
    churnPerDay: num('--churn', flags.churn, (n) => n >= 0 && n <= 1, 'a share from 0 to 1'),
  };
}

/** Flag (commander's key) of each option a flag sets. */
const FLAG_OF: Partial<Record<keyof SimOptions, keyof SimulateFlags>> = {
  nodes: 'nodes',
  torrents: 'torrents',
  days: 'days',
  diskMultiple: 'diskMultiple',
  seederLifetimeDays: 'seederLifetime',
  seederArrivalsPerDay: 'seederArrivals',
  webSeedShare: 'webSeeds',
  tickMinutes: 'tick',
  scrapeMinutes: 'scrape',
  nodeDownloadBytesPerSec: 'downloadRate',
  seed: 'seed',
  arrivalDays: 'arrivalDays',
  churnPerDay: 'churn',
};

/** The options set by a flag given on the command line (not by its default): these win over a world's. */
function explicitOptions(options: SimOptions, command: Command): Partial<SimOptions> {
  const out: Partial<SimOptions> = {};
  for (const [key, flag] of Object.entries(FLAG_OF) as Array<[keyof SimOptions, keyof SimulateFlags]>) {
    if (command.getOptionValueSource(flag) === 'cli') Object.assign(out, { [key]: options[key] });
  }
  return out;
}

class BadFlag extends Error {
  constructor(flag: string, value: string, expected: string) {
    super(`${flag}: expected ${expected}, got "${value}"`);
  }
}
