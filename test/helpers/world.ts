import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
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

/**
 * Waits until `count` partial files (".part", Transmission's rename-partial-files) under `dir`
 * hold blocks: each download has written its first bytes (and, with preallocation, taken its file).
 */
export async function waitForFirstWrites(dir: string, count: number): Promise<void> {
  await eventually(`${count} downloads to write their first bytes`, async () => {
    const names = await readdir(dir, { recursive: true });
    const parts = names.filter((n) => n.endsWith('.part')).map((n) => stat(join(dir, n)));
    return parts.length === count && (await Promise.all(parts)).every((f) => f.blocks > 0);
  });
}
