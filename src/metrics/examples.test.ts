/**
 * The shipped Prometheus config, rules and Grafana dashboard are checked by Prometheus' own
 * promtool (Debian's package): the config and rules as they are, and every dashboard query as a
 * recording rule, so a typo in PromQL fails here rather than on an operator's screen.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS } from './catalog.js';

const run = promisify(execFile);
const ROOT = new URL('../..', import.meta.url).pathname;
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartnode-promtool-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function promtool(...args: string[]): Promise<string> {
  try {
    const { stdout, stderr } = await run('promtool', args, { cwd: dir });
    return stdout + stderr;
  } catch (error) {
    const e = error as { code?: string; stdout?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('promtool is missing: run scripts/setup.mjs as root (Debian package prometheus)');
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

const knownNames = new Set<string>(Object.values(METRICS).map(([name]) => name));
/** smartnode_ names a query uses that the exporter does not export (histogram parts aside). */
function unknownNames(expr: string): string[] {
  return (expr.match(/smartnode_[a-z_]+/g) ?? []).filter((n) => !knownNames.has(n.replace(/_(bucket|sum|count)$/, '')));
}

describe('examples for operators', () => {
  it('prometheus.yml and smartnode-rules.yml pass promtool', async () => {
    const config = (await readFile(`${ROOT}examples/prometheus.yml`, 'utf8')).replaceAll(
      '/etc/prometheus/smartnode.token',
      join(dir, 'token'),
    );
    await writeFile(join(dir, 'token'), 'x');
    await writeFile(join(dir, 'prometheus.yml'), config);
    const rules = await readFile(`${ROOT}examples/smartnode-rules.yml`, 'utf8');
    await writeFile(join(dir, 'smartnode-rules.yml'), rules);
    expect(await promtool('check', 'config', 'prometheus.yml')).toContain('SUCCESS');
    expect(unknownNames(rules)).toEqual([]);
  });

  it("every query of the Grafana dashboard is valid PromQL over the exporter's names", async () => {
    const dashboard = JSON.parse(await readFile(`${ROOT}examples/grafana-dashboard.json`, 'utf8')) as {
      panels: { targets: { expr: string }[] }[];
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(5);
    const rules = [
      'groups:',
      '  - name: dashboard',
      '    rules:',
      ...exprs.flatMap((expr, i) => [`      - record: dashboard_query_${i}`, `        expr: ${JSON.stringify(expr)}`]),
    ];
    await writeFile(join(dir, 'dashboard-rules.yml'), `${rules.join('\n')}\n`);
    expect(await promtool('check', 'rules', 'dashboard-rules.yml')).toContain(`SUCCESS: ${exprs.length} rules found`);
    expect(exprs.flatMap(unknownNames)).toEqual([]);
  });
});
