import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { toInfoHash } from '../shared/index.js';
import { openAgentState, type OwnedRecord } from './state.js';

const record = (n: number): OwnedRecord => ({
  infoHash: toInfoHash(n.toString(16).padStart(40, '0')), name: `set-${n}`, sizeBytes: 1000, feedIds: ['f'],
  phase: 'owned', intentAtMs: 1, downloadDir: `/srv/m/${n}`,
});

describe('agent state', () => {
  let dir = '';
  afterEach(async () => { if (dir !== '') await rm(dir, { recursive: true, force: true }); });

  it('sees what another handle (another process) wrote to the same file', async () => {
    dir = await mkdtemp(join(tmpdir(), 'smartnode-state-'));
    const agent = openAgentState(dir);
    agent.putOwned(record(1));
    expect(agent.owned().map((r) => r.name)).toEqual(['set-1']);
    const other = openAgentState(dir);
    other.putOwned(record(2));
    other.setPaused(true);
    expect(agent.owned().map((r) => r.name).sort()).toEqual(['set-1', 'set-2']);
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
});
