/**
 * Agent state: what the agent owns, plus the owner's pins and bans and the paused flag.
 * Stored with `conf` (atomic writes) in the state directory. Ownership is a small intent log:
 * a record is written BEFORE each daemon call that changes ownership, so a crash between any
 * two steps leaves enough to converge on restart (see reconcileOwnership in ownership.ts).
 */
import { randomUUID } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Conf from 'conf';
import { z } from 'zod';
import { integrityRecordSchema, type IntegrityRecord } from '../integrity/index.js';
import { publishedRecordSchema, type PublishedRecord } from '../publish/index.js';
import { SmartnodeError, type InfoHash } from '../shared/index.js';
import { decodeDecideMemory, encodeDecideMemory, infoHashSchema } from './decide-memory-codec.js';
import { initialDecideMemory, type DecideMemory } from './population.js';

const ownedRecordSchema = z.object({
  infoHash: infoHashSchema,
  name: z.string(),
  sizeBytes: z.number().nonnegative(),
  feedIds: z.array(z.string()),
  /** adding: the add was about to be sent; owned: confirmed; removing: removal under way. */
  phase: z.enum(['adding', 'owned', 'removing']),
  /** ms; when the add intent was recorded (a daemon torrent added before it is not ours). */
  intentAtMs: z.number(),
  /** The directory we passed as download-dir. Removal refuses anything outside ours. */
  downloadDir: z.string(),
  /**
   * ms; the latest the daemon that took the add can have started (agent clock), read just before
   * the add. A daemon whose earliest possible start lies past it is another process: a restart.
   */
  daemonStartLatestMs: z.number().optional(),
});

const stateSchema = z.object({
  version: z.literal(1),
  nodeId: z.string().min(8),
  owned: z.record(z.string(), ownedRecordSchema),
  pins: z.array(infoHashSchema),
  bans: z.array(infoHashSchema),
  paused: z.boolean(),
  /** Per owned (or banned-as-corrupt) torrent: last verified, checks under way, last finding. */
  integrity: z.record(z.string(), integrityRecordSchema).default({}),
  /** Datasets this node published: never owned, evicted, counted or deleted. */
  published: z.record(z.string(), publishedRecordSchema).default({}),
});

export type OwnedRecord = z.infer<typeof ownedRecordSchema>;
export type AgentStateData = z.infer<typeof stateSchema>;

export interface AgentStateStore {
  readonly path: string;
  readonly nodeId: string;
  /**
   * What opening found, for the log (the store has no logger): a state restored from its
   * backup, or a state that was lost with nothing to restore (a new node id, pins and bans
   * gone, ownership to be rebuilt from labels). Empty on an ordinary start.
   */
  readonly openNotices: readonly string[];
  /** True when this store started without any earlier state (first start, or lost). */
  readonly isFresh: boolean;
  owned(): OwnedRecord[];
  ownedRecord(hash: InfoHash): OwnedRecord | undefined;
  putOwned(record: OwnedRecord): void;
  deleteOwned(hash: InfoHash): void;
  pins(): Set<InfoHash>;
  bans(): Set<InfoHash>;
  setPinned(hash: InfoHash, pinned: boolean): void;
  setBanned(hash: InfoHash, banned: boolean): void;
  isPaused(): boolean;
  setPaused(paused: boolean): void;
  integrity(): Map<InfoHash, IntegrityRecord>;
  /** Replaces the integrity records of these torrents and drops those of `forget`, in one write. */
  putIntegrity(records: ReadonlyMap<InfoHash, IntegrityRecord>, forget?: readonly InfoHash[]): void;
  published(): PublishedRecord[];
  putPublished(record: PublishedRecord): void;
  deletePublished(hash: InfoHash): void;
  /**
   * What the decisions learnt (herd estimates, usual swarm levels, stall clocks, backoffs), in
   * its own file beside the state: written every tick, it never slows or risks ownership's.
   * A missing one is a fresh memory; a damaged or older one too, with `warning` saying so.
   */
  readDecideMemory(): { memory: DecideMemory; warning: string | null };
  writeDecideMemory(memory: DecideMemory): void;
}

export const DECIDE_MEMORY_NAME = 'decide-memory.json';

/** The last good state, rewritten after every successful write: what a lost state.json is restored from. */
export const STATE_BACKUP_NAME = 'state.json.bak';

