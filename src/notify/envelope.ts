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
