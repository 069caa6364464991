/**
 * Webhook notifications: which agent events are told (pure watcher), the versioned envelope
 * and the grouping of torrent events (pure), and the delivery with retries.
 */
export { createNotificationWatcher, type Notification, type NotificationWatcher } from './notifications.js';
export {
  ENVELOPE_VERSION,
  MAX_LISTED_TORRENTS,
  groupNotifications,
  renderBody,
  summarizeMessage,
  toEnvelope,
  type Envelope,
  type Message,
  type WebhookFormat,
} from './envelope.js';
export { createWebhookNotifier, type WebhookNotifier, type WebhookNotifierOptions } from './webhook.js';
