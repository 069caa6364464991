/**
 * The agent's side of control: keeps the status model up to date from the event bus, turns
 * each tick's result into a `mirror` event, and carries out commands. Every command lands in
 * agent state (so it survives restarts and shows in `status`) and is announced as an event.
 */
import type { EventBus } from '../agent/index.js';
import type { AgentStateStore } from '../agent/index.js';
import type { TickResult } from '../agent/index.js';
import { SmartnodeError, parseInfoHash, type InfoHash } from '../shared/index.js';
import { buildMirrorView, DEFAULT_CANDIDATE_LIMIT } from '../status/index.js';
import type { ControlCommand } from './protocol.js';
import { initialStatus, reduceStatus, type StatusSnapshot } from '../status/index.js';

export interface AgentControlOptions {
  bus: EventBus;
  state: Pick<AgentStateStore, 'nodeId' | 'pins' | 'bans' | 'isPaused' | 'setPaused' | 'setPinned' | 'setBanned' | 'ownedRecord'> &
    Partial<Pick<AgentStateStore, 'integrity'>>;
  clock: () => number;
  /** Wakes the loop for a tick now; false when it is not waiting (a tick is running). */
  tickNow: () => boolean;
  dryRun?: boolean;
  candidateLimit?: number;
  /**
   * Confirms an eviction the donated limits hold back (more than maxEvictFraction at once);
   * false when none waits. Absent: the agent has no such guard.
   */
  confirmEviction?: () => boolean;
  /** The policy's seeder target (read at each tick): the mirror view then carries collection health. */
  targetSeeders?: () => number;
}

export interface AgentControl {
  snapshot(): StatusSnapshot;
  /** Give it each tick's result (the loop's onTick): emits the `mirror` event. */
  observeTick(result: TickResult): void;
  runCommand(command: ControlCommand): string;
  stop(): void;
}

export function createAgentControl(options: AgentControlOptions): AgentControl {
  const { bus, state, clock } = options;
  let status = initialStatus({
    nodeId: state.nodeId,
    nowMs: clock(),
    pins: state.pins(),
    bans: state.bans(),
    paused: state.isPaused(),
    dryRun: options.dryRun ?? false,
  });
  let appliedAdds = new Set<InfoHash>();
  let appliedRemoves = new Set<InfoHash>();
  const unsubscribe = bus.subscribe((event) => {
    if (event.type === 'tick-started') {
      appliedAdds = new Set();
      appliedRemoves = new Set();
    } else if (event.type === 'action' && !event.dryRun) {
      (event.kind === 'add' ? appliedAdds : appliedRemoves).add(event.infoHash);
    }
    status = reduceStatus(status, event);
  });

  const hashOf = (command: { infoHash: string }): InfoHash => {
    const hash = parseInfoHash(command.infoHash);
    if (hash === null) {
      throw new SmartnodeError('CONTROL_REFUSED', `not an info-hash: ${JSON.stringify(command.infoHash)}`, {
        hint: 'give the 40-hex-digit (or base32) info-hash',
      });
    }
    return hash;
  };

  return {
    snapshot: () => status,
    observeTick(result) {
      const view = buildMirrorView({
        result,
        appliedAdds,
        appliedRemoves,
        pins: state.pins(),
        candidateLimit: options.candidateLimit ?? DEFAULT_CANDIDATE_LIMIT,
        ...(state.integrity === undefined ? {} : { integrity: state.integrity() }),
        ...(options.targetSeeders === undefined ? {} : { targetSeeders: options.targetSeeders() }),
      });
      bus.emit({ type: 'mirror', atMs: clock(), view });
    },
    runCommand(command) {
      switch (command.kind) {
        case 'pause':
          state.setPaused(true);
          bus.emit({ type: 'paused', atMs: clock(), paused: true });
          return 'paused: no ticks until resumed (a tick under way finishes)';
        case 'resume':
          state.setPaused(false);
          bus.emit({ type: 'paused', atMs: clock(), paused: false });
          return 'resumed';
        case 'confirm-eviction': {
          if (options.confirmEviction === undefined || !options.confirmEviction()) {
            throw new SmartnodeError('CONTROL_REFUSED', 'no eviction is waiting for confirmation', {
              hint: 'a large eviction shows in the header when the limits hold one back',
            });
          }
          if (!state.isPaused()) options.tickNow();
          return 'eviction confirmed: the next tick applies it';
        }
        case 'tick-now':
          if (state.isPaused()) {
            throw new SmartnodeError('CONTROL_REFUSED', 'the agent is paused', {
              hint: 'resume it first (r in the dashboard, or the resume command)',
            });
          }
          return options.tickNow() ? 'tick started' : 'a tick is already running';
        case 'pin':
        case 'unpin': {
          const hash = hashOf(command);
          const pinned = command.kind === 'pin';
          state.setPinned(hash, pinned);
          bus.emit({ type: 'pin', atMs: clock(), infoHash: hash, pinned });
          return pinned ? `pinned ${hash}: never evicted while it is owned` : `unpinned ${hash}`;
        }
        case 'ban':
        case 'unban': {
          const hash = hashOf(command);
          const banned = command.kind === 'ban';
          if (banned && state.pins().has(hash)) {
            state.setPinned(hash, false);
            bus.emit({ type: 'pin', atMs: clock(), infoHash: hash, pinned: false });
          }
          state.setBanned(hash, banned);
          bus.emit({ type: 'ban', atMs: clock(), infoHash: hash, banned });
          if (!banned) return `unbanned ${hash}`;
          // An owned banned torrent goes at the next tick (the planner's BANNED reason): run it now.
          const owned = state.ownedRecord(hash) !== undefined;
          if (owned && !state.isPaused() && options.tickNow()) return `banned ${hash}: a tick runs now to remove it`;
          return owned ? `banned ${hash}: removed at the next tick` : `banned ${hash}: never mirrored`;
        }
      }
    },
    stop: () => unsubscribe(),
  };
}
