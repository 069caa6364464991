import { runTick, type TickResult } from '../../src/agent/tick.js';
import { buildRuntime, type Runtime } from '../../src/cli/runtime.js';

/**
 * The agent's runtime built from a policy file, ticked in-process. Every tick first moves the
 * agent's clock an hour on, past the feed refresh and scrape intervals, so a test sees fresh
 * feeds and counts without waiting for them. `reload` rebuilds the runtime from the (edited)
 * policy on the same state and clock, as a restart would.
 */
export interface TickingAgent {
  readonly runtime: Runtime;
  tick(): Promise<TickResult>;
  reload(): Promise<void>;
}

export async function startTickingAgent(policyPath: string, env: NodeJS.ProcessEnv): Promise<TickingAgent> {
  let offsetMs = 0;
  const build = async (): Promise<Runtime> => {
    const built = await buildRuntime({ policyPath, env });
    built.deps.clock = () => Date.now() + offsetMs;
    return built;
  };
  let runtime = await build();
  return {
    get runtime() {
      return runtime;
    },
    tick() {
      offsetMs += 3_600_000;
      return runTick(runtime.deps, runtime.config, { dryRun: false, tick: 1 });
    },
    async reload() {
      runtime = await build();
    },
  };
}
