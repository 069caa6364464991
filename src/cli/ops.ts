/**
 * What an operator of many servers watches, started beside the agent: the Prometheus
 * listener (when metrics.enabled) and the webhooks (when notify.webhooks lists any). Both are
 * subscribers of the agent's event bus; neither is called by the agent.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { createMetricsExporter, startMetricsServer, type MetricsServer } from '../metrics/index.js';
import { createNotificationWatcher, createWebhookNotifier, type WebhookNotifier } from '../notify/index.js';
import { resolveOpsSecrets } from '../policy/index.js';
import type { Runtime } from './runtime.js';

export interface Operations {
  /** Where /metrics is served; null when metrics are off. */
  readonly metricsUrl: string | null;
  /** Tells the webhooks the agent stopped, waits for deliveries, closes the listener. */
  close(): Promise<void>;
}

/** The agent's version, from the package it ships in. */
export function readAgentVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

export async function startOperations(options: {
  runtime: Runtime;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** Registers secret values so every output path redacts them. */
  addSecrets: (values: readonly string[]) => void;
}): Promise<Operations> {
  const { runtime, logger } = options;
  const secrets = resolveOpsSecrets(runtime.policy, options.env);
  options.addSecrets(secrets.values);
  const unsubscribes: (() => void)[] = [];

  let server: MetricsServer | null = null;
  if (runtime.policy.metrics.enabled) {
    const exporter = createMetricsExporter({
      version: readAgentVersion(),
      nodeId: runtime.deps.state.nodeId,
      perTorrent: () => runtime.policy.metrics.perTorrent,
    });
    unsubscribes.push(runtime.bus.subscribe((event) => exporter.observe(event)));
    const { address, port } = runtime.policy.metrics;
    server = await startMetricsServer({ exporter, address, port, authorization: secrets.metricsAuthorization });
    logger.info({ url: server.url, auth: secrets.metricsAuthorization !== null }, `metrics served at ${server.url}`);
  }

  let notifier: WebhookNotifier | null = null;
  if (secrets.webhooks.length > 0) {
    const notify = runtime.policy.notify;
    notifier = createWebhookNotifier({
      targets: secrets.webhooks,
      retries: notify.retries,
      groupWindowMs: notify.groupWindow,
      newId: randomUUID,
      warn: (message) => logger.warn({ event: 'webhook' }, message),
    });
    const watcher = createNotificationWatcher({ feedFailingAfterMs: notify.feedFailingAfter });
    const sink = notifier;
    unsubscribes.push(runtime.bus.subscribe((event) => sink.notify(watcher.observe(event))));
    const nodeId = runtime.deps.state.nodeId;
    sink.notify([{ event: 'agent.started', atMs: Date.now(), data: { nodeId, version: readAgentVersion() } }]);
    logger.info({ webhooks: secrets.webhooks.map((w) => w.name) }, `notifications to ${secrets.webhooks.length} webhook(s)`);
  }

  return {
    metricsUrl: server?.url ?? null,
    async close() {
      for (const unsubscribe of unsubscribes) unsubscribe();
      if (notifier !== null) {
        notifier.notify([{ event: 'agent.stopped', atMs: Date.now(), data: { nodeId: runtime.deps.state.nodeId } }]);
        await notifier.close();
      }
      await server?.close();
    },
  };
}
