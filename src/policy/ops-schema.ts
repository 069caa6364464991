/**
 * Policy sections for operators who watch many servers: the Prometheus `/metrics` listener and
 * webhook notifications. Secrets (tokens, webhook URLs, header values) are named by environment
 * variable, never written in the file. Built with the schema's unit fields, like the other
 * section builders.
 */
import { z } from 'zod';

interface OpsFields {
  duration: () => z.ZodType<number, string | number>;
  envName: () => z.ZodType<string, string>;
}

/**
 * Ports other software owns by default: Transmission's RPC and Prometheus' Pushgateway (9091),
 * Prometheus itself (9090). A metrics listener there would collide on the very machines that
 * run them.
 */
export const RESERVED_METRICS_PORTS: ReadonlyMap<number, string> = new Map([
  [9090, "Prometheus' own port"],
  [9091, "Transmission's RPC and Prometheus Pushgateway's port"],
]);

export const DEFAULT_METRICS_PORT = 9477;

/** What a webhook can be sent: the events an operator acts on. */
export const NOTIFY_EVENTS = [
  'agent.started',
  'agent.stopped',
  'torrent.corrupt',
  'torrent.vanished',
  'disk.reserve',
  'feed.failing',
  'daemon.unreachable',
  'removals.held',
] as const;
export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

export function buildMetricsSchema(u: OpsFields) {
  return z
    .strictObject({
      enabled: z.boolean().default(false).describe('Serve /metrics in the Prometheus text format. Off unless set.'),
      address: z
        .string()
        .min(1)
        .default('127.0.0.1')
        .describe('Address the listener binds. Loopback by default: put a reverse proxy or a token in front before opening it.'),
      port: z
        .number()
        .int()
        .min(1)
        .max(65_535)
        .default(DEFAULT_METRICS_PORT)
        .refine((port) => !RESERVED_METRICS_PORTS.has(port), {
          error: (iss) =>
            `port ${String(iss.input)} is ${RESERVED_METRICS_PORTS.get(Number(iss.input)) ?? 'taken'}: choose another, e.g. ${DEFAULT_METRICS_PORT}`,
        })
        .describe(`TCP port of the listener (default ${DEFAULT_METRICS_PORT}; never 9090 or 9091).`),
      bearerTokenEnv: u
        .envName()
        .optional()
        .describe('Name of the environment variable holding a bearer token; scrapes without it get 401.'),
      basicAuth: z
        .strictObject({
          username: z.string().min(1).describe('User name Prometheus sends (basic_auth.username).'),
          passwordEnv: u.envName().describe('Name of the environment variable holding the password.'),
        })
        .optional()
        .describe('HTTP basic authentication instead of a bearer token.'),
      perTorrent: z
        .strictObject({
          enabled: z.boolean().default(false).describe('Also export per-torrent series, labelled by info hash (never by name).'),
          max: z
            .number()
            .int()
            .min(1)
            .max(10_000)
            .default(100)
            .describe('At most this many torrents get series: those with the fewest seeders first.'),
        })
        .prefault({})
        .describe('Per-torrent series: off by default, since they grow with the mirror.'),
    })
    .refine((m) => m.bearerTokenEnv === undefined || m.basicAuth === undefined, {
      message: 'bearerTokenEnv and basicAuth are exclusive: keep one',
      path: ['basicAuth'],
    })
    .describe('The Prometheus endpoint: series about the mirror, the feeds, the trackers and the process.');
}

export function buildNotifySchema(u: OpsFields) {
  const webhook = z
    .strictObject({
      name: z
        .string()
        .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a name of 1-64 letters, digits, ".", "_" or "-"')
        .describe('What logs call this webhook (its URL never appears in them).'),
      urlEnv: u.envName().describe('Name of the environment variable holding the webhook URL (it often carries a token).'),
      headersEnv: z
        .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'expected an HTTP header name'), u.envName())
        .default({})
        .describe('Extra headers: header name -> name of the environment variable holding its value.'),
      format: z
        .enum(['envelope', 'text', 'discord', 'apprise'])
        .default('envelope')
        .describe(
          'Body: envelope (JSON {event, id, timestamp, version, data}); text (one line, for ntfy); ' +
            'discord ({content}); apprise ({title, body}, for an Apprise API /notify URL).',
        ),
      events: z
        .array(z.enum(NOTIFY_EVENTS))
        .optional()
        .describe(`Events to send (default: all): ${NOTIFY_EVENTS.join(', ')}.`),
    })
    .describe('One webhook: JSON POSTed to a URL.');
  return z
    .strictObject({
      webhooks: z.array(webhook).default([]).describe('Where notifications go. Empty: none are sent.'),
      feedFailingAfter: u
        .duration()
        .prefault('6h')
        .describe('A feed failing this long without a good fetch is notified (once until it recovers).'),
      groupWindow: u
        .duration()
        .prefault('30s')
        .describe('Torrent events of one kind within this window are sent as one notification listing them.'),
      retries: z.number().int().min(0).max(20).default(5).describe('Retries after a 5xx, 429 or network error, with doubling backoff.'),
    })
    .describe('Webhook notifications for events an operator acts on.');
}
