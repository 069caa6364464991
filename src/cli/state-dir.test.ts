/**
 * Finding the running agent and keeping root out of another user's state dir, with real files,
 * a real Unix socket and the real CLI entry point (as root, which these tests need: they chown).
 */
import { chown, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { controlSocketPath } from '../control/index.js';
import { runDoctor } from '../setup/index.js';
import { defaultStateDirFor } from './init.js';
import { main } from './main.js';
import { findAgentStateDir } from './state-dir.js';

const NOBODY = 65534;

let dir = '';
let servers: Server[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartnode-statedir-'));
});
afterEach(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
  servers = [];
  await rm(dir, { recursive: true, force: true });
});

async function listenIn(stateDir: string): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(controlSocketPath(stateDir), resolve));
  servers.push(server);
}

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(c: Buffer, _e, done) {
      chunks.push(c.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('the state dir of the agent to attach to', () => {
  it("is the caller's own when its agent runs, else the service's when that one runs", async () => {
    const env = { XDG_STATE_HOME: join(dir, 'home-state') };
    const own = join(dir, 'home-state', 'smartnode');
    const service = join(dir, 'var-lib-smartnode');
    expect(await findAgentStateDir(undefined, undefined, env, service)).toBe(own); // nothing runs: the error names the own dir
    await listenIn(service);
    expect(await findAgentStateDir(undefined, undefined, env, service)).toBe(service);
    await listenIn(own);
    expect(await findAgentStateDir(undefined, undefined, env, service)).toBe(own);
    // An explicit flag or policy value is never second-guessed.
    expect(await findAgentStateDir(join(dir, 'x'), undefined, env, service)).toBe(join(dir, 'x'));
    expect(await findAgentStateDir(undefined, join(dir, 'y'), env, service)).toBe(join(dir, 'y'));
  });

  it('init names the service state dir in a system-wide policy, so status, doctor and plan find it', () => {
    expect(defaultStateDirFor('/etc/smartnode/policy.yaml')).toBe('/var/lib/smartnode');
    expect(defaultStateDirFor('/home/ann/policy.yaml')).toBeUndefined();
  });
});

describe('root and a state dir another user owns', () => {
  async function policyIn(stateDir: string): Promise<string> {
    const policy = join(dir, 'policy.yaml');
    await writeFile(
      policy,
      `version: 1
node: { stateDir: ${stateDir} }
daemon: { url: "http://127.0.0.1:9/transmission/rpc" }
storage: { downloadDir: ${join(dir, 'mirror')}, maxBytes: 1 GB }
feeds: [{ id: a, url: "http://127.0.0.1:9/a.csv" }]
`,
    );
    return policy;
  }

  it('plan as root refuses, names the user to run as, and leaves nothing behind', async () => {
    expect(process.getuid?.()).toBe(0); // the test chowns: it runs as root, as the machine's tests do
    const stateDir = join(dir, 'service-state');
    await mkdir(stateDir, { mode: 0o700 });
    await chown(stateDir, NOBODY, NOBODY);
    const out = sink();
    const err = sink();
    const code = await main(['node', 'smartnode', 'plan', '--policy', await policyIn(stateDir)], {
      stdout: out.stream,
      stderr: err.stream,
      env: {},
    });
    expect(code).toBe(1);
    expect(err.text()).toContain(`${stateDir} belongs to nobody: as root this command would leave files there that nobody cannot replace`);
    expect(err.text()).toContain('hint: run it as that user: sudo -u nobody smartnode');
    expect(await readdir(stateDir)).toEqual([]);
  });

  it('doctor fails the state dir when it holds a file its owner does not own, with the chown that fixes it', async () => {
    const stateDir = join(dir, 'service-state');
    await mkdir(join(stateDir, 'geo'), { recursive: true, mode: 0o700 });
    await chown(stateDir, NOBODY, NOBODY);
    await writeFile(join(stateDir, 'geo', 'countries.bin'), ''); // root's, inside a folder root made
    const results = await runDoctor({
      policyPath: await policyIn(stateDir),
      env: {},
      resolveStateDir: () => stateDir,
      userAgent: 'test',
      skip: new Set(['agent']),
    });
    const check = results.find((r) => r.id === 'state-dir');
    expect(check?.status).toBe('failed');
    expect(check?.detail).toContain(`${join(stateDir, 'geo')} in ${stateDir} not owned by the dir's owner (uid ${NOBODY})`);
    expect(check?.fix).toContain(`sudo chown -R --reference=${stateDir} ${stateDir}`);
    expect((await stat(join(stateDir, 'geo'))).uid).toBe(0);
  });
});
