import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../src/testkit/swarm.js';

/** A fresh temporary directory under /tmp, removed by the returned cleanup. */
export async function makeWorkDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), `smartnode-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Polls `check` until it returns a value (not undefined/false) or the deadline passes; unlike
 * testkit's waitFor, a throw from `check` counts as "not yet" (a daemon restarting, say).
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 60_000,
  intervalMs = 250,
): Promise<T> {
  let lastError = '';
  return waitFor(
    async () => {
      try {
        return await check();
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
        return undefined;
      }
    },
    { what, timeoutMs, intervalMs, progress: () => lastError || 'no error' },
  );
}
