/**
 * A subscription that survives the agent going away: when the connection drops (the agent
 * stopped or restarted) it reports `lost` with the reason and keeps trying to reconnect; on
 * reconnect it starts again from a fresh snapshot. Used by the dashboard.
 */
import type { AgentEvent } from '../agent/index.js';
import { describeError } from '../shared/index.js';
import { connectControl, type ControlConnection } from './client.js';
import type { ControlCommand } from './protocol.js';
import type { StatusSnapshot } from '../status/index.js';

export type LinkEvent =
  | { kind: 'connecting' }
  | { kind: 'connected'; status: StatusSnapshot }
  | { kind: 'lost'; reason: string; retryInMs: number };

export interface AttachOptions {
  socketPath: string;
  onLink: (link: LinkEvent) => void;
  onEvent: (event: AgentEvent) => void;
  /** Between reconnect attempts (default 1000 ms). */
  retryMs?: number;
}

export interface Attachment {
  /** Sends a command; rejects with the agent's refusal or when not connected. */
  command(command: ControlCommand): Promise<string>;
  /** Detaches: the agent keeps running. */
  close(): void;
}

export function attachToAgent(options: AttachOptions): Attachment {
  const retryMs = options.retryMs ?? 1000;
  let connection: ControlConnection | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;

  const lost = (reason: string): void => {
    connection = null;
    if (stopped) return;
    options.onLink({ kind: 'lost', reason, retryInMs: retryMs });
    timer = setTimeout(() => void connect(), retryMs);
  };

  const connect = async (): Promise<void> => {
    timer = null;
    if (stopped) return;
    options.onLink({ kind: 'connecting' });
    let attempt: ControlConnection;
    try {
      attempt = await connectControl(options.socketPath);
    } catch (error) {
      lost(describeError(error));
      return;
    }
    if (stopped) {
      attempt.close();
      return;
    }
    try {
      const status = await attempt.subscribe((event) => options.onEvent(event));
      connection = attempt;
      options.onLink({ kind: 'connected', status });
    } catch (error) {
      attempt.close();
      lost(describeError(error));
      return;
    }
    void attempt.closed.then(() => {
      if (connection === attempt) lost('the agent went away (its control connection closed)');
    });
  };
  void connect();

  return {
    command: (command) => {
      if (connection === null) return Promise.reject(new Error('not connected to the agent'));
      return connection.command(command);
    },
    close: () => {
      stopped = true;
      if (timer !== null) clearTimeout(timer);
      connection?.close();
      connection = null;
    },
  };
}
