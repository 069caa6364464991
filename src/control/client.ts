/**
 * The client end of the control socket, used by `smartnode status`, `smartnode dashboard` and
 * tests. Checks the socket belongs to this user before talking to it.
 */
import { createConnection, type Socket } from 'node:net';
import type { AgentEvent } from '../agent/index.js';
import { SmartnodeError } from '../shared/index.js';
import { encodeLine, parseReplyLine, type ControlCommand, type ControlReply } from './protocol.js';
import { checkSocketFile } from './socket-file.js';
import type { StatusSnapshot } from '../status/index.js';

export interface ControlConnection {
  status(): Promise<StatusSnapshot>;
  /** Resolves with the snapshot taken when the stream started; events follow through onEvent. */
  subscribe(onEvent: (event: AgentEvent) => void): Promise<StatusSnapshot>;
  command(command: ControlCommand): Promise<string>;
  /** Resolves when the agent closes the connection (or it breaks). */
  readonly closed: Promise<void>;
  close(): void;
}

type Reply = Exclude<ControlReply, { op: 'event' }>;

export async function connectControl(socketPath: string, options: { timeoutMs?: number } = {}): Promise<ControlConnection> {
  const file = await checkSocketFile(socketPath, { requirePrivate: true });
  if (file.kind === 'absent') throw notRunning(socketPath, 'there is no control socket');
  const socket = await openSocket(socketPath, options.timeoutMs ?? 5000);

  let nextId = 1;
  const pending = new Map<number, { resolve: (r: Reply) => void; reject: (e: unknown) => void }>();
  let eventListener: ((event: AgentEvent) => void) | null = null;
  let buffer = '';
  let isClosed = false;
  let markClosed: () => void = () => undefined;
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });

  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      const reply = parseReplyLine(line);
      if (reply !== null) deliver(reply);
      newline = buffer.indexOf('\n');
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    isClosed = true;
    const gone = new SmartnodeError('CONTROL_UNAVAILABLE', 'the agent closed the control connection', {
      hint: 'the agent stopped or restarted; attach again',
      retryable: true,
    });
    for (const p of pending.values()) p.reject(gone);
    pending.clear();
    markClosed();
  });

  function deliver(reply: ControlReply): void {
    if ('op' in reply) {
      eventListener?.(reply.event);
      return;
    }
    const waiter = pending.get(reply.id);
    if (waiter === undefined) return;
    pending.delete(reply.id);
    waiter.resolve(reply);
  }

  function request(body: Record<string, unknown>): Promise<Reply> {
    if (isClosed) {
      return Promise.reject(new SmartnodeError('CONTROL_UNAVAILABLE', 'the control connection is closed', { retryable: true }));
    }
    const id = nextId++;
    return new Promise<Reply>((resolve, reject) => {
      pending.set(id, { resolve, reject });
      socket.write(encodeLine({ id, ...body }));
    });
  }

  function statusOf(reply: Reply): StatusSnapshot {
    if (!reply.ok) throw fromErrorView(reply.error);
    if (reply.status === undefined) throw new SmartnodeError('INTERNAL', 'the agent answered without a status');
    return reply.status;
  }

  return {
    status: async () => statusOf(await request({ op: 'status' })),
    subscribe: async (onEvent) => {
      eventListener = onEvent;
      return statusOf(await request({ op: 'subscribe' }));
    },
    command: async (command) => {
      const reply = await request({ op: 'command', command });
      if (!reply.ok) throw fromErrorView(reply.error);
      return reply.message ?? 'done';
    },
    closed,
    close: () => socket.destroy(),
  };
}

/** One status snapshot, then disconnect. */
export async function readAgentStatus(socketPath: string): Promise<StatusSnapshot> {
  const connection = await connectControl(socketPath);
  try {
    return await connection.status();
  } finally {
    connection.close();
  }
}

/** One command, then disconnect. */
export async function sendAgentCommand(socketPath: string, command: ControlCommand): Promise<string> {
  const connection = await connectControl(socketPath);
  try {
    return await connection.command(command);
  } finally {
    connection.close();
  }
}

function openSocket(path: string, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(
        new SmartnodeError('CONTROL_UNAVAILABLE', `the agent did not accept a connection on ${path} within ${timeoutMs} ms`, {
          hint: 'the agent may be stuck; check its logs',
          retryable: true,
        }),
      );
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT')
        reject(notRunning(path, 'the control socket is left over from an agent that stopped'));
      else if (error.code === 'EACCES')
        reject(
          new SmartnodeError('CONTROL_REFUSED', `permission denied on control socket ${path}`, {
            hint: 'run this as the user that runs the agent',
            cause: error,
          }),
        );
      else
        reject(
          new SmartnodeError('CONTROL_UNAVAILABLE', `cannot connect to the agent on ${path}: ${error.message}`, {
            retryable: true,
            cause: error,
          }),
        );
    });
  });
}

function notRunning(path: string, why: string): SmartnodeError {
  return new SmartnodeError('CONTROL_UNAVAILABLE', `no smartnode agent is running for ${path.replace(/\/control\.sock$/, '')} (${why})`, {
    hint: 'start it with `smartnode run --policy FILE`, or pass the --state-dir (or --policy) the agent uses',
    retryable: true,
  });
}

function fromErrorView(error: { code: string; message: string; hint?: string; retryable: boolean }): SmartnodeError {
  const code =
    error.code === 'CONTROL_REFUSED' || error.code === 'CONTROL_UNAVAILABLE' || error.code === 'STATE_IO' ? error.code : 'CONTROL_REFUSED';
  return new SmartnodeError(code, error.message, { ...(error.hint === undefined ? {} : { hint: error.hint }), retryable: error.retryable });
}
