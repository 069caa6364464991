import { execFile, spawn } from 'node:child_process';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { CLAIM_DIR, processStartTicks } from './netns-claims.js';
import { createNetwork, leftoversOf, listLinks, listNamespaces, type TestNetwork } from './netns.js';

const run = promisify(execFile);

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
    network = await createNetwork({ hosts: 2, label: 'netns-test' });
    const setupMs = Date.now() - started;
    const { prefix, subnet } = network;
    expect(prefix).toMatch(/^snt[a-z0-9]{6}$/);
    const base = subnet.replace(/\.0\/24$/, '');
    expect(network.bridgeAddress).toBe(`${base}.1`);
    expect(network.hosts).toEqual([
      { name: `${prefix}-d0`, address: `${base}.11` },
      { name: `${prefix}-d1`, address: `${base}.12` },
    ]);
    expect(await leftoversOf(prefix)).toContain(`claim of ${prefix} in ${CLAIM_DIR}`);

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
    expect(await leftoversOf(prefix)).toEqual([]);
    expect(await isAlive(sleeperPid)).toBe(false);
    console.log(`netns: setup ${setupMs} ms, teardown ${teardownMs} ms`);
  });

  it('gives concurrent networks distinct names and subnets, each reachable only inside itself', async () => {
    const networks = await Promise.all([1, 2, 3, 4, 5].map(() => createNetwork({ hosts: 2, label: 'netns-test' })));
    try {
      expect(new Set(networks.map((n) => n.prefix)).size).toBe(5);
      expect(new Set(networks.map((n) => n.subnet)).size).toBe(5);
      const addresses = (await run('ip', ['-o', '-4', 'addr', 'show'])).stdout;
      for (const n of networks) expect(addresses.split(`inet ${n.bridgeAddress}/`).length - 1).toBe(1);
      // Every host reaches the root namespace through its own bridge, from its own address.
      const server = createServer((c) => c.end(`hello ${c.remoteAddress ?? ''}`));
      await new Promise<void>((resolve) => server.listen(7000, '0.0.0.0', resolve));
      try {
        for (const n of networks) {
          for (const h of n.hosts) {
            const { stdout } = await run('ip', ['netns', 'exec', h.name, process.execPath, '-e', CLIENT, n.bridgeAddress]);
            expect(stdout.trim()).toBe(`hello ${h.address}`);
          }
        }
      } finally {
        server.close();
      }
    } finally {
      await Promise.all(networks.map((n) => n.destroy()));
    }
    for (const n of networks) expect(await leftoversOf(n.prefix)).toEqual([]);
  });

  it("removes a dead run's network with its processes and unclaimed leftovers, and never touches a live run's", async () => {
    const ticks = processStartTicks(process.pid) ?? 0;
    const dead = { prefix: 'sntdead00', subnet: '10.231.250', pid: await exitedPid(), startTicks: ticks, label: 'dead' };
    const live = { prefix: 'sntlive00', subnet: '10.231.251', pid: process.pid, startTicks: ticks, label: 'live' };
    const claims = [dead, live].map((c) => join(CLAIM_DIR, `${c.subnet}.claim`));
    const pids: number[] = [];
    try {
      for (const [i, c] of [dead, live].entries()) {
        await writeFile(claims[i] ?? '', JSON.stringify(c));
        await run('ip', ['netns', 'add', `${c.prefix}-d0`]);
        await run('ip', ['link', 'add', `${c.prefix}br`, 'type', 'bridge']);
        const child = await run('ip', ['netns', 'exec', `${c.prefix}-d0`, 'sh', '-c', 'sleep 60 >/dev/null 2>&1 & echo $!']);
        pids.push(Number.parseInt(child.stdout.trim(), 10));
      }
      await run('ip', ['netns', 'add', 'sntorph00-d3']);

      network = await createNetwork({ hosts: 1, label: 'netns-test' });
      expect(await leftoversOf('sntdead00')).toEqual([]);
      expect(await leftoversOf('sntorph00')).toEqual([]);
      expect(await isAlive(pids[0] ?? 0)).toBe(false);
      expect(await leftoversOf('sntlive00')).toEqual([
        'namespace sntlive00-d0',
        'link sntlive00br',
        `pid ${pids[1] ?? 0}`,
        `claim of sntlive00 in ${CLAIM_DIR}`,
      ]);
    } finally {
      for (const pid of pids) if (await isAlive(pid)) process.kill(pid, 'SIGKILL');
      for (const pid of pids) await waitUntilGone(pid);
      for (const ns of ['sntdead00-d0', 'sntlive00-d0', 'sntorph00-d3']) {
        if ((await listNamespaces()).includes(ns)) await run('ip', ['netns', 'del', ns]);
      }
      for (const link of ['sntdead00br', 'sntlive00br']) if ((await listLinks()).includes(link)) await run('ip', ['link', 'del', link]);
      for (const claim of claims) await rm(claim, { force: true });
    }
  });

  it('rejects a host count it cannot name', async () => {
    await expect(createNetwork({ hosts: 0 })).rejects.toThrow(/hosts must be an integer 1-200/);
    await expect(createNetwork({ hosts: 201 })).rejects.toThrow(/hosts must be an integer 1-200/);
  });
});

/** The pid of a process that has exited (its pid is dead unless reused, and then its start time differs). */
async function exitedPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid ?? 0;
}

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
