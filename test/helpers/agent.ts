import { initialCarriedState, runTick, type TickResult } from '../../src/agent/tick.js';
import { buildRuntime, type Runtime } from '../../src/cli/runtime.js';

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
      runtime = await build();
      carried = initialCarriedState();
    },
  };
}
