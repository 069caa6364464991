/**
 * Pure: the dashboard's state. Agent data comes only from the control socket (a snapshot,
 * then agent events folded by the agent's own status reducer); the rest is where the viewer
 * is looking. Keys become intents (UI only) or commands (sent to the agent) here, as data,
 * so both are tested without a terminal.
 */
import type { AgentEvent, CandidateView, FeedHealthView, OwnedTorrentView } from '../agent/index.js';
// The pure parts of control, imported file by file: its index also exports the socket code.
import type { LinkEvent } from '../control/index.js';
import type { ControlCommand } from '../control/index.js';
import { reduceStatus, type DecisionEntry, type FeedStatus, type Notice, type StatusSnapshot } from '../status/index.js';
import type { InfoHash } from '../shared/index.js';

export const VIEWS = ['mirror', 'candidates', 'decisions', 'feeds'] as const;
export type ViewName = (typeof VIEWS)[number];
export const SORTS = ['score', 'name', 'size', 'progress', 'seeders', 'upload', 'ratio'] as const;
export type SortKey = (typeof SORTS)[number];

export type LinkState = { kind: 'connecting' } | { kind: 'connected' } | { kind: 'lost'; reason: string; retryInMs: number };

export interface DashboardState {
  link: LinkState;
  status: StatusSnapshot | null;
  view: ViewName;
  cursor: Record<ViewName, number>;
  filter: string;
  isEditingFilter: boolean;
  sort: SortKey;
  /** The torrent whose detail view is open. */
  detail: InfoHash | null;
  /** A ban waiting for its confirming second key press. */
  pendingBan: InfoHash | null;
  message: { text: string; isError: boolean; atMs: number } | null;
  nowMs: number;
}

export type Intent =
  | { kind: 'view'; view: ViewName }
  | { kind: 'view-step'; delta: 1 | -1 }
  | { kind: 'move'; delta: number }
  | { kind: 'move-to'; edge: 'top' | 'bottom' }
  | { kind: 'open-detail' }
  | { kind: 'close' }
  | { kind: 'filter-start' }
  | { kind: 'filter-input'; text: string }
  | { kind: 'filter-backspace' }
  | { kind: 'filter-commit' }
  | { kind: 'filter-cancel' }
  | { kind: 'sort-next' }
  | { kind: 'ban-arm'; infoHash: InfoHash; name: string }
  /** Forgets an armed ban (any key but the confirming one). */
  | { kind: 'disarm' };

export type DashboardAction =
  | { type: 'link'; link: LinkEvent }
  /** nowMs (the viewer's clock when it arrived) also moves the dashboard's clock, saving a frame. */
  | { type: 'agent-event'; event: AgentEvent; nowMs?: number }
  | { type: 'clock'; nowMs: number }
  | { type: 'intent'; intent: Intent }
  | { type: 'message'; text: string; isError: boolean; atMs: number };

export function initialDashboard(nowMs: number): DashboardState {
  return {
    link: { kind: 'connecting' },
    status: null,
    view: 'mirror',
    cursor: { mirror: 0, candidates: 0, decisions: 0, feeds: 0 },
    filter: '',
    isEditingFilter: false,
    sort: 'score',
    detail: null,
    pendingBan: null,
    message: null,
    nowMs,
  };
}

export function reduceDashboard(s: DashboardState, a: DashboardAction): DashboardState {
  switch (a.type) {
    case 'link':
      if (a.link.kind === 'connected') return { ...s, link: { kind: 'connected' }, status: a.link.status };
      if (a.link.kind === 'lost') return { ...s, link: { kind: 'lost', reason: a.link.reason, retryInMs: a.link.retryInMs } };
      return s.link.kind === 'lost' ? s : { ...s, link: { kind: 'connecting' } }; // keep showing why it was lost while retrying
    case 'agent-event': {
      if (s.status === null) return s;
      const next = { ...s, status: reduceStatus(s.status, a.event), nowMs: a.nowMs ?? s.nowMs };
      // A held eviction replaces what an earlier command said would happen (a ban's removal),
      // unless the viewer is in the middle of arming a ban.
      if (a.event.type !== 'eviction-held' || s.pendingBan !== null || (s.message !== null && s.message.atMs > a.event.atMs)) return next;
      const held = heldEviction(next.status);
      return held === null ? next : { ...next, message: { text: held.text, isError: true, atMs: a.event.atMs } };
    }
    case 'clock':
      return { ...s, nowMs: a.nowMs };
    case 'message':
      return { ...s, message: { text: a.text, isError: a.isError, atMs: a.atMs } };
    case 'intent':
      return applyIntent({ ...s, pendingBan: a.intent.kind === 'ban-arm' ? s.pendingBan : null }, a.intent);
  }
}

