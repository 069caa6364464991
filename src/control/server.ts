/**
 * The agent's end of the control socket: status snapshots, a subscribe stream of agent
 * events, and commands. Nothing listens on a network port: a Unix socket, mode 0600, in the
 * state directory. A slow or dead subscriber is dropped, never allowed to slow the agent.
 */
import { chmod, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { EventBus } from '../agent/index.js';
import { SmartnodeError, toErrorView } from '../shared/index.js';
import { MAX_REQUEST_LINE_BYTES, encodeLine, parseRequestLine, type ControlCommand, type ControlRequest } from './protocol.js';
import { checkSocketFile } from './socket-file.js';
import type { StatusSnapshot } from '../status/index.js';

/** A subscriber this far behind (bytes queued) is disconnected; it reconnects and resyncs. */
const MAX_SUBSCRIBER_BACKLOG_BYTES = 16 * 1024 * 1024;

export interface ControlServerOptions {
  socketPath: string;
  bus: EventBus;
  snapshot: () => StatusSnapshot;
  /** Carries out a command; resolves to a one-line message, throws SmartnodeError to refuse. */
  runCommand: (command: ControlCommand) => Promise<string> | string;
  /**
   * Brings the snapshot's live numbers up to date (progress.ts) before a status or subscribe
   * answer; waited for at most REFRESH_WAIT_MS, so a slow daemon never holds the answer up.
   */
  refresh?: () => Promise<void>;
}

const REFRESH_WAIT_MS = 2000;

async function refreshBriefly(refresh: (() => Promise<void>) | undefined): Promise<void> {
  if (refresh === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([refresh(), new Promise<void>((r) => (timer = setTimeout(r, REFRESH_WAIT_MS)))]);
  clearTimeout(timer);
}

export interface ControlServer {
  readonly socketPath: string;
  /** Open connections (for tests and the dashboard's own diagnostics). */
  connections(): number;
  close(): Promise<void>;
}

export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const { socketPath } = options;
  const existing = await checkSocketFile(socketPath, { requirePrivate: false });
  if (existing.kind === 'ours') {
    if (await isListening(socketPath)) {
      throw new SmartnodeError(
        'CONTROL_REFUSED',
        `another smartnode agent is already running with this state directory (it answers on ${socketPath})`,
        {
          hint: 'stop the other agent first, or give this one its own --state-dir',
        },
      );
    }
    await unlink(socketPath); // stale: left by an agent that was killed
  }

  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    serveConnection(socket, options, () => sockets.delete(socket));
  });
  // umask 177 while binding, so the socket is never, even briefly, reachable by others.
  const previousUmask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    throw new SmartnodeError('CONTROL_REFUSED', `cannot listen on control socket ${socketPath}: ${(error as Error).message}`, {
      hint: 'check that the state directory is writable by this user',
      cause: error,
    });
  } finally {
    process.umask(previousUmask);
  }
  await chmod(socketPath, 0o600);

  return {
    socketPath,
    connections: () => sockets.size,
    close: () => closeServer(server, sockets),
  };
}

function serveConnection(socket: Socket, options: ControlServerOptions, onGone: () => void): void {
  let buffer = '';
  let unsubscribe: (() => void) | null = null;
  const send = (value: unknown): void => {
    if (!socket.writable) return;
    socket.write(encodeLine(value));
    if (socket.writableLength > MAX_SUBSCRIBER_BACKLOG_BYTES) socket.destroy();
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line !== '') void handleLine(line);
      newline = buffer.indexOf('\n');
    }
    if (buffer.length > MAX_REQUEST_LINE_BYTES) {
      send({
        id: null,
        ok: false,
        error: { code: 'CONTROL_REFUSED', message: `request longer than ${MAX_REQUEST_LINE_BYTES} bytes`, retryable: false },
      });
      socket.destroy();
    }
  });
  socket.on('error', () => undefined);
  socket.on('close', () => {
    unsubscribe?.();
    onGone();
  });

  async function handleLine(line: string): Promise<void> {
    const parsed = parseRequestLine(line);
    if (!parsed.ok) {
      send({ id: parsed.id ?? -1, ok: false, error: { code: 'CONTROL_REFUSED', message: parsed.message, retryable: false } });
      return;
    }
    await handleRequest(parsed.request);
  }

  async function handleRequest(request: ControlRequest): Promise<void> {
    switch (request.op) {
      case 'status':
        await refreshBriefly(options.refresh);
        send({ id: request.id, ok: true, status: options.snapshot() });
        return;
      case 'subscribe':
        await refreshBriefly(options.refresh);
        if (unsubscribe === null) {
          // Snapshot and subscription in the same turn: no event can fall between them.
          send({ id: request.id, ok: true, status: options.snapshot() });
          unsubscribe = options.bus.subscribe((event) => send({ op: 'event', event }));
        } else {
          send({ id: request.id, ok: true, status: options.snapshot() });
        }
        return;
      case 'command':
        try {
          const message = await options.runCommand(request.command);
          send({ id: request.id, ok: true, message });
        } catch (error) {
          send({ id: request.id, ok: false, error: toErrorView(error) });
        }
        return;
    }
  }
}

/** True when something accepts connections on the socket (a live agent). */
function isListening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    const timer = setTimeout(() => finish(true), 1000); // accepted but silent: still alive
    function finish(alive: boolean): void {
      clearTimeout(timer);
      probe.destroy();
      resolve(alive);
    }
    probe.once('connect', () => finish(true));
    probe.once('error', () => finish(false));
  });
}

async function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  // Node removes the socket file itself when the server closes.
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
