/**
 * Pure: the JSON a webhook receives, and how notifications are grouped into messages.
 * The envelope is versioned (`version`); a receiver that knows version 1 can rely on its keys:
 *   { event, id, timestamp (ISO 8601, UTC), version, data }
 * Torrent events of one kind gathered in one window become one message listing them, so a
 * disk that loses a thousand torrents sends one message, not a thousand.
 */
import type { Notification } from './notifications.js';

export const ENVELOPE_VERSION = 1;
/** Torrents listed in one grouped message; the rest are counted in `omitted`. */
export const MAX_LISTED_TORRENTS = 50;

export interface Envelope {
  event: string;
  id: string;
  timestamp: string;
  version: typeof ENVELOPE_VERSION;
  data: Record<string, unknown>;
}

export interface Message {
  event: Notification['event'];
  atMs: number;
  data: Record<string, unknown>;
}

export function toEnvelope(message: Message, id: string): Envelope {
  return { event: message.event, id, timestamp: new Date(message.atMs).toISOString(), version: ENVELOPE_VERSION, data: message.data };
}

/**
 * One message per torrent event kind (listing its torrents, at most `maxListed`) and one per
 * other notification, in the order each kind first appeared.
 */
export function groupNotifications(pending: readonly Notification[], maxListed = MAX_LISTED_TORRENTS): Message[] {
  const messages: Message[] = [];
  const groups = new Map<string, { message: Message; torrents: NonNullable<Notification['torrent']>[] }>();
  for (const n of pending) {
    if (n.torrent === undefined) {
      messages.push({ event: n.event, atMs: n.atMs, data: n.data });
      continue;
    }
    let group = groups.get(n.event);
    if (group === undefined) {
      group = { message: { event: n.event, atMs: n.atMs, data: {} }, torrents: [] };
      groups.set(n.event, group);
      messages.push(group.message);
    }
    group.torrents.push(n.torrent);
  }
  for (const { message, torrents } of groups.values()) {
    const listed = torrents.slice(0, maxListed);
    message.data = { count: torrents.length, torrents: listed, omitted: torrents.length - listed.length };
  }
  return messages;
}

/** How a webhook wants its body: the envelope, or a service's own shape around a summary line. */
export type WebhookFormat = 'envelope' | 'text' | 'discord' | 'apprise';

/** One line a person reads: what happened, on which node's terms (no secret is in any message). */
export function summarizeMessage(message: Message): string {
  const d = message.data;
  const torrents = Array.isArray(d.torrents) ? (d.torrents as { name?: unknown }[]).map((t) => String(t.name)) : [];
  const listed = torrents.length > 0 ? `: ${torrents.slice(0, 5).join(', ')}${Number(d.count) > 5 ? ', ...' : ''}` : '';
  switch (message.event) {
    case 'torrent.corrupt':
      return `smartnode: ${String(d.count)} torrent(s) found corrupt${listed}`;
    case 'torrent.vanished':
      return `smartnode: the data of ${String(d.count)} torrent(s) vanished${listed}`;
    case 'feed.failing':
      return `smartnode: feed ${String(d.feedId)} failing since ${new Date(Number(d.failingSinceMs)).toISOString()}: ${String(d.message)}`;
    case 'daemon.unreachable':
      return `smartnode: transmission-daemon unreachable: ${String(d.message)}`;
    case 'disk.reserve':
      return `smartnode: disk reserve reached (${String(d.detail)})`;
    case 'removals.held':
      return `smartnode: ${String(d.removes)} removal(s) wait for confirmation (${String(d.hint)})`;
    default:
      return `smartnode: ${message.event}`;
  }
}

/** The request body (and its content type) a webhook of `format` gets for `message`. */
export function renderBody(format: WebhookFormat, message: Message, id: string): { body: string; contentType: string } {
  switch (format) {
    case 'envelope':
      return { body: JSON.stringify(toEnvelope(message, id)), contentType: 'application/json' };
    case 'text':
      return { body: summarizeMessage(message), contentType: 'text/plain; charset=utf-8' };
    case 'discord':
      // Discord caps content at 2000 characters.
      return { body: JSON.stringify({ content: summarizeMessage(message).slice(0, 2000) }), contentType: 'application/json' };
    case 'apprise':
      return { body: JSON.stringify({ title: message.event, body: summarizeMessage(message) }), contentType: 'application/json' };
  }
}
