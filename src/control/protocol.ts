/**
 * The control protocol: newline-delimited JSON over a Unix socket in the state directory.
 * A client sends requests; the agent answers each by id. `subscribe` answers with a status
 * snapshot and then streams every agent event as `{ "op": "event", "event": ... }` lines, so
 * a subscriber folds the same events into the same reducer (status-model.ts) the agent uses.
 *
 *   -> {"id":1,"op":"status"}                 <- {"id":1,"ok":true,"status":{...}}
 *   -> {"id":2,"op":"subscribe"}              <- {"id":2,"ok":true,"status":{...}} then events
 *   -> {"id":3,"op":"command","command":{"kind":"pin","infoHash":"..."}}
 *                                             <- {"id":3,"ok":true,"message":"pinned ..."}
 *   errors:                                   <- {"id":3,"ok":false,"error":{code,message,hint?,retryable}}
 */
import { z } from 'zod';
import type { AgentEvent } from '../agent/index.js';
import type { StatusSnapshot } from '../status/index.js';
import type { ErrorView } from '../shared/index.js';

/** A request line larger than this closes the connection (no legitimate one comes close). */
export const MAX_REQUEST_LINE_BYTES = 64 * 1024;

const hashCommand = z.object({ kind: z.enum(['pin', 'unpin', 'ban', 'unban']), infoHash: z.string() });
const plainCommand = z.object({ kind: z.enum(['pause', 'resume', 'tick-now', 'confirm-eviction']) });
export const controlCommandSchema = z.union([hashCommand, plainCommand]);
export type ControlCommand = z.infer<typeof controlCommandSchema>;
export type ControlCommandKind = ControlCommand['kind'];

export const controlRequestSchema = z.discriminatedUnion('op', [
  z.object({ id: z.number().int(), op: z.literal('status') }),
  z.object({ id: z.number().int(), op: z.literal('subscribe') }),
  z.object({ id: z.number().int(), op: z.literal('command'), command: controlCommandSchema }),
]);
export type ControlRequest = z.infer<typeof controlRequestSchema>;

const errorViewSchema = z.object({ code: z.string(), message: z.string(), hint: z.string().optional(), retryable: z.boolean() });

/**
 * Status snapshots and events are checked at the envelope (protocol number, node id, event
 * type and time): the socket is owner-only and both ends are this program, so the inner shape
 * is the agent's own types. A snapshot from another protocol version is refused.
 */
const statusEnvelope = z.looseObject({ protocol: z.literal(1), nodeId: z.string(), asOfMs: z.number() });
const eventEnvelope = z.looseObject({ type: z.string(), atMs: z.number() });

export const controlReplySchema = z.union([
  z.object({ op: z.literal('event'), event: eventEnvelope }),
  z.object({ id: z.number(), ok: z.literal(true), status: statusEnvelope.optional(), message: z.string().optional() }),
  z.object({ id: z.number(), ok: z.literal(false), error: errorViewSchema }),
]);

export type ControlReply =
  | { op: 'event'; event: AgentEvent }
  | { id: number; ok: true; status?: StatusSnapshot; message?: string }
  | { id: number; ok: false; error: ErrorView };

/** Parses one reply line; null when it is not JSON or not a reply. */
export function parseReplyLine(line: string): ControlReply | null {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = controlReplySchema.safeParse(raw);
  // The envelope was checked above; the rest is the agent's own typed data (see statusEnvelope).
  return parsed.success ? (parsed.data as unknown as ControlReply) : null;
}

export function parseRequestLine(line: string): { ok: true; request: ControlRequest } | { ok: false; id: number | null; message: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { ok: false, id: null, message: 'not JSON' };
  }
  const parsed = controlRequestSchema.safeParse(raw);
  if (parsed.success) return { ok: true, request: parsed.data };
  const id =
    typeof raw === 'object' && raw !== null && typeof (raw as { id?: unknown }).id === 'number' ? (raw as { id: number }).id : null;
  const issue = parsed.error.issues[0];
  return { ok: false, id, message: `bad request${issue ? ` at ${issue.path.join('.') || '(root)'}: ${issue.message}` : ''}` };
}

export function encodeLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`;
}
