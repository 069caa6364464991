/**
 * The control socket, for real: a Unix socket in a temporary state directory, the agent's real
 * state store and event bus, and the client the CLI and dashboard use.
 */
import { chown, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEventBus, initialCarriedState, initialDecideMemory, observationOf, planTick, type AgentEvent } from '../agent/index.js';
import type { AgentConfig, NodeView, TickResult } from '../agent/index.js';
import { formatStatusText } from '../status/index.js';
import { openAgentState, type AgentStateStore } from '../agent/index.js';
import { attachToAgent, type LinkEvent } from './attach.js';
import { connectControl, readAgentStatus, sendAgentCommand } from './client.js';
import { startControlEndpoint, type ControlEndpoint } from './endpoint.js';
import { controlSocketPath } from './socket-file.js';
import { hashN } from '../status/testing.js';

async function until<T>(what: string, check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('control socket', () => {
  let dir: string;
  let state: AgentStateStore;
  let endpoint: ControlEndpoint | undefined;
  const bus = createEventBus();
  let ticks = 0;
  const start = async (): Promise<ControlEndpoint> => {
    endpoint = await startControlEndpoint({
      stateDir: dir,
      bus,
      state,
      clock: () => Date.now(),
      tickNow: () => {
        ticks++;
        return true;
      },
    });
    return endpoint;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sn-ctl-'));
    state = openAgentState(dir);
    ticks = 0;
  });
  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  it('listens on a socket only its owner can use (mode 0600) and removes it on close', async () => {
    const ep = await start();
    const info = await stat(ep.server.socketPath);
    expect(info.isSocket()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
    expect(info.uid).toBe(process.getuid?.());
    await ep.close();
    endpoint = undefined;
    await expect(stat(controlSocketPath(dir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('answers a status snapshot and carries out commands that land in agent state', async () => {
    await start();
    const before = await readAgentStatus(controlSocketPath(dir));
    expect(before.nodeId).toBe(state.nodeId);
    expect(before.paused).toBe(false);

    expect(await sendAgentCommand(controlSocketPath(dir), { kind: 'pin', infoHash: hashN(7) })).toMatch(/^pinned/);
    expect(await sendAgentCommand(controlSocketPath(dir), { kind: 'pause' })).toMatch(/^paused/);
    expect(state.pins().has(hashN(7))).toBe(true);
    expect(state.isPaused()).toBe(true);
    // It survives a restart: a fresh store reads the same file.
    expect(openAgentState(dir).pins().has(hashN(7))).toBe(true);

    const after = await readAgentStatus(controlSocketPath(dir));
    expect(after.pins).toEqual([hashN(7)]);
    expect(after.agent.state).toBe('paused');

    await expect(sendAgentCommand(controlSocketPath(dir), { kind: 'tick-now' })).rejects.toMatchObject({
      code: 'CONTROL_REFUSED',
      message: 'the agent is paused',
    });
    expect(ticks).toBe(0);
    await sendAgentCommand(controlSocketPath(dir), { kind: 'resume' });
    expect(await sendAgentCommand(controlSocketPath(dir), { kind: 'tick-now' })).toBe('tick started');
    expect(ticks).toBe(1);

    await expect(sendAgentCommand(controlSocketPath(dir), { kind: 'ban', infoHash: 'nope' })).rejects.toMatchObject({
      code: 'CONTROL_REFUSED',
    });
    // A ban unpins.
    await sendAgentCommand(controlSocketPath(dir), { kind: 'ban', infoHash: hashN(7) });
    expect(state.pins().has(hashN(7))).toBe(false);
    expect(state.bans().has(hashN(7))).toBe(true);
  });

  it("shows each owned torrent's integrity record from agent state in `status`, through the socket", async () => {
    const ep = await start();
    const NOW = Date.UTC(2026, 5, 1);
    const DAY = 86_400_000;
    const item = (n: number): NodeView['feeds'][number]['items'][number] => ({
      infoHash: hashN(n),
      name: `set-${n}`,
      sizeBytes: 1000,
      torrentUrl: null,
      magnetUri: null,
      trackers: [],
      counts: null,
      publishedAtMs: null,
    });
    const obs = observationOf({
      nodeId: state.nodeId,
      nowMs: NOW,
      downloadDir: '/m',
      label: 'smartnode',
      feeds: [{ feedId: 'lab', items: [item(1), item(2)] }],
      held: [1, 2].map((n) => ({
        infoHash: hashN(n),
        name: `set-${n}`,
        sizeBytes: 1000,
        leftBytes: 0,
        addedAtMs: NOW - 9 * DAY,
        feedIds: ['lab'],
      })),
      diskFreeBytes: null,
      maxCountAgeMs: DAY,
    });
    const config: AgentConfig = {
      label: 'smartnode',
      downloadDir: '/m',
      maxCountAgeMs: DAY,
      trackerStatsIntervalMs: 60_000,
      maxTorrentProbesPerTick: 0,
      planPolicy: {
        maxBytes: 1e9,
        minFreeBytes: 0,
        feeds: [{ id: 'lab', maxBytes: null, maxTorrents: null }],
        scoring: { targetSeeders: 5, leecherWeight: 0.5, replaceMargin: 0.2, minSeedTimeMs: 0 },
        maxAddsPerTick: 0,
      },
    };
    const { plan } = planTick(initialDecideMemory(), obs, config, NOW);
    const result: TickResult = {
      plan: plan.plan,
      actions: plan.actions,
      tickPlan: plan,
      appliedAdds: 0,
      appliedRemoves: 0,
      failed: 0,
      torrents: [...obs.torrents],
      carried: initialCarriedState(),
    };
    // As the agent's apply writes them: one checked against the feed's digest, one still waiting.
    const base = { verifying: null, lastVerifyStart: null, repairing: false, corruptRefetches: 0, files: null, heldForCheck: false };
    state.putIntegrity(
      new Map([
        [
          hashN(1),
          {
            ...base,
            completedAtMs: NOW - 5 * DAY,
            lastVerifiedAtMs: NOW - 3 * DAY,
            digestCheck: null,
            last: { atMs: NOW - 3 * DAY, code: 'DIGEST_OK' as const, text: 'sha256 of content match the feed' },
          },
        ],
        [
          hashN(2),
          {
            ...base,
            completedAtMs: NOW - DAY,
            lastVerifiedAtMs: null,
            digestCheck: { failures: 0, retryAtMs: NOW },
            heldForCheck: true,
            last: null,
          },
        ],
      ]),
    );
    ep.control.observeTick(result);
    const status = await readAgentStatus(controlSocketPath(dir));
    const owned = new Map(status.mirror?.owned.map((o) => [o.infoHash, o.integrity]));
    expect(owned.get(hashN(1))).toEqual({
      lastVerifiedAtMs: NOW - 3 * DAY,
      verifying: false,
      repairing: false,
      awaitingDigest: false,
      last: { atMs: NOW - 3 * DAY, code: 'DIGEST_OK', text: 'sha256 of content match the feed' },
    });
    expect(owned.get(hashN(2))).toMatchObject({ lastVerifiedAtMs: null, awaitingDigest: true, last: null });
    const text = formatStatusText(status, { nowMs: NOW });
    expect(text).toMatch(/set-1 .*\n\s+integrity: last verified 3d ago; DIGEST_OK: sha256 of content match the feed/);
    expect(text).toMatch(/set-2 .*\n\s+integrity: never verified, stopped until its content digest is checked/);
  });

  it('confirms a held eviction through the guard, and refuses when none waits', async () => {
    let waiting = false;
    let confirmed = 0;
    endpoint = await startControlEndpoint({
      stateDir: dir,
      bus,
      state,
      clock: () => Date.now(),
      tickNow: () => {
        ticks++;
        return true;
      },
      confirmEviction: () => {
        if (!waiting) return false;
        confirmed++;
        return true;
      },
    });
    await expect(sendAgentCommand(controlSocketPath(dir), { kind: 'confirm-eviction' })).rejects.toMatchObject({
      code: 'CONTROL_REFUSED',
      message: 'no eviction is waiting for confirmation',
    });
    waiting = true;
    expect(await sendAgentCommand(controlSocketPath(dir), { kind: 'confirm-eviction' })).toMatch(/^eviction confirmed/);
    expect([confirmed, ticks]).toEqual([1, 1]);
  });

  it('streams agent events after the snapshot, in order', async () => {
    await start();
    const connection = await connectControl(controlSocketPath(dir));
    const events: AgentEvent[] = [];
    const snapshot = await connection.subscribe((e) => events.push(e));
    expect(snapshot.agent.state).toBe('starting');
    bus.emit({ type: 'tick-started', atMs: 1, tick: 1 });
    bus.emit({ type: 'tick-finished', atMs: 2, tick: 1, durationMs: 1, adds: 0, removes: 0, failed: 0, dryRun: false });
    await connection.command({ kind: 'pin', infoHash: hashN(1) });
    await until('three events', () => events.length >= 3);
    expect(events.map((e) => e.type)).toEqual(['tick-started', 'tick-finished', 'pin']);
    connection.close();
  });

  it('answers a malformed request with an error and keeps the connection', async () => {
    const ep = await start();
    const { createConnection } = await import('node:net');
    const socket = createConnection(ep.server.socketPath);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => {
      received += c;
    });
    socket.write('not json\n{"id":4,"op":"launch-missiles"}\n{"id":5,"op":"status"}\n');
    await until('three replies', () => received.split('\n').filter(Boolean).length >= 3);
    const replies = received
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { id: number; ok: boolean });
    expect(replies.map((r) => [r.id, r.ok])).toEqual([
      [-1, false],
      [4, false],
      [5, true],
    ]);
    socket.destroy();
  });

  it('refuses a socket owned by another user, both as client and as agent', async () => {
    const ep = await start();
    expect(process.getuid?.()).toBe(0); // chown to another user needs root (the test suite runs as root)
    await chown(ep.server.socketPath, 65534, 65534);
    await expect(readAgentStatus(ep.server.socketPath)).rejects.toMatchObject({
      code: 'CONTROL_REFUSED',
      message: expect.stringContaining('is owned by uid 65534, not by you'),
    });
    await ep.close();
    endpoint = undefined;
    // A socket file left by another user: the agent will not delete it or listen in its place.
    const { createServer } = await import('node:net');
    const squatter = createServer();
    await new Promise<void>((r) => squatter.listen(controlSocketPath(dir), r));
    try {
      await chown(controlSocketPath(dir), 65534, 65534);
      await expect(start()).rejects.toMatchObject({ code: 'CONTROL_REFUSED', message: expect.stringContaining('owned by uid 65534') });
      expect((await stat(controlSocketPath(dir))).uid).toBe(65534); // left alone
    } finally {
      await new Promise<void>((r) => squatter.close(() => r()));
    }
  });

  it('refuses a control socket path that is a regular file', async () => {
    await writeFile(controlSocketPath(dir), 'not a socket');
    await expect(start()).rejects.toMatchObject({ code: 'CONTROL_REFUSED', message: expect.stringContaining('is not a socket') });
    await expect(readAgentStatus(controlSocketPath(dir))).rejects.toMatchObject({ code: 'CONTROL_REFUSED' });
  });

  it('refuses to start a second agent on the same state directory, and replaces a stale socket', async () => {
    await start();
    await expect(startControlEndpoint({ stateDir: dir, bus, state, clock: Date.now, tickNow: () => true })).rejects.toMatchObject({
      code: 'CONTROL_REFUSED',
      message: expect.stringContaining('already running'),
    });
    await endpoint!.close();
    endpoint = undefined;
    // A socket left by a killed agent (bound, then its process gone): made here by a child process.
    const { spawnSync } = await import('node:child_process');
    const killed = spawnSync(process.execPath, [
      '-e',
      `process.umask(0o177); require('net').createServer().listen(${JSON.stringify(controlSocketPath(dir))}, ` +
        `() => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    expect(killed.signal).toBe('SIGKILL');
    expect((await stat(controlSocketPath(dir))).isSocket()).toBe(true);
    await expect(readAgentStatus(controlSocketPath(dir))).rejects.toMatchObject({ code: 'CONTROL_UNAVAILABLE' });
    await start();
    expect((await readAgentStatus(controlSocketPath(dir))).nodeId).toBe(state.nodeId);
  });

  it('the agent going away while attached: the client says so, then reconnects when it is back', async () => {
    await start();
    const links: LinkEvent[] = [];
    const events: AgentEvent[] = [];
    const attachment = attachToAgent({
      socketPath: controlSocketPath(dir),
      onLink: (l) => links.push(l),
      onEvent: (e) => events.push(e),
      retryMs: 100,
    });
    try {
      await until('connected', () => links.some((l) => l.kind === 'connected'));
      await endpoint!.close();
      endpoint = undefined;
      const lost = await until('lost', () => links.find((l) => l.kind === 'lost'));
      expect(lost).toMatchObject({ reason: expect.stringMatching(/went away|no smartnode agent is running/) });
      await expect(attachment.command({ kind: 'pause' })).rejects.toThrow(/not connected/);
      await start();
      await until('reconnected', () => links.filter((l) => l.kind === 'connected').length >= 2);
      expect(await attachment.command({ kind: 'pause' })).toMatch(/^paused/);
      await until('paused event', () => events.some((e) => e.type === 'paused'));
    } finally {
      attachment.close();
    }
  });
});
