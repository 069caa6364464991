import { afterEach, describe, expect, it } from 'vitest';
import type { WebhookTarget } from '../policy/index.js';
import { findFreePort, startWebhookReceiver, type WebhookReceiver } from '../testkit/index.js';
import type { Notification } from './notifications.js';
import { createWebhookNotifier } from './webhook.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const SECRET_PATH = '/hook/s3cr3t-t0ken';
const SECRET_HEADER = 'Bearer very-secret-value';

let receiver: WebhookReceiver | null = null;
afterEach(async () => {
  await receiver?.close();
  receiver = null;
});

function aNotifier(
  target: Omit<WebhookTarget, 'format'> & { format?: WebhookTarget['format'] },
  warnings: string[],
  overrides: { retries?: number; groupWindowMs?: number } = {},
) {
  let n = 0;
  return createWebhookNotifier({
    targets: [{ format: 'envelope', ...target }],
    retries: overrides.retries ?? 3,
    groupWindowMs: overrides.groupWindowMs ?? 50,
    newId: () => `id-${++n}`,
    warn: (message) => warnings.push(message),
    retryBaseMs: 20,
  });
}

const corrupt = (i: number): Notification => ({
  event: 'torrent.corrupt',
  atMs: T0 + i,
  torrent: { infoHash: `${i}`.padStart(40, '0'), name: `dataset-${i}`, code: 'CORRUPT', text: 'digest mismatch' },
  data: {},
});

describe('webhook delivery to a real HTTP receiver', () => {
  it('POSTs the versioned envelope with the configured headers, retrying 5xx until accepted', async () => {
    receiver = await startWebhookReceiver();
    receiver.script([503, 502]);
    const warnings: string[] = [];
    const notifier = aNotifier(
      { name: 'ops', url: `${receiver.url}${SECRET_PATH}`, headers: { Authorization: SECRET_HEADER }, events: null },
      warnings,
    );
    notifier.notify([{ event: 'agent.started', atMs: T0, data: { nodeId: 'n1' } }]);
    await receiver.waitFor((r) => r.some((x) => x.status === 200), 5000, 'an accepted delivery');
    await notifier.close();
    expect(receiver.received.map((r) => r.status)).toEqual([503, 502, 200]);
    const bodies = receiver.received.map((r) => r.body);
    // The same message each time: a receiver can drop duplicates by id.
    expect(bodies).toEqual([bodies[0], bodies[0], bodies[0]]);
    expect(bodies[0]).toEqual({
      event: 'agent.started',
      id: 'id-1',
      timestamp: '2026-01-01T12:00:00.000Z',
      version: 1,
      data: { nodeId: 'n1' },
    });
    expect(receiver.received[0]?.headers.authorization).toBe(SECRET_HEADER);
    expect(receiver.received[0]?.headers['content-type']).toBe('application/json');
    expect(receiver.received[0]?.path).toBe(SECRET_PATH);
    expect(warnings).toEqual([]);
  });

  it('groups torrent events of one kind within the window into one message', async () => {
    receiver = await startWebhookReceiver();
    const notifier = aNotifier({ name: 'ops', url: receiver.url, headers: {}, events: null }, []);
    notifier.notify([corrupt(1), corrupt(2)]);
    notifier.notify([corrupt(3), { ...corrupt(4), event: 'torrent.vanished' }]);
    await receiver.waitFor((r) => r.length >= 2, 5000, 'two grouped messages');
    await notifier.close();
    const bodies = receiver.received.map((r) => r.body as { event: string; data: { count: number; torrents: { name: string }[] } });
    expect(bodies.map((b) => [b.event, b.data.count, b.data.torrents.map((t) => t.name)])).toEqual([
      ['torrent.corrupt', 3, ['dataset-1', 'dataset-2', 'dataset-3']],
      ['torrent.vanished', 1, ['dataset-4']],
    ]);
  });

  it('sends a webhook only the events it asked for', async () => {
    receiver = await startWebhookReceiver();
    const notifier = aNotifier({ name: 'ops', url: receiver.url, headers: {}, events: ['disk.reserve'] }, []);
    notifier.notify([
      { event: 'agent.started', atMs: T0, data: {} },
      { event: 'disk.reserve', atMs: T0, data: {} },
    ]);
    await notifier.close();
    expect(receiver.received.map((r) => (r.body as { event: string }).event)).toEqual(['disk.reserve']);
  });

  it("speaks Discord's, Apprise's and plain text's shapes when asked", async () => {
    receiver = await startWebhookReceiver();
    for (const format of ['discord', 'apprise', 'text'] as const) {
      const notifier = aNotifier({ name: format, url: receiver.url, headers: {}, events: null, format }, []);
      notifier.notify([corrupt(1), corrupt(2)]);
      await notifier.close();
    }
    const line = 'smartnode: 2 torrent(s) found corrupt: dataset-1, dataset-2';
    expect(receiver.received.map((r) => [r.headers['content-type'], r.body])).toEqual([
      ['application/json', { content: line }],
      ['application/json', { title: 'torrent.corrupt', body: line }],
      ['text/plain; charset=utf-8', line],
    ]);
  });

  it('gives up on a 4xx at once, and on a dead receiver after the retries, never naming the URL or a header', async () => {
    receiver = await startWebhookReceiver();
    receiver.script([404]);
    const warnings: string[] = [];
    const refused = aNotifier(
      { name: 'ops', url: `${receiver.url}${SECRET_PATH}`, headers: { Authorization: SECRET_HEADER }, events: null },
      warnings,
    );
    refused.notify([{ event: 'agent.stopped', atMs: T0, data: {} }]);
    await refused.close();
    expect(receiver.received).toHaveLength(1);

    const deadPort = await findFreePort();
    const dead = aNotifier(
      { name: 'gone', url: `http://127.0.0.1:${deadPort}${SECRET_PATH}`, headers: { Authorization: SECRET_HEADER }, events: null },
      warnings,
      { retries: 2 },
    );
    dead.notify([{ event: 'agent.stopped', atMs: T0, data: {} }]);
    await dead.close();
    expect(warnings).toEqual([
      'webhook ops: agent.stopped not delivered after 1 attempt(s): HTTP 404',
      'webhook gone: agent.stopped not delivered after 3 attempt(s): network error ECONNREFUSED',
    ]);
    for (const w of warnings) {
      expect(w).not.toContain('s3cr3t');
      expect(w).not.toContain('very-secret');
      expect(w).not.toContain('127.0.0.1');
    }
  });
});
