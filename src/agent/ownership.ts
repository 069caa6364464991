/**
 * Pure: decides which daemon torrents the agent owns, from its intent log (agent state) and
 * what the daemon holds now. Trusts nothing remembered about the daemon: every tick re-derives
 * ownership from the daemon's list. A torrent is ours only if
 *   - state says owned (or removing) and the daemon holds it, or
 *   - state says adding, the daemon holds it, the daemon added it no earlier than our intent,
 *     and one of two proofs holds: the daemon keeps it in the very per-torrent directory our
 *     add asked for (nobody else puts data in `<downloadDir>/<infohash>`), or the daemon has
 *     restarted since our intent and loaded the torrent at that start (Transmission 3.00
 *     reloads an add whose resume file was not yet written into its default directory,
 *     unlabelled). Anything else may be the owner's own copy of the same torrent, added
 *     around the time of our add (a `torrent-duplicate` answer we never saw): it is left
 *     alone, never labelled, moved, paused or removed, and the log says why; or
 *   - it carries our label AND lives inside our download directory (state lost: adopt).
 */
import type { DaemonTorrent } from '../daemon/index.js';
import type { InfoHash } from '../shared/index.js';
import type { OwnedRecord } from './state.js';

export type OwnershipOp =
  /** An `adding` record whose torrent is in the daemon: confirm it (and make sure it is labelled). */
  | { kind: 'confirm'; record: OwnedRecord; needsLabel: boolean }
  /** A record with nothing (or someone else's torrent) behind it: drop the record. */
  | { kind: 'forget'; infoHash: InfoHash; why: 'never-added' | 'not-ours' | 'unproven' | 'removed-outside' | 'removed'; where?: string }
  /** A labelled torrent in our directory that state does not know: take it back. */
  | { kind: 'adopt'; torrent: DaemonTorrent }
  /** A removal that was interrupted: remove again (it is still ours). */
  | { kind: 'finish-remove'; record: OwnedRecord }
  /** An owned torrent that lost its label: put it back. */
  | { kind: 'relabel'; infoHash: InfoHash }
  /**
   * An owned torrent the daemon now places outside our directory (3.00 reloads a torrent
   * whose resume file was not yet written, after a crash, into its default directory):
   * point it back at ours, moving no files.
   */
  | { kind: 'relocate'; infoHash: InfoHash; downloadDir: string };

export interface OwnershipView {
  /** Hashes owned after the ops are applied (finish-remove ones excluded). */
  owned: Set<InfoHash>;
  ops: OwnershipOp[];
}

/** Seconds of clock skew tolerated between our intent time and the daemon's addedDate. */
const ADDED_DATE_SLACK_SEC = 5;
/**
 * How long after its start a daemon may still be loading the torrents it had (3.00 answers RPC
 * before its reload is done; a daemon with thousands of torrents takes a while). A torrent added
 * later than this was added by someone after the restart, not reloaded by it.
 */
const RELOAD_WINDOW_SEC = 120;

export interface OwnershipInput {
  records: readonly OwnedRecord[];
  torrents: readonly DaemonTorrent[];
  label: string;
  downloadDir: string;
  /**
   * When the daemon process started (agent clock, ms), or null when not known. Needed only
   * when an interrupted add is found outside the directory it asked for (needsDaemonStart).
   */
  daemonStartedAtMs?: number | null;
}

