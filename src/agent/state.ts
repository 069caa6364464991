/**
 * Agent state: what the agent owns, plus the owner's pins and bans and the paused flag.
 * Stored with `conf` (atomic writes) in the state directory. Ownership is a small intent log:
 * a record is written BEFORE each daemon call that changes ownership, so a crash between any
 * two steps leaves enough to converge on restart (see reconcileOwnership in ownership.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, statSync } from 'node:fs';
import Conf from 'conf';
import { z } from 'zod';
import { integrityRecordSchema, type IntegrityRecord } from '../integrity/record.js';
import { publishedRecordSchema, type PublishedRecord } from '../publish/record.js';
import { SmartnodeError, parseInfoHash, type InfoHash } from '../shared/index.js';

const infoHashSchema = z.string().transform((raw, ctx) => {
  const hash = parseInfoHash(raw);
  if (hash === null) {
    ctx.addIssue({ code: 'custom', message: `not an info-hash: ${raw}` });
    return z.NEVER;
  }
  return hash;
});

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
}

export function openAgentState(stateDir: string): AgentStateStore {
  let conf: Conf<AgentStateData>;
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    conf = new Conf<AgentStateData>({
      cwd: stateDir,
      configName: 'state',
      accessPropertiesByDotNotation: false,
      configFileMode: 0o600,
      defaults: { version: 1, nodeId: randomUUID(), owned: {}, pins: [], bans: [], paused: false, integrity: {}, published: {} },
    });
  } catch (error) {
    throw new SmartnodeError('STATE_IO', `cannot open agent state in ${stateDir}: ${messageOf(error)}`, {
      hint: 'check that the state directory is writable by this user and that state.json is valid JSON (restore it from a backup rather than deleting it: it records which torrents smartnode owns)',
      cause: error,
    });
  }

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
  };
  const nodeId = read().nodeId;

  return {
    path: conf.path,
    nodeId,
    owned: () => Object.values(read().owned),
    ownedRecord: (hash) => read().owned[hash],
    putOwned: (record) => write((d) => { d.owned[record.infoHash] = record; }),
    deleteOwned: (hash) => write((d) => { delete d.owned[hash]; }),
    pins: () => new Set(read().pins),
    bans: () => new Set(read().bans),
    setPinned: (hash, pinned) => write((d) => { d.pins = toggle(d.pins, hash, pinned); }),
    setBanned: (hash, banned) => write((d) => { d.bans = toggle(d.bans, hash, banned); }),
    isPaused: () => read().paused,
    setPaused: (paused) => write((d) => { d.paused = paused; }),
    integrity: () => new Map(Object.entries(read().integrity) as [InfoHash, IntegrityRecord][]),
    putIntegrity: (records, forget = []) => write((d) => {
      for (const [hash, record] of records) d.integrity[hash] = record;
      for (const hash of forget) delete d.integrity[hash];
    }),
    published: () => Object.values(read().published),
    putPublished: (record) => write((d) => { d.published[record.infoHash] = record; }),
    deletePublished: (hash) => write((d) => { delete d.published[hash]; }),
  };
}

function toggle(list: InfoHash[], hash: InfoHash, present: boolean): InfoHash[] {
  const rest = list.filter((h) => h !== hash);
  return present ? [...rest, hash] : rest;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
