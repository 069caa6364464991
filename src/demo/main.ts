/**
 * `npm run demo`: a self-contained world on this machine (src/testkit/world.ts: a real tracker
 * and seeding transmission-daemons in network namespaces, the volunteer's daemon, a feed over
 * HTTP) and smartnode running against it with a budget that fits only part of the feed. The
 * viewer sees the agent choose what needs it most, mirror it for real, and say why; then the
 * world changes (world-changes.ts) and the agent re-plans, with its reasons.
 * On a terminal it opens the dashboard (q quits); without one it prints plain lines.
 * Ctrl-C tears everything down.
 *
 * Flags: --exit-when-mirrored (stop once the plan is mirrored; used by the demo's own test).
 */
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createWriteStream, rmSync } from 'node:fs';
import { startAgentLoop } from '../agent/index.js';
import { initialCarriedState, runTick, type TickResult } from '../agent/index.js';
import { startControlEndpoint } from '../control/index.js';
import { forgetCiEnvironment } from '../cli/index.js';
import { createLogger, logAgentEvents } from '../cli/index.js';
import { buildRuntime, type Runtime } from '../cli/index.js';
import { formatPlanTable } from '../plan/index.js';
import { describeError } from '../shared/index.js';
import { installTeardownOnSignals } from '../testkit/index.js';
import { startMirrorWorld, writeWorldPolicy, type MirrorWorld, type WorldDatasetSpec } from '../testkit/index.js';
import { startWorldChanges, type WorldChangePlan } from './world-changes.js';

const MB = 1_000_000;
const PASSWORD_ENV = 'SMARTNODE_DEMO_RPC_PASSWORD';

const DATASETS: WorldDatasetSpec[] = [
  { name: 'imagenet-sample', title: 'ImageNet validation sample (demo)', seeders: 3, files: [{ path: 'val.tar', sizeBytes: 6 * MB }] },
  { name: 'arxiv-abstracts', title: 'arXiv abstracts 2024 (demo)', seeders: 3, files: [{ path: 'abstracts.jsonl', sizeBytes: 3 * MB }] },
  { name: 'seismic-traces', title: 'Seismic traces, station KX (demo)', seeders: 2, files: [{ path: 'kx/2025.mseed', sizeBytes: 4 * MB }] },
  {
    name: 'bird-songs',
    title: 'Bird song recordings (demo)',
    seeders: 1,
    files: [
      { path: 'songs/a.flac', sizeBytes: 2 * MB },
      { path: 'songs/b.flac', sizeBytes: 2 * MB },
    ],
  },
  { name: 'ocean-temps', title: 'Ocean temperature grid (demo)', seeders: 1, files: [{ path: 'grid.nc', sizeBytes: 5 * MB }] },
  { name: 'genome-reads', title: 'Genome reads, sample 7 (demo)', seeders: 2, files: [{ path: 'reads.fq', sizeBytes: 3 * MB }] },
];

/** While the demo runs: a seeder leaves, downloaders surge, a new dataset appears (20 s apart). */
const WORLD_CHANGES: WorldChangePlan = {
  newcomer: 'genome-reads',
  seederLeaves: 'seismic-traces',
  leechersSurge: 'arxiv-abstracts',
  leechers: 8,
  everyMs: 20_000,
};