export function reconcileOwnership(input: OwnershipInput): OwnershipView {
  const byHash = new Map(input.torrents.map((t) => [t.infoHash, t]));
  const owned = new Set<InfoHash>();
  const ops: OwnershipOp[] = [];
  const known = new Set<InfoHash>();
  const relocateIfOutside = (record: OwnedRecord, torrent: DaemonTorrent): void => {
    if (!isInsideDir(torrent.downloadDir, input.downloadDir) && isInsideDir(record.downloadDir, input.downloadDir)) {
      ops.push({ kind: 'relocate', infoHash: record.infoHash, downloadDir: record.downloadDir });
    }
  };

  for (const record of input.records) {
    known.add(record.infoHash);
    const torrent = byHash.get(record.infoHash);
    switch (record.phase) {
      case 'adding': {
        if (torrent === undefined) {
          ops.push({ kind: 'forget', infoHash: record.infoHash, why: 'never-added' });
        } else if (torrent.addedDate + ADDED_DATE_SLACK_SEC < record.intentAtMs / 1000) {
          ops.push({ kind: 'forget', infoHash: record.infoHash, why: 'not-ours', where: torrent.downloadDir });
        } else if (!isAddProven(record, torrent, input.daemonStartedAtMs ?? null)) {
          ops.push({ kind: 'forget', infoHash: record.infoHash, why: 'unproven', where: torrent.downloadDir });
        } else {
          owned.add(record.infoHash);
          ops.push({ kind: 'confirm', record, needsLabel: !torrent.labels.includes(input.label) });
          relocateIfOutside(record, torrent);
        }
        break;
      }
      case 'owned': {
        if (torrent === undefined) {
          ops.push({ kind: 'forget', infoHash: record.infoHash, why: 'removed-outside' });
        } else {
          owned.add(record.infoHash);
          if (!torrent.labels.includes(input.label)) ops.push({ kind: 'relabel', infoHash: record.infoHash });
          relocateIfOutside(record, torrent);
        }
        break;
      }
      case 'removing': {
        if (torrent === undefined) {
          ops.push({ kind: 'forget', infoHash: record.infoHash, why: 'removed' });
        } else {
          relocateIfOutside(record, torrent);
          ops.push({ kind: 'finish-remove', record });
        }
        break;
      }
    }
  }

  for (const torrent of input.torrents) {
    if (known.has(torrent.infoHash)) continue;
    if (torrent.labels.includes(input.label) && isInsideDir(torrent.downloadDir, input.downloadDir)) {
      owned.add(torrent.infoHash);
      ops.push({ kind: 'adopt', torrent });
    }
  }
  return { owned, ops };
}

/**
 * Proof that the torrent the daemon holds is the one our interrupted add created: it sits in
 * the directory the add asked for, or the daemon restarted after our intent and the torrent
 * was loaded during that start (a reload that lost its location). A copy added well after the
 * restart is someone else's add, whatever its directory.
 */
function isAddProven(record: OwnedRecord, torrent: DaemonTorrent, daemonStartedAtMs: number | null): boolean {
  if (isSameDir(torrent.downloadDir, record.downloadDir)) return true;
  if (daemonStartedAtMs === null || !hasRestartedSince(record, daemonStartedAtMs)) return false;
  const startSec = daemonStartedAtMs / 1000;
  return torrent.addedDate + ADDED_DATE_SLACK_SEC >= startSec && torrent.addedDate <= startSec + RELOAD_WINDOW_SEC;
}

/**
 * The daemon now running started after the add's intent. `earliestStartMs` is the earliest
 * start the daemon's uptime allows; it can lag the true start by seconds, so a restart soon
 * after the intent is proven only against the recorded latest start of the daemon that took
 * the add: a later earliest start is a different process, however soon it came back.
 */
function hasRestartedSince(record: OwnedRecord, earliestStartMs: number): boolean {
  if (earliestStartMs > record.intentAtMs) return true;
  return record.daemonStartLatestMs !== undefined && earliestStartMs > record.daemonStartLatestMs;
}

/** True when some interrupted add can be judged only with the daemon's start time. */
export function needsDaemonStart(records: readonly OwnedRecord[], torrents: readonly DaemonTorrent[]): boolean {
  const byHash = new Map(torrents.map((t) => [t.infoHash, t]));
  return records.some((r) => {
    const t = r.phase === 'adding' ? byHash.get(r.infoHash) : undefined;
    return t !== undefined && !isSameDir(t.downloadDir, r.downloadDir);
  });
}

function isSameDir(a: string, b: string): boolean {
  return isInsideDir(a, b) && isInsideDir(b, a);
}

/** An absolute path that norm would change: a doubled slash, a "." or ".." part, or a trailing slash. */
const NOT_NORMAL = /\/\/|\/\.\.?(?:\/|$)|.\/$/;

/** An absolute path with "." and ".." resolved and no empty parts. */
function norm(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  return `/${parts.join('/')}`;
}

/** POSIX path containment without node:path (pure): `child` equals or lies below `parent`. */
export function isInsideDir(child: string, parent: string): boolean {
  if (!child.startsWith('/') || !parent.startsWith('/')) return false;
  // Most paths are already normal (checked for every held torrent every tick): those are their own norm.
  const c = NOT_NORMAL.test(child) ? norm(child) : child;
  const p = NOT_NORMAL.test(parent) ? norm(parent) : parent;
  return c === p || c.startsWith(p === '/' ? '/' : `${p}/`);
}

/** The per-torrent download directory inside the agent's directory. */
export function torrentDownloadDir(downloadDir: string, infoHash: InfoHash): string {
  return `${downloadDir.replace(/\/+$/, '')}/${infoHash}`;
}
