/**
 * Asks a running agent for its status over its control socket (`<stateDir>/control.sock`):
 * one newline-delimited JSON request `{"id":1,"op":"status"}` (the protocol of
 * src/control/protocol.ts), the first line of the answer read back within a deadline and
 * accepted when it says `"ok": true`. Used by `smartnode doctor`.
 */
import { connect } from 'node:net';

export const CONTROL_SOCKET_NAME = 'control.sock';

export type ControlProbe =
  | { readonly ok: true; readonly nodeId: string | undefined }
  | { readonly ok: false; readonly reason: string };

export async function probeControlSocket(socketPath: string, timeoutMs = 3000): Promise<ControlProbe> {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let buffered = '';
    let settled = false;
    const finish = (result: ControlProbe): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ ok: false, reason: `no answer within ${timeoutMs} ms` }), timeoutMs);
    socket.setEncoding('utf8');
    socket.once('connect', () => socket.write(`${JSON.stringify({ id: 1, op: 'status' })}\n`));
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) {
        if (buffered.length > 1_000_000) finish({ ok: false, reason: 'the answer has no line end within 1 MB' });
        return;
      }
      const line = buffered.slice(0, newline);
      finish(readStatusReply(line));
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      const why = error.code === 'ECONNREFUSED' ? 'nothing listens on it (a stale socket file from an agent that stopped?)' : error.code === 'EACCES' ? 'permission denied' : error.message;
      finish({ ok: false, reason: why });
    });
    socket.once('close', () => finish({ ok: false, reason: 'the agent closed the connection without answering' }));
  });
}

/** Judges the first reply line: `{"id":1,"ok":true,"status":{"nodeId":...}}` passes. */
export function readStatusReply(line: string): ControlProbe {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, reason: `the answer is not JSON: ${JSON.stringify(line.slice(0, 80))}` };
  }
  if (typeof raw !== 'object' || raw === null || !('ok' in raw)) return { ok: false, reason: 'the answer is not a control reply' };
  if (raw.ok !== true) {
    const error = 'error' in raw && typeof raw.error === 'object' && raw.error !== null && 'message' in raw.error ? String(raw.error.message) : 'no reason given';
    return { ok: false, reason: `the agent refused the status request: ${error}` };
  }
  const status = 'status' in raw && typeof raw.status === 'object' && raw.status !== null ? raw.status : undefined;
  const nodeId = status !== undefined && 'nodeId' in status && typeof status.nodeId === 'string' ? status.nodeId : undefined;
  return { ok: true, nodeId };
}