function applyIntent(s: DashboardState, intent: Intent): DashboardState {
  switch (intent.kind) {
    case 'view':
      return { ...s, view: intent.view, detail: null };
    case 'view-step': {
      const at = VIEWS.indexOf(s.view);
      return { ...s, view: VIEWS[(at + intent.delta + VIEWS.length) % VIEWS.length] ?? 'mirror', detail: null };
    }
    case 'move': {
      const count = rowCount(s);
      const next = Math.max(0, Math.min(Math.max(0, count - 1), clampCursor(s) + intent.delta));
      return { ...s, cursor: { ...s.cursor, [s.view]: next } };
    }
    case 'move-to':
      return { ...s, cursor: { ...s.cursor, [s.view]: intent.edge === 'top' ? 0 : Math.max(0, rowCount(s) - 1) } };
    case 'open-detail': {
      const target = selectedTorrent(s);
      return target === null ? s : { ...s, detail: target.infoHash };
    }
    case 'close':
      return { ...s, detail: null, message: null };
    case 'filter-start':
      return { ...s, isEditingFilter: true };
    case 'filter-input':
      return { ...s, filter: s.filter + intent.text, cursor: { ...s.cursor, [s.view]: 0 } };
    case 'filter-backspace':
      return { ...s, filter: s.filter.slice(0, -1) };
    case 'filter-commit':
      return { ...s, isEditingFilter: false };
    case 'filter-cancel':
      return { ...s, isEditingFilter: false, filter: '', cursor: { ...s.cursor, [s.view]: 0 } };
    case 'sort-next':
      return { ...s, sort: SORTS[(SORTS.indexOf(s.sort) + 1) % SORTS.length] ?? 'score' };
    case 'disarm':
      return s;
    case 'ban-arm':
      return {
        ...s,
        pendingBan: intent.infoHash,
        message: {
          text: `press b again to ban "${intent.name}" (our copy is deleted); any other key cancels`,
          isError: false,
          atMs: s.nowMs,
        },
      };
  }
}

