/**
 * A real terminal for end-to-end UI tests: a detached tmux session on a private server
 * (`-L`), so a test types keys and reads the screen as a person would see it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TmuxSession {
  /** Keys by tmux name ('Tab', 'Down', 'Enter', 'Escape', 'Space') or literal text with `literal`. */
  keys(...keys: string[]): Promise<void>;
  literal(text: string): Promise<void>;
  /** The visible screen, one string per row. */
  screen(): Promise<string>;
  resize(columns: number, rows: number): Promise<void>;
  /** True while the program in the pane still runs. */
  isAlive(): Promise<boolean>;
  kill(): Promise<void>;
}

export async function startTmux(options: {
  name: string;
  command: string;
  columns: number;
  rows: number;
  cwd: string;
  env?: Record<string, string>;
}): Promise<TmuxSession> {
  const server = ['-L', options.name, '-f', '/dev/null'];
  const target = ['-t', `${options.name}:0.0`];
  const envArgs = Object.entries({ TERM: 'xterm-256color', ...options.env }).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  await run('tmux', [
    ...server,
    'new-session',
    '-d',
    '-s',
    options.name,
    '-x',
    String(options.columns),
    '-y',
    String(options.rows),
    '-c',
    options.cwd,
    ...envArgs,
    options.command,
  ]);
  // Keep the pane after the program exits, so a test can read its last words.
  await run('tmux', [...server, 'set-option', '-t', options.name, 'remain-on-exit', 'on']);
  return {
    keys: async (...keys) => void (await run('tmux', [...server, 'send-keys', ...target, ...keys])),
    literal: async (text) => void (await run('tmux', [...server, 'send-keys', ...target, '-l', text])),
    screen: async () => (await run('tmux', [...server, 'capture-pane', '-p', ...target])).stdout,
    resize: async (columns, rows) =>
      void (await run('tmux', [...server, 'resize-window', '-t', options.name, '-x', String(columns), '-y', String(rows)])),
    isAlive: async () => (await run('tmux', [...server, 'display-message', '-p', ...target, '#{pane_dead}'])).stdout.trim() === '0',
    kill: async () => void (await run('tmux', [...server, 'kill-server']).catch(() => undefined)),
  };
}

/**
 * Waits until the screen shows `what` and returns it; on timeout the error carries the last
 * screen and whatever `context` adds (the agent's last log lines).
 */
export async function waitForScreen(
  tmux: TmuxSession,
  what: string | RegExp,
  options: { timeoutMs?: number; context?: () => string } = {},
): Promise<string> {
  let last = '';
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    last = await tmux.screen();
    if (typeof what === 'string' ? last.includes(what) : what.test(last)) return last;
    if (Date.now() >= deadline)
      throw new Error(`timed out waiting for the screen to show ${String(what)}\n--- screen ---\n${last}\n${options.context?.() ?? ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
