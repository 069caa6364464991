/**
 * Delivers notifications to webhooks: each message POSTed as a JSON envelope to every webhook
 * that takes its event. A 5xx, a 429 or a network failure is retried with doubling backoff;
 * another 4xx is final (the receiver refused it). Torrent events wait out the group window
 * and go as one message per kind; the others go at once. Nothing said about a delivery names
 * the URL or a header value (they carry tokens): only the webhook's name, a status, an errno.
 */
import type { WebhookTarget } from '../policy/index.js';
import { groupNotifications, renderBody, type Message } from './envelope.js';
import type { Notification } from './notifications.js';

export interface WebhookNotifierOptions {
  targets: readonly WebhookTarget[];
  retries: number;
  groupWindowMs: number;
  newId: () => string;
  /** Told of a delivery given up (no secret inside). */
  warn: (message: string) => void;
  /** First retry after this long, doubling up to maxBackoffMs. */
  retryBaseMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface WebhookNotifier {
  notify(notifications: readonly Notification[]): void;
  /**
   * Sends what waits for its window and waits for every delivery under way, for at most
   * `deadlineMs`; retries still pending then are given up.
   */
  close(deadlineMs?: number): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 10_000;

type Outcome = { ok: true } | { ok: false; retry: boolean; why: string };

/** Why a request failed, without its URL: a status, or the network error's code. */
function describeFailure(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error && 'code' in cause) return `network error ${String(cause.code)}`;
  if (error instanceof Error && error.name === 'TimeoutError') return 'timed out';
  return 'network error';
}

export function createWebhookNotifier(options: WebhookNotifierOptions): WebhookNotifier {
  const doFetch = options.fetch ?? fetch;
  const base = options.retryBaseMs ?? 1000;
  const maxBackoff = options.maxBackoffMs ?? 60_000;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let waiting: Notification[] = [];
  let timer: NodeJS.Timeout | null = null;

  const postOnce = async (target: WebhookTarget, body: string, contentType: string): Promise<Outcome> => {
    try {
      const response = await doFetch(target.url, {
        method: 'POST',
        headers: { ...target.headers, 'content-type': contentType, 'user-agent': 'smartnode' },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), stopping.signal]),
        redirect: 'error',
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { ok: true };
      const retry = response.status >= 500 || response.status === 429;
      return { ok: false, retry, why: `HTTP ${response.status}` };
    } catch (error) {
      return { ok: false, retry: !stopping.signal.aborted, why: describeFailure(error) };
    }
  };

  const wait = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        stopping.signal.removeEventListener('abort', done);
        resolve();
      }
      stopping.signal.addEventListener('abort', done, { once: true });
    });

  const deliver = async (target: WebhookTarget, message: Message): Promise<void> => {
    const { body, contentType } = renderBody(target.format, message, options.newId());
    for (let attempt = 0; ; attempt++) {
      const outcome = await postOnce(target, body, contentType);
      if (outcome.ok) return;
      if (!outcome.retry || attempt >= options.retries || stopping.signal.aborted) {
        options.warn(`webhook ${target.name}: ${message.event} not delivered after ${attempt + 1} attempt(s): ${outcome.why}`);
        return;
      }
      await wait(Math.min(maxBackoff, base * 2 ** attempt));
    }
  };

  const send = (messages: readonly Message[]): void => {
    for (const message of messages) {
      for (const target of options.targets) {
        if (target.events !== null && !target.events.includes(message.event)) continue;
        const p = deliver(target, message).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    }
  };

  const flushWaiting = (): void => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    const batch = waiting;
    waiting = [];
    send(groupNotifications(batch));
  };

  return {
    notify(notifications) {
      const now = notifications.filter((n) => n.torrent === undefined);
      if (now.length > 0) send(groupNotifications(now));
      const later = notifications.filter((n) => n.torrent !== undefined);
      if (later.length === 0) return;
      waiting.push(...later);
      timer ??= setTimeout(flushWaiting, options.groupWindowMs);
    },
    async close(deadlineMs = 15_000) {
      flushWaiting();
      const deadline = setTimeout(() => stopping.abort(), deadlineMs);
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      clearTimeout(deadline);
    },
  };
}