/** Subset of Ink's Key, so this module needs no terminal. */
export interface KeyPress {
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
  escape?: boolean;
  tab?: boolean;
  shift?: boolean;
  ctrl?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

export type KeyOutcome =
  | { kind: 'none' }
  | { kind: 'quit' }
  | { kind: 'intent'; intent: Intent }
  | { kind: 'command'; command: ControlCommand; describe: string };

/** What a key press means in this state (footer: see FOOTER_KEYS). */
export function interpretKey(s: DashboardState, input: string, key: KeyPress, pageRows = 10): KeyOutcome {
  const intent = (i: Intent): KeyOutcome => ({ kind: 'intent', intent: i });
  if (s.isEditingFilter) {
    if (key.return) return intent({ kind: 'filter-commit' });
    if (key.escape) return intent({ kind: 'filter-cancel' });
    if (key.backspace || key.delete) return intent({ kind: 'filter-backspace' });
    // Control characters (a pasted newline, keys that arrived in one chunk) never enter the filter.
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
    const text = input.replace(/[\u0000-\u001f\u007f]/g, '');
    if (text !== '' && !key.ctrl) return intent({ kind: 'filter-input', text });
    return { kind: 'none' };
  }
  if (input === 'q' || (key.ctrl && input === 'c')) return { kind: 'quit' };
  if (key.escape) return s.filter !== '' && s.detail === null ? intent({ kind: 'filter-cancel' }) : intent({ kind: 'close' });
  if (key.tab) return intent({ kind: 'view-step', delta: key.shift ? -1 : 1 });
  if (key.rightArrow) return intent({ kind: 'view-step', delta: 1 });
  if (key.leftArrow) return intent({ kind: 'view-step', delta: -1 });
  const digit = Number.parseInt(input, 10);
  if (input.length === 1 && digit >= 1 && digit <= VIEWS.length) return intent({ kind: 'view', view: VIEWS[digit - 1] ?? 'mirror' });
  if (key.upArrow || input === 'k') return intent({ kind: 'move', delta: -1 });
  if (key.downArrow || input === 'j') return intent({ kind: 'move', delta: 1 });
  if (key.pageUp) return intent({ kind: 'move', delta: -pageRows });
  if (key.pageDown) return intent({ kind: 'move', delta: pageRows });
  if (key.home || input === 'g') return intent({ kind: 'move-to', edge: 'top' });
  if (key.end || input === 'G') return intent({ kind: 'move-to', edge: 'bottom' });
  if (key.return) return s.detail === null ? intent({ kind: 'open-detail' }) : intent({ kind: 'close' });
  if (input === '/') return intent({ kind: 'filter-start' });
  if (input === 's') return intent({ kind: 'sort-next' });
  if (input === ' ') {
    const paused = s.status?.paused ?? false;
    return { kind: 'command', command: { kind: paused ? 'resume' : 'pause' }, describe: paused ? 'resume' : 'pause' };
  }
  if (input === 't') return { kind: 'command', command: { kind: 'tick-now' }, describe: 'tick now' };
  // Offered in the header while the donated limits hold an eviction back.
  if (input === 'y' && heldEviction(s.status) !== null)
    return { kind: 'command', command: { kind: 'confirm-eviction' }, describe: 'confirm eviction' };
  const target = selectedTorrent(s);
  if (input === 'u' && target !== null && s.status?.bans.includes(target.infoHash) === true)
    return { kind: 'command', command: { kind: 'unban', infoHash: target.infoHash }, describe: `unban ${target.name}` };
  if (input === 'p' && target !== null) {
    const pinned = s.status?.pins.includes(target.infoHash) ?? false;
    return {
      kind: 'command',
      command: { kind: pinned ? 'unpin' : 'pin', infoHash: target.infoHash },
      describe: `${pinned ? 'unpin' : 'pin'} ${target.name}`,
    };
  }
  if (input === 'b' && target !== null) {
    if (s.pendingBan === target.infoHash)
      return { kind: 'command', command: { kind: 'ban', infoHash: target.infoHash }, describe: `ban ${target.name}` };
    return intent({ kind: 'ban-arm', infoHash: target.infoHash, name: target.name });
  }
  return { kind: 'none' };
}

/**
 * The eviction the donated limits hold back, waiting for `y`: the last `eviction-held` notice,
 * when no tick has finished since the one that held it (every tick that still holds one says so
 * again; a later notice of another kind does not release it).
 */
export function heldEviction(status: StatusSnapshot | null): Notice | null {
  if (status === null) return null;
  const held = status.notices.findLast((n) => n.kind === 'eviction-held');
  if (held === undefined) return null;
  const { lastTickAtMs, lastTickDurationMs } = status.agent;
  const lastTickStartMs = lastTickAtMs === null ? null : lastTickAtMs - (lastTickDurationMs ?? 0);
  return lastTickStartMs === null || held.atMs >= lastTickStartMs ? held : null;
}

// ---- selectors (pure; the last result is cached because 10,000 candidates sort in ms) ----

export type Rows =
  | { view: 'mirror'; rows: readonly OwnedTorrentView[] }
  | { view: 'candidates'; rows: readonly CandidateView[] }
  | { view: 'decisions'; rows: readonly DecisionEntry[] }
  | { view: 'feeds'; rows: readonly FeedRow[] };

/** A feed as the Feeds view shows it: its fetches, and its collection's health when known. */
export type FeedRow = FeedStatus & { health?: FeedHealthView };

let cache: { key: unknown[]; rows: Rows } | null = null;

export function selectRows(s: DashboardState): Rows {
  const source =
    s.view === 'mirror'
      ? s.status?.mirror?.owned
      : s.view === 'candidates'
        ? s.status?.mirror?.candidates
        : s.view === 'decisions'
          ? s.status?.decisions
          : s.status?.feeds;
  const key = [s.view, source, s.filter, s.sort, s.view === 'feeds' ? s.status?.mirror?.health : null];
  if (cache?.key.every((k, i) => k === key[i])) return cache.rows;
  const rows = computeRows(s);
  cache = { key, rows };
  return rows;
}

function computeRows(s: DashboardState): Rows {
  const needle = s.filter.toLowerCase();
  const match = (name: string): boolean => needle === '' || name.toLowerCase().includes(needle);
  const mirror = s.status?.mirror ?? null;
  switch (s.view) {
    case 'mirror':
      return { view: 'mirror', rows: sortRows(filtered(mirror?.owned ?? [], needle, match), s.sort) };
    case 'candidates':
      return { view: 'candidates', rows: sortRows(filtered(mirror?.candidates ?? [], needle, match), s.sort) };
    case 'decisions':
      return { view: 'decisions', rows: (s.status?.decisions ?? []).filter((d) => match(d.name)).reverse() };
    case 'feeds':
      return { view: 'feeds', rows: (s.status?.feeds ?? []).filter((f) => match(f.feedId)).map((f) => withHealth(f, mirror?.health)) };
  }
}

function filtered<T extends { name: string }>(rows: readonly T[], needle: string, match: (name: string) => boolean): readonly T[] {
  return needle === '' ? rows : rows.filter((r) => match(r.name));
}

type Sortable = Pick<OwnedTorrentView, 'name' | 'score'> & {
  sizeBytes: number | null;
  seeders: number | null;
  percentDone?: number;
  uploadRateBytesPerSec?: number;
  ratio?: number | null;
};

/**
 * Sorted copy (or the input itself when it is already in order and unfiltered: the planner
 * sends rows best score first, and 10,000 rows need not be copied and sorted on every tick).
 */
function sortRows<T extends Sortable>(input: readonly T[], sort: SortKey): readonly T[] {
  if (sort === 'score' && isSortedByScore(input)) return input;
  return sortCopy([...input], sort);
}

function isSortedByScore(rows: readonly Sortable[]): boolean {
  for (let i = 1; i < rows.length; i++) if ((rows[i - 1] as Sortable).score < (rows[i] as Sortable).score) return false;
  return true;
}

function sortCopy<T extends Sortable>(rows: T[], sort: SortKey): T[] {
  const by = (f: (r: T) => number): T[] => rows.sort((a, b) => f(b) - f(a) || (a.name < b.name ? -1 : 1));
  switch (sort) {
    case 'score':
      return by((r) => r.score);
    case 'name':
      return rows.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    case 'size':
      return by((r) => r.sizeBytes ?? -1);
    case 'progress':
      return by((r) => r.percentDone ?? -1);
    case 'seeders':
      return rows.sort((a, b) => (a.seeders ?? Infinity) - (b.seeders ?? Infinity) || (a.name < b.name ? -1 : 1));
    case 'upload':
      return by((r) => r.uploadRateBytesPerSec ?? -1);
    case 'ratio':
      return by((r) => r.ratio ?? -1);
  }
}

export function rowCount(s: DashboardState): number {
  return selectRows(s).rows.length;
}

export function clampCursor(s: DashboardState): number {
  return Math.max(0, Math.min(s.cursor[s.view], rowCount(s) - 1));
}

/** The torrent under the cursor (or in the detail view): what pin, ban and details act on. */
export function selectedTorrent(s: DashboardState): { infoHash: InfoHash; name: string } | null {
  if (s.detail !== null) {
    const found = findTorrent(s, s.detail);
    return found === null ? null : { infoHash: found.row.infoHash, name: found.row.name };
  }
  const rows = selectRows(s);
  const row = rows.rows[clampCursor(s)];
  if (row === undefined || rows.view === 'feeds') return null;
  const r = row as OwnedTorrentView | CandidateView | DecisionEntry;
  return { infoHash: r.infoHash, name: r.name };
}

export function findTorrent(
  s: DashboardState,
  hash: InfoHash,
): { kind: 'owned'; row: OwnedTorrentView } | { kind: 'candidate'; row: CandidateView } | null {
  const owned = s.status?.mirror?.owned.find((o) => o.infoHash === hash);
  if (owned !== undefined) return { kind: 'owned', row: owned };
  const candidate = s.status?.mirror?.candidates.find((c) => c.infoHash === hash);
  return candidate === undefined ? null : { kind: 'candidate', row: candidate };
}

function withHealth(feed: FeedStatus, health: readonly FeedHealthView[] | undefined): FeedRow {
  const row = health?.find((h) => h.feedId === feed.feedId);
  return row === undefined ? feed : { ...feed, health: row };
}
