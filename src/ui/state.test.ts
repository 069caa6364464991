import { describe, expect, it } from 'vitest';
import { T0_MS, aCandidateView, aMirrorView, aStatus, anOwnedView, hashN } from '../status/testing.js';
import {
  initialDashboard,
  interpretKey,
  reduceDashboard,
  selectRows,
  selectedTorrent,
  type DashboardAction,
  type DashboardState,
} from './state.js';

const connected = (overrides: Partial<DashboardState> = {}): DashboardState => ({
  ...reduceDashboard(initialDashboard(T0_MS), { type: 'link', link: { kind: 'connected', status: aStatus() } }),
  ...overrides,
});
const run = (s: DashboardState, ...actions: DashboardAction[]): DashboardState => actions.reduce(reduceDashboard, s);
const key = (s: DashboardState, input: string, k = {}) => interpretKey(s, input, k);

describe('dashboard state', () => {
  it('is seeded by the snapshot and follows agent events through the status reducer', () => {
    const s = run(connected(), { type: 'agent-event', event: { type: 'paused', atMs: T0_MS, paused: true } });
    expect(s.status?.agent.state).toBe('paused');
    expect(run(initialDashboard(T0_MS), { type: 'agent-event', event: { type: 'paused', atMs: T0_MS, paused: true } }).status).toBeNull();
  });

  it('a lost link keeps the last status and says why; reconnecting replaces the status', () => {
    const lost = run(connected(), { type: 'link', link: { kind: 'lost', reason: 'the agent went away', retryInMs: 1000 } });
    expect(lost.link).toEqual({ kind: 'lost', reason: 'the agent went away', retryInMs: 1000 });
    expect(lost.status).not.toBeNull();
    expect(run(lost, { type: 'link', link: { kind: 'connecting' } }).link.kind).toBe('lost');
    const back = run(lost, { type: 'link', link: { kind: 'connected', status: aStatus({ nodeId: 'node-2' }) } });
    expect(back.link.kind).toBe('connected');
    expect(back.status?.nodeId).toBe('node-2');
  });

  it('keys switch views, move within bounds and open details of the row under the cursor', () => {
    let s = connected();
    const apply = (input: string, k = {}): void => {
      const outcome = key(s, input, k);
      if (outcome.kind === 'intent') s = reduceDashboard(s, { type: 'intent', intent: outcome.intent });
    };
    apply('', { tab: true });
    expect(s.view).toBe('candidates');
    apply('1');
    expect(s.view).toBe('mirror');
    apply('', { downArrow: true });
    apply('j');
    apply('j');
    apply('j');
    expect(s.cursor.mirror).toBe(2); // three owned rows: stops at the last
    apply('', { upArrow: true });
    expect(selectedTorrent(s)?.name).toBe('owned-dataset-1');
    apply('', { return: true });
    expect(s.detail).toBe(hashN(1));
    apply('', { escape: true });
    expect(s.detail).toBeNull();
    apply('4');
    expect(s.view).toBe('feeds');
    apply('', { leftArrow: true });
    expect(s.view).toBe('decisions');
  });

  it('space pauses or resumes by the agent state; t ticks now; q quits', () => {
    expect(key(connected(), ' ')).toMatchObject({ kind: 'command', command: { kind: 'pause' } });
    const paused = run(connected(), { type: 'agent-event', event: { type: 'paused', atMs: T0_MS, paused: true } });
    expect(key(paused, ' ')).toMatchObject({ kind: 'command', command: { kind: 'resume' } });
    expect(key(connected(), 't')).toMatchObject({ kind: 'command', command: { kind: 'tick-now' } });
    expect(key(connected(), 'q')).toEqual({ kind: 'quit' });
    expect(key(connected(), 'c', { ctrl: true })).toEqual({ kind: 'quit' });
  });

  it('y confirms a held eviction, and only while one is held', () => {
    expect(key(connected(), 'y')).toEqual({ kind: 'none' });
    const held = run(connected(), {
      type: 'agent-event',
      event: { type: 'eviction-held', atMs: T0_MS, removes: 4, removeBytes: 4e9, ownedBytes: 5e9, fraction: 0.8, maxEvictFraction: 0.25 },
    });
    expect(key(held, 'y')).toMatchObject({ kind: 'command', command: { kind: 'confirm-eviction' } });
  });

  it('y still confirms when later notices followed the held one, and the footer says it is held, not removed', () => {
    const heldEvent = {
      type: 'eviction-held',
      atMs: T0_MS + 10,
      removes: 1,
      removeBytes: 1e9,
      ownedBytes: 2e9,
      fraction: 0.5,
      maxEvictFraction: 0.25,
    } as const;
    const banned = run(connected(), { type: 'message', text: 'banned x: a tick runs now to remove it', isError: false, atMs: T0_MS });
    const held = run(
      banned,
      { type: 'agent-event', event: { type: 'tick-started', atMs: T0_MS + 5, tick: 2 } },
      { type: 'agent-event', event: heldEvent },
      { type: 'agent-event', event: { type: 'adds-deferred', atMs: T0_MS + 11, code: 'X', count: 1, bytes: 1 } },
      { type: 'agent-event', event: { type: 'limits-warning', atMs: T0_MS + 12, message: 'something else' } },
    );
    expect(held.status?.notices.at(-1)?.kind).not.toBe('eviction-held');
    expect(key(held, 'y')).toMatchObject({ kind: 'command', command: { kind: 'confirm-eviction' } });
    expect(held.message?.text).toMatch(/held until confirmed \(y on the dashboard\)/);
    expect(held.message?.isError).toBe(true);
    // A later tick that holds nothing releases it: y means nothing again.
    const released = run(held, {
      type: 'agent-event',
      event: { type: 'tick-finished', atMs: T0_MS + 2000, tick: 3, durationMs: 100, adds: 0, removes: 0, failed: 0, dryRun: false },
    });
    expect(key(released, 'y')).toEqual({ kind: 'none' });
  });

  it('u unbans the selected torrent once it is banned, and does nothing otherwise', () => {
    const s = run(connected(), { type: 'intent', intent: { kind: 'view', view: 'candidates' } });
    expect(key(s, 'u')).toEqual({ kind: 'none' });
    const hash = aCandidateView(0).infoHash;
    const banned = run(s, { type: 'agent-event', event: { type: 'ban', atMs: T0_MS, infoHash: hash, banned: true } });
    expect(key(banned, 'u')).toMatchObject({ kind: 'command', command: { kind: 'unban', infoHash: hash } });
  });

  it('p pins the selected torrent, and unpins it once pinned', () => {
    const s = connected();
    expect(key(s, 'p')).toMatchObject({ kind: 'command', command: { kind: 'pin', infoHash: hashN(0) } });
    const pinned = run(s, { type: 'agent-event', event: { type: 'pin', atMs: T0_MS, infoHash: hashN(0), pinned: true } });
    expect(key(pinned, 'p')).toMatchObject({ kind: 'command', command: { kind: 'unpin', infoHash: hashN(0) } });
  });

  it('b asks first; a second b bans; any other key disarms', () => {
    const s = run(connected(), { type: 'intent', intent: { kind: 'view', view: 'candidates' } });
    const first = key(s, 'b');
    expect(first).toMatchObject({ kind: 'intent', intent: { kind: 'ban-arm', infoHash: aCandidateView(0).infoHash } });
    if (first.kind !== 'intent') throw new Error('unreachable');
    const armed = run(s, { type: 'intent', intent: first.intent });
    expect(armed.message?.text).toMatch(/press b again/);
    expect(key(armed, 'b')).toMatchObject({ kind: 'command', command: { kind: 'ban', infoHash: aCandidateView(0).infoHash } });
    const disarmed = run(armed, { type: 'intent', intent: { kind: 'disarm' } });
    expect(key(disarmed, 'b').kind).toBe('intent');
  });

  it('the filter narrows rows by name while typing; Esc clears it', () => {
    const status = aStatus({
      mirror: aMirrorView(
        {},
        {
          owned: [
            anOwnedView(1, { name: 'ocean temps' }),
            anOwnedView(2, { name: 'bird songs' }),
            anOwnedView(3, { name: 'Ocean salinity' }),
          ],
        },
      ),
    });
    let s = connected({ status });
    for (const input of ['/', 'o', 'c', 'e']) {
      const outcome = key(s, input);
      if (outcome.kind !== 'intent') throw new Error(`${input} gave ${outcome.kind}`);
      s = reduceDashboard(s, { type: 'intent', intent: outcome.intent });
    }
    expect(s.isEditingFilter).toBe(true);
    expect(key(s, 'q')).toMatchObject({ kind: 'intent', intent: { kind: 'filter-input', text: 'q' } }); // typing, not quitting
    expect(
      selectRows(s)
        .rows.map((r) => (r as { name: string }).name)
        .sort(),
    ).toEqual(['Ocean salinity', 'ocean temps']);
    s = run(s, { type: 'intent', intent: { kind: 'filter-commit' } });
    expect(key(s, '', { escape: true })).toMatchObject({ kind: 'intent', intent: { kind: 'filter-cancel' } });
    s = run(s, { type: 'intent', intent: { kind: 'filter-cancel' } });
    expect(selectRows(s).rows).toHaveLength(3);
  });

  it('sorts owned torrents by the chosen column', () => {
    const owned = [
      anOwnedView(1, { name: 'b', sizeBytes: 5, score: 1 }),
      anOwnedView(2, { name: 'a', sizeBytes: 9, score: 3 }),
      anOwnedView(3, { name: 'c', sizeBytes: 7, score: 2 }),
    ];
    const s = connected({ status: aStatus({ mirror: aMirrorView({}, { owned }) }) });
    const names = (st: DashboardState): string[] => selectRows(st).rows.map((r) => (r as { name: string }).name);
    expect(names(s)).toEqual(['a', 'c', 'b']);
    const byName = run(s, { type: 'intent', intent: { kind: 'sort-next' } });
    expect(byName.sort).toBe('name');
    expect(names(byName)).toEqual(['a', 'b', 'c']);
    expect(names(run(byName, { type: 'intent', intent: { kind: 'sort-next' } }))).toEqual(['a', 'c', 'b']); // size
  });

  it('decisions are shown newest first', () => {
    let s = connected({ view: 'decisions' });
    for (let i = 0; i < 3; i++) {
      s = run(s, {
        type: 'agent-event',
        event: {
          type: 'action',
          atMs: T0_MS + i,
          kind: 'add',
          infoHash: hashN(i),
          name: `t${i}`,
          sizeBytes: 1,
          reason: { code: 'NEEDED', text: 'x' },
          dryRun: false,
        },
      });
    }
    expect(selectRows(s).rows.map((r) => (r as { name: string }).name)).toEqual(['t2', 't1', 't0']);
  });
});
