import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AgentEvent } from '../agent/index.js';
import { buildRuntime } from './runtime.js';

describe('the runtime warns at start, and the warnings reach the first listener', () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('names a password file others can read, and a state restored from its backup, without the secret', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-runtime-'));
    const pw = join(dir, 'pw');
    await writeFile(pw, 'sesame-7781\n');
    await chmod(pw, 0o644);
    const policy = join(dir, 'policy.yaml');
    await writeFile(
      policy,
      `version: 1
daemon: { url: "http://127.0.0.1:9/transmission/rpc", username: u, passwordFile: ${pw} }
storage: { downloadDir: ${join(dir, 'mirror')}, maxBytes: 1 GB }
feeds: [{ id: a, url: "http://127.0.0.1:9/a.csv" }]
`,
    );
    const stateDir = join(dir, 'state');
    (await buildRuntime({ policyPath: policy, stateDir, env: {} })).deps.state.setPaused(false);
    await writeFile(join(stateDir, 'state.json'), '');

    const runtime = await buildRuntime({ policyPath: policy, stateDir, env: {} });
    const seen: AgentEvent[] = [];
    runtime.bus.subscribe((e) => seen.push(e));
    const warnings = seen.flatMap((e) => (e.type === 'state-warning' ? [e.message] : []));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/restored the last good state/);
    expect(warnings[1]).toBe(`password file ${pw} can be read by others (mode 644): chmod 600 it`);
    expect(warnings.join('\n')).not.toContain('sesame');
  });
});
