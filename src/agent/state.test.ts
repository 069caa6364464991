import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toInfoHash } from '../shared/index.js';
import { STATE_BACKUP_NAME, openAgentState, type OwnedRecord } from './state.js';
import { createEventBus, type AgentEvent } from './events.js';

const record = (n: number): OwnedRecord => ({
  infoHash: toInfoHash(n.toString(16).padStart(40, '0')),
  name: `set-${n}`,
  sizeBytes: 1000,
  feedIds: ['f'],
  phase: 'owned',
  intentAtMs: 1,
  downloadDir: `/srv/m/${n}`,
});

describe('agent state', () => {
  let dir = '';
  afterEach(async () => {
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('sees what another handle (another process) wrote to the same file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-state-'));
    const agent = openAgentState(dir);
    agent.putOwned(record(1));
    expect(agent.owned().map((r) => r.name)).toEqual(['set-1']);
    const other = openAgentState(dir);
    other.putOwned(record(2));
    other.setPaused(true);
    expect(
      agent
        .owned()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['set-1', 'set-2']);
    expect(agent.isPaused()).toBe(true);
    expect(other.nodeId).toBe(agent.nodeId);
  });

  it('never lets a caller change what it read by mutating it', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-state-'));
    const state = openAgentState(dir);
    state.putOwned(record(1));
    const before = state.ownedRecord(record(1).infoHash);
    state.putOwned({ ...record(1), phase: 'removing' });
    expect(before?.phase).toBe('owned');
    expect(state.ownedRecord(record(1).infoHash)?.phase).toBe('removing');
    expect(openAgentState(dir).ownedRecord(record(1).infoHash)?.phase).toBe('removing');
  });

  it('restores an emptied or deleted state.json from its backup: ownership, pins, bans and node id survive, and says so', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-state-'));
    const first = openAgentState(dir);
    expect(first.isFresh).toBe(true);
    first.putOwned(record(1));
    first.setPinned(record(1).infoHash, true);
    first.setBanned(record(2).infoHash, true);
    for (const damage of [
      () => writeFile(join(dir, 'state.json'), ''),
      () => rm(join(dir, 'state.json')),
      () => writeFile(join(dir, 'state.json'), '{"version":1,"owned":'),
    ]) {
      await damage();
      const again = openAgentState(dir);
      expect(again.nodeId).toBe(first.nodeId);
      expect(again.isFresh).toBe(false);
      expect(again.owned().map((r) => r.name)).toEqual(['set-1']);
      expect([...again.pins()]).toEqual([record(1).infoHash]);
      expect([...again.bans()]).toEqual([record(2).infoHash]);
      expect(again.openNotices).toHaveLength(1);
      expect(again.openNotices[0]).toMatch(
        /restored the last good state from .*state\.json\.bak \(1 owned torrent\(s\), 1 pin\(s\), 1 ban\(s\), node id kept\)/,
      );
    }
  });

  it('with no backup: an emptied state starts fresh loudly, an unreadable one stops the agent and is kept', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-state-'));
    await writeFile(join(dir, 'state.json'), '');
    const fresh = openAgentState(dir);
    expect(fresh.isFresh).toBe(true);
    expect(fresh.openNotices[0]).toMatch(/is empty and there is no backup: starting with a new node id; pins and bans are lost/);

    await rm(join(dir, STATE_BACKUP_NAME));
    await writeFile(join(dir, 'state.json'), 'not json');
    expect(() => openAgentState(dir)).toThrow(/is invalid \(not JSON\) and there is no usable backup/);
    expect((await stat(join(dir, 'state.json'))).size).toBe('not json'.length);
  });

  it('offers the owned records of the backup while a valid state.json owns nothing, and only then', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-state-'));
    const first = openAgentState(dir);
    first.putOwned(record(1));
    expect(first.backupOwned()).toEqual([]);
    // A crash leaves state.json valid but owning nothing; the backup still owns one.
    const data = JSON.parse(await readFile(join(dir, 'state.json'), 'utf8')) as Record<string, unknown>;
    await writeFile(join(dir, 'state.json'), JSON.stringify({ ...data, owned: {} }));
    const reopened = openAgentState(dir);
    expect(reopened.owned()).toEqual([]);
    expect(reopened.backupOwned()).toEqual([record(1)]);
    reopened.putOwned(record(2));
    expect(reopened.backupOwned()).toEqual([]);
  });

  it('tightens an existing state dir to its owner only', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-state-'));
    const stateDir = join(dir, 'state');
    await mkdir(stateDir, { mode: 0o755 });
    await chmod(stateDir, 0o755);
    openAgentState(stateDir);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
  });
});

describe('the event bus', () => {
  it('keeps what was emitted before anyone listened for the first subscriber, then delivers live', () => {
    const bus = createEventBus();
    bus.emit({ type: 'state-warning', atMs: 1, message: 'early' });
    const seen: AgentEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    bus.emit({ type: 'state-warning', atMs: 2, message: 'live' });
    const second: AgentEvent[] = [];
    bus.subscribe((e) => second.push(e));
    expect(seen.map((e) => (e.type === 'state-warning' ? e.message : ''))).toEqual(['early', 'live']);
    expect(second).toEqual([]);
  });
});
