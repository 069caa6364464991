import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initialCarriedState, runTick, type TickResult } from '../../src/agent/tick.js';
import { buildRuntime, type Runtime } from '../../src/cli/runtime.js';
import type { MirrorWorld } from '../../src/testkit/world.js';

/**
 * The agent's runtime built from a policy file, ticked in-process. Every tick first moves the
 * agent's clock an hour on, past the feed refresh and scrape intervals, so a test sees fresh
 * feeds and counts without waiting for them. `reload` rebuilds the runtime from the (edited)
 * policy on the same state and clock, as a restart would (what ticks carried over starts afresh).
 */
export interface TickingAgent {
  readonly runtime: Runtime;
  tick(): Promise<TickResult>;
  reload(): Promise<void>;
  /** Cancels the content checks hashing in the background. */
  close(): Promise<void>;
}

export async function startTickingAgent(policyPath: string, env: NodeJS.ProcessEnv): Promise<TickingAgent> {
  let offsetMs = 0;
  const build = async (): Promise<Runtime> => {
    const built = await buildRuntime({ policyPath, env });
    built.deps.clock = () => Date.now() + offsetMs;
    return built;
  };
  let runtime = await build();
  let carried = initialCarriedState();
  return {
    get runtime() {
      return runtime;
    },
    async tick() {
      offsetMs += 3_600_000;
      const result = await runTick(runtime.deps, runtime.config, { dryRun: false, tick: 1, carried });
      carried = result.carried;
      return result;
    },
    async reload() {
      await runtime.deps.digestJobs?.close();
      runtime = await build();
      carried = initialCarriedState();
    },
    async close() {
      await runtime.deps.digestJobs?.close();
    },
  };
}

/**
 * An agent driving the world's volunteer daemon, state under `workDir`, with quick intervals;
 * `storage` and `feed` are the policy's inline values (`{ downloadDir: ..., maxBytes: ... }`).
 */
export async function startWorldAgent(
  world: MirrorWorld,
  workDir: string,
  env: NodeJS.ProcessEnv,
  options: { storage: string; feed?: string; extra?: string },
): Promise<TickingAgent> {
  const policyPath = join(workDir, 'policy.yaml');
  await writeFile(
    policyPath,
    `version: 1
node: { stateDir: ${join(workDir, 'state')} }
daemon: { url: ${world.volunteer.rpcUrl}, username: ${world.volunteer.username}, passwordEnv: SMARTNODE_E2E_PASSWORD }
storage: ${options.storage}
feeds: [${options.feed ?? `{ id: demo, url: "${world.feedUrl}", format: rss }`}]
scoring: { targetSeeders: 4, minSeedTime: 0s }
intervals: { tick: 5s, feedRefresh: 10s, scrape: 10s }
${options.extra ?? ''}`,
  );
  return startTickingAgent(policyPath, env);
}

/**
 * An agent mirroring a test world's feed with a 1 MB/s upload cap on what it owns (1 GB
 * budget, no reserve, quick intervals), its password in SMARTNODE_E2E_PASSWORD of `env`.
 */
export async function startCappedMirrorAgent(world: MirrorWorld, workDir: string, env: NodeJS.ProcessEnv): Promise<TickingAgent> {
  const downloadDir = join(workDir, 'mirror');
  await mkdir(downloadDir, { recursive: true });
  return startWorldAgent(world, workDir, env, {
    storage: `{ downloadDir: ${downloadDir}, maxBytes: 1 GB, minFreeBytes: 0 }`,
    extra: 'bandwidth: { uploadRate: 1 MB/s }\n',
  });
}
