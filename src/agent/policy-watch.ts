/**
 * Live policy edits: the running agent notices an edit of its policy file (a file watch on
 * the file's directory, so an editor's write-to-temp-and-rename and a deletion are seen too)
 * or a SIGHUP, reads and validates it, and hands the new policy over; the next tick applies
 * it. An edit that does not validate (or a deleted file) is reported with the loader's
 * message (file, line, key, what is expected) and the last good policy stays in force:
 * nothing is removed because of a typo. Nor because of a file caught half-written: an edit is
 * taken only when the file reads the same before and `stableMs` after it validated; one that
 * changed meanwhile is reported as still being written and read again once it settles.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Policy } from '../policy/index.js';
import type { EventBus } from './events.js';
import { toErrorView } from '../shared/index.js';

export interface PolicyWatchOptions {
  /** Absolute path of the policy file. */
  path: string;
  bus: EventBus;
  clock: () => number;
  /** Reads and validates the file (policy loader, secrets); throws SmartnodeError when invalid. */
  load: (path: string) => Promise<Policy>;
  /** Takes over a new, valid policy that differs from the last good one. */
  apply: (policy: Policy, changed: string[]) => void | Promise<void>;
  /** The policy in force at start (the last good one until an edit validates). */
  initial: Policy;
  /** Editors write in bursts: reload once the file has been quiet this long. Default 200 ms. */
  debounceMs?: number;
  /** A validated edit is taken only if the file still reads the same this long after. Default 1000 ms. */
  stableMs?: number;
  /** Also reload on SIGHUP (default true). */
  sighup?: boolean;
}

export type ReloadOutcome =
  | { kind: 'reloaded'; changed: string[] }
  | { kind: 'unchanged' }
  | { kind: 'unsettled' }
  | { kind: 'failed'; code: string; message: string };

export interface PolicyWatcher {
  /** Reloads now (what a file event or SIGHUP does); concurrent calls share one reload. */
  reload(): Promise<ReloadOutcome>;
  /** The policy in force. */
  current(): Policy;
  close(): void;
}

export function watchPolicyFile(options: PolicyWatchOptions): PolicyWatcher {
  const debounceMs = options.debounceMs ?? 200;
  const stableMs = options.stableMs ?? 1000;
  const name = basename(options.path);
  let good = options.initial;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<ReloadOutcome> | null = null;
  let again = false;
  let closed = false;

  const reloadOnce = async (): Promise<ReloadOutcome> => {
    let next: Policy;
    const before = await readText(options.path);
    try {
      next = await options.load(options.path);
    } catch (error) {
      const view = toErrorView(error);
      options.bus.emit({ type: 'policy-reload-failed', atMs: options.clock(), path: options.path, error: view });
      return { kind: 'failed', code: view.code, message: view.message };
    }
    const changed = changedKeys(good, next);
    if (changed.length === 0) return { kind: 'unchanged' };
    // A writer may pause mid-file: what validated is taken only if the file did not move under it.
    await new Promise((r) => setTimeout(r, stableMs));
    if (closed) return { kind: 'unchanged' };
    if ((await readText(options.path)) !== before) {
      options.bus.emit({
        type: 'policy-reload-deferred',
        atMs: options.clock(),
        path: options.path,
        message: `policy ${options.path} changed while it was read (still being written?): the last good policy stays in force; it is read again once the file has been unchanged for ${stableMs} ms`,
      });
      schedule();
      return { kind: 'unsettled' };
    }
    try {
      await options.apply(next, changed);
    } catch (error) {
      const view = toErrorView(error);
      options.bus.emit({ type: 'policy-reload-failed', atMs: options.clock(), path: options.path, error: view });
      return { kind: 'failed', code: view.code, message: view.message };
    }
    good = next;
    options.bus.emit({ type: 'policy-reloaded', atMs: options.clock(), path: options.path, changed });
    return { kind: 'reloaded', changed };
  };

  const reload = (): Promise<ReloadOutcome> => {
    if (running !== null) {
      // An edit during a reload: read the file once more when this one ends.
      again = true;
      return running;
    }
    running = (async () => {
      let outcome = await reloadOnce();
      while (again && !closed) {
        again = false;
        outcome = await reloadOnce();
      }
      return outcome;
    })().finally(() => {
      running = null;
    });
    return running;
  };

  const schedule = (): void => {
    if (closed) return;
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      void reload();
    }, debounceMs);
  };

  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(dirname(options.path), { persistent: false }, (_event, file) => {
      if (file === null || file === name) schedule();
    });
    watcher.on('error', () => schedule());
  } catch (error) {
    options.bus.emit({ type: 'policy-reload-failed', atMs: options.clock(), path: options.path, error: toErrorView(error) });
  }
  const onHup = (): void => schedule();
  if (options.sighup ?? true) process.on('SIGHUP', onHup);

  return {
    reload,
    current: () => good,
    close() {
      closed = true;
      if (timer !== null) clearTimeout(timer);
      watcher?.close();
      process.off('SIGHUP', onHup);
    },
  };
}

/** The file's text, or null when it cannot be read (the loader reports why). */
async function readText(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch(() => null);
}

/** Dotted keys (two levels: `storage.maxBytes`, `feeds`) whose values differ. */
export function changedKeys(a: Policy, b: Policy): string[] {
  const out: string[] = [];
  const left = a as unknown as Record<string, unknown>;
  const right = b as unknown as Record<string, unknown>;
  for (const key of new Set([...Object.keys(left), ...Object.keys(right)])) {
    const x = left[key];
    const y = right[key];
    if (JSON.stringify(x) === JSON.stringify(y)) continue;
    if (isPlainObject(x) && isPlainObject(y)) {
      for (const sub of new Set([...Object.keys(x), ...Object.keys(y)])) {
        if (JSON.stringify(x[sub]) !== JSON.stringify(y[sub])) out.push(`${key}.${sub}`);
      }
    } else {
      out.push(key);
    }
  }
  return out.sort();
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