async function main(): Promise<number> {
  const exitWhenMirrored = process.argv.includes('--exit-when-mirrored');
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    process.stderr.write(
      'The demo builds private network namespaces (a real swarm on this machine) and needs root.\nRun it as root: sudo npm run demo\n',
    );
    return 1;
  }
  const workDir = resolve('.smartnode-demo');
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  // `npm run demo | tee log` then Ctrl-C: tee is gone before the teardown's lines are written.
  // A closed pipe must not stop the teardown, so writes to it are dropped (EPIPE ignored).
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  const say = (m: string): void => void process.stdout.write(`demo: ${m}\n`);
  const password = `demo-${Math.random().toString(36).slice(2, 10)}`;

  let world: MirrorWorld | undefined;
  const stopWorld = async (): Promise<void> => {
    await world?.stop();
    await rm(workDir, { recursive: true, force: true });
  };
  const uninstall = installTeardownOnSignals(
    async () => {
      say('stopping: tearing down the daemons, the tracker and the namespaces');
      await stopWorld();
    },
    () => {
      world?.swarm.stopNowSync();
      rmSync(workDir, { recursive: true, force: true });
    },
  );

  try {
    world = await startMirrorWorld({
      id: 77,
      workDir,
      seeders: 3,
      datasets: DATASETS,
      rpcPassword: password,
      rechokeKicker: true,
      onProgress: say,
    });
    const total = DATASETS.reduce((s, d) => s + d.files.reduce((t, f) => t + f.sizeBytes, 0), 0);
    const budget = 10 * MB;
    const policyPath = join(workDir, 'policy.yaml');
    await writeWorldPolicy(world, {
      path: policyPath,
      downloadDir: join(workDir, 'mirror'),
      stateDir: join(workDir, 'state'),
      maxBytes: budget,
      passwordEnv: PASSWORD_ENV,
      // The demo's re-planning swaps torrents in a mirror of two or three: no eviction waits for confirmation.
      extra: 'limits:\n  maxEvictFraction: 1\n',
    });
    say(
      `the feed lists ${DATASETS.length - 1} datasets (${total / MB} MB with the one that appears later); ` +
        `the volunteer donates ${budget / MB} MB`,
    );
    say(`policy: ${policyPath}  feed: ${world.feedUrl}  daemon: ${world.volunteer.rpcUrl}`);

    // One dataset waits outside the feed: it appears later, one of the world's changes.
    world.publishFeed(DATASETS.filter((d) => d.name !== WORLD_CHANGES.newcomer).map((d) => d.name));
    const runtime = await buildRuntime({ policyPath, env: { ...process.env, [PASSWORD_ENV]: password } });
    if (!exitWhenMirrored && process.stdout.isTTY === true && process.stdin.isTTY === true) {
      // On a terminal the newcomer sees the dashboard: the agent deciding, with its reasons.
      await runDemoDashboard(runtime, world, workDir, say);
      await stopWorld();
      uninstall();
      return 0;
    }
    logAgentEvents(runtime.bus, createLogger({ format: 'pretty' }));
    say("smartnode is running against the volunteer's daemon; Ctrl-C stops the demo and tears everything down");
    let changed = false;
    const stopChanges = exitWhenMirrored
      ? () => undefined
      : startWorldChanges(
          world,
          WORLD_CHANGES,
          (what) => {
            say(`the world changes: ${what}`);
            changed = true;
          },
          (what, error) => say(`could not change the world (${what}): ${describeError(error)}`),
        );
    let tick = 0;
    let lastDecided = '';
    let carried = initialCarriedState();
    for (;;) {
      tick++;
      const afterChange = changed;
      changed = false;
      const result = await runTick(runtime.deps, runtime.config, { dryRun: false, tick, carried }).catch((error: unknown) => {
        say(`tick failed: ${describeError(error)}`);
        return undefined;
      });
      if (result !== undefined) {
        carried = result.carried;
        // The plan is shown when a decision or its reason changed: re-planning, seen as it happens.
        const decided = result.plan.decisions.map((d) => `${d.infoHash}:${d.action}:${d.reason.code}`).join(' ');
        if (afterChange) say('re-planned after the change:');
        if (afterChange || decided !== lastDecided || result.actions.length > 0)
          process.stdout.write(`\n${formatPlanTable(result.plan, { limit: 20, width: process.stdout.columns ?? 120 })}\n\n`);
        lastDecided = decided;
        const progress = describeProgress(result);
        if (progress.line !== '') say(progress.line);
        if (exitWhenMirrored && progress.complete && result.actions.length === 0) {
          say('everything planned is mirrored and seeding');
          break;
        }
      }
      await new Promise((r) => setTimeout(r, 3000));
    }
    stopChanges();
  } catch (error) {
    process.stderr.write(`demo failed: ${describeError(error)}\n`);
    await stopWorld().catch(() => undefined);
    uninstall();
    return 1;
  }
  await stopWorld();
  uninstall();
  return 0;
}

/**
 * The agent loop (a tick every 3 s) with its control socket, and the dashboard attached to it
 * in this process; logs go to a file so they do not garble the screen. Quitting the dashboard
 * (q) ends the demo.
 */
async function runDemoDashboard(runtime: Runtime, world: MirrorWorld, workDir: string, say: (m: string) => void): Promise<void> {
  const logPath = join(workDir, 'smartnode.log');
  const logFile = createWriteStream(logPath, { flags: 'a' });
  logAgentEvents(runtime.bus, createLogger({ format: 'pretty', destination: logFile }));
  say(`opening the dashboard (logs: ${logPath}); q quits the demo and tears everything down`);
  const controller = new AbortController();
  let wake: () => boolean = () => false;
  const control = await startControlEndpoint({
    stateDir: runtime.stateDir,
    bus: runtime.bus,
    state: runtime.deps.state,
    clock: runtime.deps.clock,
    tickNow: () => wake(),
  });
  const loop = startAgentLoop(runtime.deps, {
    tickIntervalMs: 3000,
    dryRun: false,
    signal: controller.signal,
    readConfig: () => runtime.config,
    onTick: (result) => control.control.observeTick(result),
  });
  wake = () => loop.tickNow();
  // The world changes under the dashboard; each change is logged and the agent ticks at once.
  const stopChanges = startWorldChanges(
    world,
    WORLD_CHANGES,
    (what) => {
      logFile.write(`demo: the world changes: ${what}\n`);
      wake();
    },
    (what, error) => void logFile.write(`demo: could not change the world (${what}): ${describeError(error)}\n`),
  );
  try {
    forgetCiEnvironment();
    const { runDashboard } = await import('../ui/index.js');
    await Promise.race([runDashboard({ socketPath: control.server.socketPath }), loop.done]);
  } finally {
    stopChanges();
    controller.abort();
    await loop.done;
    await runtime.deps.digestJobs?.close();
    await control.close();
    logFile.end();
  }
}

function describeProgress(result: TickResult): { line: string; complete: boolean } {
  const owned = result.torrents.filter((t) => t.labels.includes('smartnode'));
  if (owned.length === 0) return { line: '', complete: false };
  const parts = owned.map((t) => `${t.name} ${Math.round(t.percentDone * 100)}%${t.status === 'seeding' ? ' seeding' : ''}`);
  return { line: `mirror: ${parts.join(', ')}`, complete: owned.every((t) => t.percentDone === 1) };
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${describeError(error)}\n`);
    process.exit(1);
  },
);
