/**
 * The dashboard process side: the one hook that subscribes to the agent (through the control
 * socket, reconnecting when the agent goes away), the key handler, and `runDashboard`, which
 * renders it full-screen. Needs a TTY (Ink's input handling throws without one).
 */
import { render, useInput, useStdout } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import { attachToAgent, type Attachment } from '../control/index.js';
import type { ControlCommand } from '../control/index.js';
import { describeError } from '../shared/index.js';
import { Dashboard } from './components/app.js';
import {
  initialDashboard,
  interpretKey,
  keysOf,
  reduceDashboard,
  type DashboardAction,
  type DashboardState,
  type KeyPress,
} from './state.js';

/** The one subscription: agent events and link changes in, commands out. */
export function useAgentDashboard(
  socketPath: string,
  options: { retryMs?: number; clockMs?: number } = {},
): {
  state: DashboardState;
  /** The state with every action dispatched so far, even before React re-renders. */
  latest: () => DashboardState;
  dispatch: (action: DashboardAction) => void;
  send: (command: ControlCommand, describe: string) => void;
} {
  // The reducer runs here, not in React's queue: keys that arrive together (typing fast, a
  // paste) are each read against the state the previous one left, not a stale render's.
  const current = useRef<DashboardState | null>(null);
  if (current.current === null) current.current = initialDashboard(Date.now());
  const [state, setState] = useState<DashboardState>(current.current);
  const lastFrameAt = useRef(0);
  const dispatch = useCallback((action: DashboardAction) => {
    current.current = reduceDashboard(current.current ?? initialDashboard(Date.now()), action);
    if (action.type === 'clock' || (action.type === 'agent-event' && action.nowMs !== undefined)) lastFrameAt.current = Date.now();
    setState(current.current);
  }, []);
  const latest = useCallback((): DashboardState => current.current ?? state, [state]);
  const attachment = useRef<Attachment | null>(null);
  useEffect(() => {
    const a = attachToAgent({
      socketPath,
      retryMs: options.retryMs ?? 1000,
      onLink: (link) => dispatch({ type: 'link', link }),
      onEvent: (event) => dispatch({ type: 'agent-event', event, nowMs: Date.now() }),
    });
    attachment.current = a;
    // The clock moves "next tick in" along; when an agent event moved it in the last 0.9 s,
    // it skips: one update a second costs one frame a second, not two.
    const clockMs = options.clockMs ?? 1000;
    const clock = setInterval(() => {
      if (Date.now() - lastFrameAt.current >= 0.9 * clockMs) dispatch({ type: 'clock', nowMs: Date.now() });
    }, clockMs);
    return () => {
      clearInterval(clock);
      a.close();
      attachment.current = null;
    };
  }, [socketPath, options.retryMs, options.clockMs, dispatch]);
  const send = useCallback(
    (command: ControlCommand, describe: string) => {
      const a = attachment.current;
      if (a === null) return;
      a.command(command).then(
        (message) => dispatch({ type: 'message', text: message, isError: false, atMs: Date.now() }),
        (error: unknown) =>
          dispatch({ type: 'message', text: `${describe} failed: ${describeError(error)}`, isError: true, atMs: Date.now() }),
      );
    },
    [dispatch],
  );
  return { state, latest, dispatch, send };
}

function terminalSizeOf(stdout: NodeJS.WriteStream): { columns: number; rows: number } {
  return { columns: stdout.columns || 80, rows: stdout.rows || 24 };
}

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => terminalSizeOf(stdout));
  useEffect(() => {
    const onResize = (): void => setSize(terminalSizeOf(stdout));
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);
  return size;
}

function ConnectedDashboard({ socketPath, onQuit }: { socketPath: string; onQuit: () => void }) {
  const { state, latest, dispatch, send } = useAgentDashboard(socketPath);
  const size = useTerminalSize();
  const onKey = (input: string, key: KeyPress): void => {
    const now = latest();
    const outcome = interpretKey(now, input, key, Math.max(1, size.rows - 10));
    switch (outcome.kind) {
      case 'quit':
        onQuit();
        return;
      case 'intent':
        dispatch({ type: 'intent', intent: outcome.intent });
        return;
      case 'command':
        dispatch({ type: 'intent', intent: { kind: 'disarm' } });
        dispatch({ type: 'message', text: `${outcome.describe}...`, isError: false, atMs: Date.now() });
        send(outcome.command, outcome.describe);
        return;
      case 'none':
        if (now.pendingBan !== null) {
          dispatch({ type: 'intent', intent: { kind: 'disarm' } });
          dispatch({ type: 'message', text: 'ban cancelled', isError: false, atMs: Date.now() });
        }
    }
  };
  useInput((input, key) => {
    for (const one of keysOf(input, key)) onKey(one.input, one.key);
  });
  // One row short of the terminal: Ink redraws the whole screen when output fills it.
  return <Dashboard state={state} width={size.columns} height={Math.max(8, size.rows - 1)} />;
}

export interface RunDashboardOptions {
  socketPath: string;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/** Renders until the viewer quits. Detaching never stops the agent. */
export async function runDashboard(options: RunDashboardOptions): Promise<void> {
  const stdout = options.stdout ?? process.stdout;
  const stdin = options.stdin ?? process.stdin;
  stdout.write('\x1b[?1049h\x1b[H'); // the alternate screen: the terminal is restored on exit
  let quit: () => void = () => undefined;
  const quitting = new Promise<void>((resolve) => {
    quit = resolve;
  });
  const instance = render(<ConnectedDashboard socketPath={options.socketPath} onQuit={() => quit()} />, {
    stdin,
    stdout,
    exitOnCtrlC: false,
    patchConsole: true,
  });
  try {
    await Promise.race([quitting, instance.waitUntilExit()]);
  } finally {
    instance.unmount();
    instance.cleanup();
    stdout.write('\x1b[?1049l');
  }
}