export function openAgentState(stateDir: string): AgentStateStore {
  let conf: Conf<AgentStateData>;
  let opened: { notices: string[]; isFresh: boolean };
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    tightenDirMode(stateDir);
    opened = restoreIfLost(join(stateDir, 'state.json'), join(stateDir, STATE_BACKUP_NAME));
    conf = new Conf<AgentStateData>({
      cwd: stateDir,
      configName: 'state',
      accessPropertiesByDotNotation: false,
      configFileMode: 0o600,
      defaults: { version: 1, nodeId: randomUUID(), owned: {}, pins: [], bans: [], paused: false, integrity: {}, published: {} },
    });
  } catch (error) {
    if (error instanceof SmartnodeError) throw error;
    throw new SmartnodeError('STATE_IO', `cannot open agent state in ${stateDir}: ${messageOf(error)}`, {
      hint:
        'check that the state directory is writable by this user and that state.json is valid JSON ' +
        '(restore it from a backup rather than deleting it: it records which torrents smartnode owns)',
      cause: error,
    });
  }
  const backupPath = join(stateDir, STATE_BACKUP_NAME);
  const writeBackup = (): void => {
    // Best effort: a failed backup never fails the write it follows.
    try {
      copyFileSync(conf.path, `${backupPath}.tmp`);
      renameSync(`${backupPath}.tmp`, backupPath);
    } catch {
      // The next successful write tries again.
    }
  };

  // conf re-reads and re-validates the whole file on every access (~2.5 ms at 2,000 owned
  // torrents, many times a tick). Keep the parsed copy while the file is unchanged: another
  // process that rewrites it (a restore from backup) changes its mtime or size, and is re-read.
  let cached: { data: AgentStateData; mtimeMs: number; size: number } | null = null;
  const fileStamp = (): { mtimeMs: number; size: number } | undefined => statSync(conf.path, { throwIfNoEntry: false });
  const read = (): AgentStateData => {
    const stamp = fileStamp();
    if (cached !== null && stamp !== undefined && stamp.mtimeMs === cached.mtimeMs && stamp.size === cached.size) return cached.data;
    const parsed = stateSchema.safeParse(conf.store);
    if (!parsed.success) {
      throw new SmartnodeError('STATE_IO', `agent state ${conf.path} is invalid: ${parsed.error.issues[0]?.message ?? 'unknown'}`, {
        hint: 'restore state.json from a backup; do not delete it, it records which torrents smartnode owns',
      });
    }
    const after = fileStamp();
    cached = after === undefined ? null : { data: parsed.data, mtimeMs: after.mtimeMs, size: after.size };
    return parsed.data;
  };
  const write = (mutate: (data: AgentStateData) => void): void => {
    // Mutate a copy: readers may still hold the cached object.
    const data = structuredClone(read());
    mutate(data);
    try {
      conf.store = data;
    } catch (error) {
      cached = null;
      throw new SmartnodeError('STATE_IO', `cannot write agent state ${conf.path}: ${messageOf(error)}`, {
        hint: 'free disk space or fix permissions of the state directory',
        retryable: true,
        cause: error,
      });
    }
    const stamp = fileStamp();
    cached = stamp === undefined ? null : { data, mtimeMs: stamp.mtimeMs, size: stamp.size };
    writeBackup();
  };
  const decidePath = join(stateDir, DECIDE_MEMORY_NAME);
  let decideConf: Conf<Record<string, unknown>> | null = null;
  const nodeId = read().nodeId;
  // conf writes its defaults on first open: make sure a fresh state has a backup at once.
  if (opened.isFresh || statSync(backupPath, { throwIfNoEntry: false }) === undefined) writeBackup();

  return {
    path: conf.path,
    nodeId,
    openNotices: opened.notices,
    isFresh: opened.isFresh,
    owned: () => Object.values(read().owned),
    ownedRecord: (hash) => read().owned[hash],
    putOwned: (record) =>
      write((d) => {
        d.owned[record.infoHash] = record;
      }),
    deleteOwned: (hash) =>
      write((d) => {
        delete d.owned[hash];
      }),
    pins: () => new Set(read().pins),
    bans: () => new Set(read().bans),
    setPinned: (hash, pinned) =>
      write((d) => {
        d.pins = toggle(d.pins, hash, pinned);
      }),
    setBanned: (hash, banned) =>
      write((d) => {
        d.bans = toggle(d.bans, hash, banned);
      }),
    isPaused: () => read().paused,
    setPaused: (paused) =>
      write((d) => {
        d.paused = paused;
      }),
    integrity: () => new Map(Object.entries(read().integrity) as [InfoHash, IntegrityRecord][]),
    putIntegrity: (records, forget = []) =>
      write((d) => {
        for (const [hash, record] of records) d.integrity[hash] = record;
        for (const hash of forget) delete d.integrity[hash];
      }),
    published: () => Object.values(read().published),
    putPublished: (record) =>
      write((d) => {
        d.published[record.infoHash] = record;
      }),
    deletePublished: (hash) =>
      write((d) => {
        delete d.published[hash];
      }),
    readDecideMemory: () => readDecideMemoryFile(decidePath),
    writeDecideMemory: (memory) => {
      try {
        // conf writes atomically (temp file, then rename); created on the first write so a damaged file is first reported by a read.
        decideConf ??= new Conf<Record<string, unknown>>({
          cwd: stateDir,
          configName: 'decide-memory',
          accessPropertiesByDotNotation: false,
          configFileMode: 0o600,
          clearInvalidConfig: true,
        });
        decideConf.store = encodeDecideMemory(memory);
      } catch (error) {
        throw new SmartnodeError('STATE_IO', `cannot write the decisions' memory ${decidePath}: ${messageOf(error)}`, {
          hint: 'free disk space or fix permissions of the state directory',
          retryable: true,
          cause: error,
        });
      }
    },
  };
}

