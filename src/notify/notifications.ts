/**
 * Pure: which agent events an operator is told about, and how many torrents' worth make one
 * message. The watcher is a reducer with memory (a feed failing since when, an outage already
 * told): each condition is notified once when it begins and again only after it has ended.
 * Time comes from the events.
 */
import type { AgentEvent } from '../agent/index.js';
import type { NotifyEventName } from '../policy/index.js';

/** One thing to tell, before grouping; `torrent` marks the kinds that are grouped. */
export interface Notification {
  event: NotifyEventName;
  atMs: number;
  torrent?: { infoHash: string; name: string; code: string; text: string };
  data: Record<string, unknown>;
}

const CORRUPT_CODES = new Set(['CORRUPT', 'BAD_PIECES']);
const VANISHED_CODES = new Set(['DATA_VANISHED']);

export interface NotificationWatcher {
  /** The notifications this event starts (usually none). */
  observe(event: AgentEvent): Notification[];
}

export function createNotificationWatcher(options: { feedFailingAfterMs: number }): NotificationWatcher {
  const failingSince = new Map<string, number>();
  const feedTold = new Set<string>();
  let daemonDown = false;
  // Conditions re-reported every tick while they hold: told when they begin, re-armed by a
  // tick that no longer reports them.
  const active = new Set<'disk.reserve' | 'removals.held'>();
  const seenThisTick = new Set<'disk.reserve' | 'removals.held'>();
  const onceWhileActive = (kind: 'disk.reserve' | 'removals.held', n: Notification): Notification[] => {
    seenThisTick.add(kind);
    if (active.has(kind)) return [];
    active.add(kind);
    return [n];
  };

  return {
    observe(event) {
      switch (event.type) {
        case 'integrity': {
          const kind = CORRUPT_CODES.has(event.code) ? 'torrent.corrupt' : VANISHED_CODES.has(event.code) ? 'torrent.vanished' : null;
          if (kind === null) return [];
          const torrent = { infoHash: event.infoHash, name: event.name, code: event.code, text: event.text };
          return [{ event: kind, atMs: event.atMs, torrent, data: {} }];
        }
        case 'disk-reserve':
          return onceWhileActive('disk.reserve', {
            event: 'disk.reserve',
            atMs: event.atMs,
            data: {
              diskFreeBytes: event.diskFreeBytes,
              minFreeBytes: event.minFreeBytes,
              evictions: event.evictions,
              detail: event.detail,
            },
          });
        case 'eviction-held':
          return onceWhileActive('removals.held', {
            event: 'removals.held',
            atMs: event.atMs,
            data: {
              removes: event.removes,
              removeBytes: event.removeBytes,
              fraction: event.fraction,
              maxEvictFraction: event.maxEvictFraction,
              hint: 'confirm with the dashboard, or run with --yes',
            },
          });
        case 'tick-started':
          seenThisTick.clear();
          return [];
        case 'tick-finished':
          for (const kind of [...active]) if (!seenThisTick.has(kind)) active.delete(kind);
          daemonDown = false;
          return [];
        case 'daemon-connected':
          daemonDown = false;
          return [];
        case 'tick-failed': {
          if (!event.error.code.startsWith('DAEMON_') || daemonDown) return [];
          daemonDown = true;
          return [
            {
              event: 'daemon.unreachable',
              atMs: event.atMs,
              data: { code: event.error.code, message: event.error.message, retryInMs: event.retryInMs },
            },
          ];
        }
        case 'feed-fetched':
          failingSince.delete(event.feedId);
          feedTold.delete(event.feedId);
          return [];
        case 'feed-failed': {
          const since = failingSince.get(event.feedId) ?? event.atMs;
          failingSince.set(event.feedId, since);
          if (feedTold.has(event.feedId) || event.atMs - since < options.feedFailingAfterMs) return [];
          feedTold.add(event.feedId);
          return [
            {
              event: 'feed.failing',
              atMs: event.atMs,
              data: {
                feedId: event.feedId,
                failingSinceMs: since,
                code: event.error.code,
                message: event.error.message,
                keptItems: event.keptItems,
              },
            },
          ];
        }
        default:
          return [];
      }
    },
  };
}
