/**
 * A real Prometheus server (Debian's package) for tests: on loopback, a free port, its own
 * config and TSDB in a temporary directory, scraping the given targets every second. Queries go
 * through its HTTP API (/api/v1/query), as a dashboard's would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findFreePort } from './ports.js';

export interface PrometheusTarget {
  /** host:port */
  address: string;
  instance: string;
}

export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  readonly url: string;
  /** An instant query; the samples of its vector result. */
  query(promql: string): Promise<PromSample[]>;
  /** Polls `promql` until `accept` holds for its samples, or fails after `timeoutMs` with the last answer. */
  waitFor(promql: string, accept: (samples: PromSample[]) => boolean, timeoutMs: number): Promise<PromSample[]>;
  readonly log: () => string;
  close(): Promise<void>;
}

export async function startPrometheus(options: {
  dir: string;
  jobName: string;
  targets: readonly PrometheusTarget[];
  /** Sent as Authorization: Bearer, read from a file as Prometheus does. */
  bearerToken?: string;
  binary?: string;
}): Promise<RunningPrometheus> {
  await mkdir(join(options.dir, 'data'), { recursive: true });
  const tokenFile = join(options.dir, 'token');
  if (options.bearerToken !== undefined) await writeFile(tokenFile, options.bearerToken, { mode: 0o600 });
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    'scrape_configs:',
    `  - job_name: ${options.jobName}`,
    ...(options.bearerToken === undefined ? [] : ['    authorization:', '      type: Bearer', `      credentials_file: ${tokenFile}`]),
    '    static_configs:',
    ...options.targets.flatMap((t) => [`      - targets: ['${t.address}']`, `        labels: { instance: '${t.instance}' }`]),
    '',
  ].join('\n');
  const configFile = join(options.dir, 'prometheus.yml');
  await writeFile(configFile, config);
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    options.binary ?? 'prometheus',
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(options.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const spawnError = new Promise<never>((_, reject) =>
    child.once('error', (error) =>
      reject(new Error(`prometheus could not start (${error.message}): run scripts/setup.mjs as root to install it`)),
    ),
  );

  const query = async (promql: string): Promise<PromSample[]> => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`prometheus query ${promql} failed: ${body.error ?? response.status}`);
    return (body.data?.result ?? []).map((r) => ({ metric: r.metric, value: Number(r.value[1]) }));
  };

  const ready = async (): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`${url}/-/ready`)).ok) return;
      } catch {
        // Not listening yet.
      }
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`prometheus did not become ready: ${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await Promise.race([ready(), spawnError]);

  return {
    url,
    query,
    async waitFor(promql, accept, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last: PromSample[] | string = [];
      for (;;) {
        try {
          last = await query(promql);
          if (accept(last)) return last;
        } catch (error) {
          last = error instanceof Error ? error.message : String(error);
        }
        if (Date.now() > deadline)
          throw new Error(`prometheus: ${promql} not as expected within ${timeoutMs} ms; last answer ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    log: () => output,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