function readDecideMemoryFile(path: string): { memory: DecideMemory; warning: string | null } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { memory: initialDecideMemory(), warning: null };
    return { memory: initialDecideMemory(), warning: `cannot read the decisions' memory ${path}: ${messageOf(error)}; starting afresh` };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const decoded = json === undefined ? { memory: null, why: 'not JSON' } : decodeDecideMemory(json);
  if (decoded.memory !== null) return { memory: decoded.memory, warning: null };
  return {
    memory: initialDecideMemory(),
    warning: `the decisions' memory ${path} is unusable (${decoded.why}): herd estimates, stall clocks and backoffs start afresh`,
  };
}

/**
 * state.json missing, emptied or unreadable: put the last good state back from its backup, so
 * ownership, pins, bans and the node id survive. An unreadable state with no backup stops the
 * agent (nothing is overwritten); an emptied one with no backup starts fresh, loudly.
 */
function restoreIfLost(path: string, backupPath: string): { notices: string[]; isFresh: boolean } {
  const current = readState(path);
  if (current.kind === 'valid') return { notices: [], isFresh: false };
  const backup = readState(backupPath);
  const what = current.kind === 'missing' ? 'is missing' : current.kind === 'empty' ? 'is empty' : `is invalid (${current.why})`;
  if (backup.kind === 'valid') {
    copyFileSync(backupPath, `${path}.restore`);
    renameSync(`${path}.restore`, path);
    const owned = Object.keys(backup.data.owned).length;
    return {
      notices: [
        `agent state ${path} ${what}: restored the last good state from ${backupPath} (${owned} owned torrent(s), ` +
          `${backup.data.pins.length} pin(s), ${backup.data.bans.length} ban(s), node id kept)`,
      ],
      isFresh: false,
    };
  }
  if (current.kind === 'invalid') {
    throw new SmartnodeError('STATE_IO', `agent state ${path} ${what} and there is no usable backup (${backupPath})`, {
      hint: 'restore state.json from a backup; do not delete it, it records which torrents smartnode owns',
    });
  }
  if (current.kind === 'missing' && backup.kind === 'missing') return { notices: [], isFresh: true };
  // Nothing in it to keep: conf starts a new state in its place.
  if (current.kind === 'empty') rmSync(path, { force: true });
  return {
    notices: [
      `agent state ${path} ${what} and there is no backup: starting with a new node id; pins and bans are lost, and ownership will be ` +
        'rebuilt only from torrents labelled by smartnode inside its download ' +
        'directory (unlabelled ones it added stay in the daemon, untouched)',
    ],
    isFresh: true,
  };
}

type StateFile = { kind: 'valid'; data: AgentStateData } | { kind: 'missing' } | { kind: 'empty' } | { kind: 'invalid'; why: string };

function readState(path: string): StateFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    throw error;
  }
  if (text.trim() === '' || text.trim() === '{}') return { kind: 'empty' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'invalid', why: 'not JSON' };
  }
  const parsed = stateSchema.safeParse(json);
  return parsed.success ? { kind: 'valid', data: parsed.data } : { kind: 'invalid', why: parsed.error.issues[0]?.message ?? 'unknown' };
}

/** The state dir holds ownership and secrets-adjacent data: only its user may read it. */
function tightenDirMode(dir: string): void {
  const info = statSync(dir);
  const mine = typeof process.getuid !== 'function' || info.uid === process.getuid();
  if (mine && (info.mode & 0o077) !== 0) chmodSync(dir, info.mode & 0o700);
}

function toggle(list: InfoHash[], hash: InfoHash, present: boolean): InfoHash[] {
  const rest = list.filter((h) => h !== hash);
  return present ? [...rest, hash] : rest;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
