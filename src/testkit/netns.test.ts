import { execFile, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createNetwork, leftoversOf, listNamespaces, networkSlot, type TestNetwork } from './netns.js';

const run = promisify(execFile);
// Slots 200-209 belong to the testkit's own tests; 201 is this file's.
const SLOT = networkSlot(201);

// Answers each connection with the caller's address, so a test sees which side it came from.
const SERVER = `const s = require('node:net').createServer((c) => c.end('hello ' + c.remoteAddress));
s.listen(7000, process.argv[1], () => console.log('listening'));`;
const CLIENT = `const c = require('node:net').connect(7000, process.argv[1]);
c.setTimeout(3000, () => { console.error('timeout'); process.exit(2); });
c.on('data', (d) => process.stdout.write(d));`;

describe('createNetwork', () => {
  let network: TestNetwork | undefined;
  afterEach(async () => {
    await network?.destroy();
    network = undefined;
  });

  it('joins namespaces through the bridge with no IPv6 and no default route, then leaves nothing behind', async () => {
    const started = Date.now();
    network = await createNetwork({ ...SLOT, hosts: 2 });
    const setupMs = Date.now() - started;
    expect(network.bridgeAddress).toBe('10.231.201.1');
    expect(network.hosts).toEqual([
      { name: 'sn201-d0', address: '10.231.201.11' },
      { name: 'sn201-d1', address: '10.231.201.12' },
    ]);

    const [a, b] = network.hosts;
    if (a === undefined || b === undefined) throw new Error('expected two hosts');
    // Namespace to namespace over TCP (a server in b, a client in a), and root to namespace.
    const server = spawn('ip', ['netns', 'exec', b.name, process.execPath, '-e', SERVER, b.address], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.stdout.once('data', () => resolve());
        server.once('exit', (code) => reject(new Error(`test server exited (${String(code)})`)));
      });
      const fromA = await run('ip', ['netns', 'exec', a.name, process.execPath, '-e', CLIENT, b.address]);
      expect(fromA.stdout.trim()).toBe(`hello ${a.address}`);
      const fromRoot = await run(process.execPath, ['-e', CLIENT, b.address]);
      expect(fromRoot.stdout.trim()).toBe(`hello ${network.bridgeAddress}`);
    } finally {
      server.kill('SIGKILL');
    }

    const routes = (await run('ip', ['-n', a.name, 'route', 'show'])).stdout;
    expect(routes).not.toMatch(/default/);
    const v6 = (await run('ip', ['-n', a.name, '-6', 'addr', 'show', 'dev', 'eth0'])).stdout;
    expect(v6).not.toMatch(/inet6/);
    expect((await readFile(`/proc/sys/net/ipv6/conf/${network.bridgeName}/disable_ipv6`, 'utf8')).trim()).toBe('1');

    // A process inside a namespace is killed by destroy().
    const sleeper = await run('ip', ['netns', 'exec', a.name, 'sh', '-c', 'sleep 60 >/dev/null 2>&1 & echo $!']);
    const sleeperPid = Number.parseInt(sleeper.stdout.trim(), 10);
    expect(await isAlive(sleeperPid)).toBe(true);

    const stopping = Date.now();
    await network.destroy();
    const teardownMs = Date.now() - stopping;
    network = undefined;
    expect(await leftoversOf(SLOT.prefix)).toEqual([]);
    expect(await isAlive(sleeperPid)).toBe(false);
    console.log(`netns: setup ${setupMs} ms, teardown ${teardownMs} ms`);
  });

  it('removes stale namespaces and links of its prefix left by a killed run', async () => {
    await run('ip', ['netns', 'add', 'sn201-d7']);
    await run('ip', ['link', 'add', 'sn201br', 'type', 'bridge']);
    expect(await listNamespaces()).toContain('sn201-d7');

    network = await createNetwork({ ...SLOT, hosts: 1 });
    expect(await listNamespaces()).not.toContain('sn201-d7');
    expect(await listNamespaces()).toContain('sn201-d0');
  });

  it('refuses to clean a stale namespace that still has processes running inside', async () => {
    await run('ip', ['netns', 'add', 'sn201-d5']);
    const child = await run('ip', ['netns', 'exec', 'sn201-d5', 'sh', '-c', 'sleep 60 >/dev/null 2>&1 & echo $!']);
    const pid = Number.parseInt(child.stdout.trim(), 10);
    try {
      await expect(createNetwork({ ...SLOT, hosts: 1 })).rejects.toThrow(new RegExp(`sn201-d5 \\(pids ${pid}\\)`));
    } finally {
      process.kill(pid, 'SIGKILL');
      await waitUntilGone(pid);
      await run('ip', ['netns', 'del', 'sn201-d5']);
    }
    expect(await leftoversOf(SLOT.prefix)).toEqual([]);
  });

  it('rejects names that would collide or overflow interface names', async () => {
    await expect(createNetwork({ prefix: 'Bad-Prefix', subnetIndex: 201, hosts: 1 })).rejects.toThrow(/prefix/);
    await expect(createNetwork({ prefix: 'sn201', subnetIndex: 300, hosts: 1 })).rejects.toThrow(/subnetIndex/);
    expect(() => networkSlot(255)).toThrow(/0-254/);
  });
});

/** A killed orphan may linger as a zombie until init reaps it: that counts as dead. */
async function isAlive(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
}

async function waitUntilGone(pid: number): Promise<void> {
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    if (!(await isAlive(pid))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`pid ${pid} still alive 3000 ms after SIGKILL`);
}
