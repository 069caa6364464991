/**
 * The secrets of the metrics listener and the webhooks, looked up by the variable names the
 * policy holds. Like the daemon's password: every problem is reported at once, naming the
 * policy key, never the variable's value. Pure (the environment comes in).
 */
import { SmartnodeError } from '../shared/index.js';
import type { Policy } from './schema.js';
import type { SecretEnv } from './load.js';
import type { NotifyEventName } from './ops-schema.js';

export interface WebhookTarget {
  name: string;
  url: string;
  headers: Record<string, string>;
  format: 'envelope' | 'text' | 'discord' | 'apprise';
  /** null: every event. */
  events: readonly NotifyEventName[] | null;
}

export interface OpsSecrets {
  /** What a scrape must send in its Authorization header; null when the listener is open. */
  metricsAuthorization: string | null;
  webhooks: WebhookTarget[];
  /** Every secret value, for redaction of anything that might print one. */
  values: string[];
}

export function resolveOpsSecrets(policy: Pick<Policy, 'metrics' | 'notify'>, env: SecretEnv): OpsSecrets {
  const problems: string[] = [];
  const fromEnv = (name: string, key: string): string | undefined => {
    const value = env[name];
    const what = `the environment variable named by ${key}`;
    if (value === undefined || value === '')
      problems.push(
        `${what} is ${value === undefined ? 'not set' : 'empty'} (${key} holds the NAME of a variable, never the secret itself)`,
      );
    else if (/[\r\n]/.test(value)) problems.push(`${what} contains a line break`);
    else return value;
    return undefined;
  };
  const values: string[] = [];
  const keep = (value: string | undefined): string | undefined => {
    if (value !== undefined) values.push(value);
    return value;
  };

  let metricsAuthorization: string | null = null;
  const { metrics } = policy;
  if (metrics.enabled && metrics.bearerTokenEnv !== undefined) {
    const token = keep(fromEnv(metrics.bearerTokenEnv, 'metrics.bearerTokenEnv'));
    if (token !== undefined) metricsAuthorization = `Bearer ${token}`;
  } else if (metrics.enabled && metrics.basicAuth !== undefined) {
    const password = keep(fromEnv(metrics.basicAuth.passwordEnv, 'metrics.basicAuth.passwordEnv'));
    if (password !== undefined) {
      const encoded = btoa(`${metrics.basicAuth.username}:${password}`);
      values.push(encoded);
      metricsAuthorization = `Basic ${encoded}`;
    }
  }

  const webhooks: WebhookTarget[] = [];
  for (const hook of policy.notify.webhooks) {
    const url = keep(fromEnv(hook.urlEnv, `the urlEnv of webhook ${hook.name}`));
    if (url !== undefined && !/^https?:\/\//.test(url)) problems.push(`the URL of webhook ${hook.name} is not an http(s) URL`);
    const headers: Record<string, string> = {};
    for (const [header, name] of Object.entries(hook.headersEnv)) {
      const value = keep(fromEnv(name, `headersEnv.${header} of webhook ${hook.name}`));
      if (value !== undefined) headers[header] = value;
    }
    if (url !== undefined) webhooks.push({ name: hook.name, url, headers, format: hook.format, events: hook.events ?? null });
  }

  if (problems.length > 0) {
    throw new SmartnodeError('SECRET_MISSING', problems.join('\n'), {
      hint: 'set the variables in the environment smartnode runs in (for systemd: an EnvironmentFile= readable by root only)',
    });
  }
  return { metricsAuthorization, webhooks, values };
}
