/**
 * The init wizard as a state machine over keys: every key moves the wizard on at once, whatever
 * the screen shows yet. The component (wizard.tsx) holds the state, feeds each key through
 * `pressKey` the moment it arrives and draws the result. Keys typed ahead of the next frame (a
 * paste, a fast typist, a test) therefore reach the prompt they were meant for, never a prompt
 * that is gone or a stale copy of the current one. Pure: IO (the password check, handing the
 * answers back) leaves as an `Effect` for the caller to run.
 */
import { parseSize } from '../../policy/index.js';
import type { ConnectionCheck, DirProposal, FeedChoice } from '../../setup/index.js';
import { feedFormatFromUrl, feedIdFromUrl, SUGGESTED_FEEDS } from '../../setup/index.js';

export interface WizardAnswers {
  /** The password typed (undefined when none was asked). */
  readonly password: string | undefined;
  readonly downloadDir: string;
  readonly maxSize: string;
  readonly feeds: readonly FeedChoice[];
}

export type WizardStep = 'password' | 'checking' | 'dir' | 'custom-dir' | 'size' | 'feeds' | 'custom-feed' | 'confirm' | 'done';

export interface WizardState {
  readonly step: WizardStep;
  /** The line being typed at a text step (password, custom-dir, size, custom-feed). */
  readonly text: string;
  /** The focused row at a list step (dir, feeds). */
  readonly focus: number;
  /** Feed ids ticked at the feeds step. */
  readonly picked: readonly string[];
  readonly password: string | undefined;
  readonly dir: string;
  readonly maxSize: string;
  readonly feeds: readonly FeedChoice[];
  readonly problem: string | undefined;
  readonly daemonLine: string | undefined;
}

/** One key as the terminal reported it: printable text, or one of the keys the wizard uses. */
export interface WizardKey {
  readonly input: string;
  readonly name?: 'return' | 'backspace' | 'up' | 'down' | 'ignored';
}

export type WizardEffect =
  | { readonly kind: 'check'; readonly password: string }
  | { readonly kind: 'done'; readonly answers: WizardAnswers | undefined };

export interface WizardContext {
  readonly proposals: readonly DirProposal[];
  readonly suggestMaxSize: (dir: DirProposal | undefined) => string;
}

export interface WizardMove {
  readonly state: WizardState;
  readonly effect?: WizardEffect;
}

/** The row value of "another directory..." in the directory list. */
export const OTHER_DIR = '\u0000other';

export function startWizard(context: WizardContext, askPassword: boolean): WizardState {
  return {
    step: askPassword ? 'password' : 'dir',
    text: '',
    focus: 0,
    picked: [],
    password: undefined,
    dir: context.proposals[0]?.path ?? '/srv/smartnode',
    maxSize: '',
    feeds: [],
    problem: undefined,
    daemonLine: undefined,
  };
}

/** The rows of the directory list: the proposals best first, then "another directory...". */
export function dirRows(context: WizardContext): { label: string; value: string }[] {
  return [
    ...context.proposals.map((p) => ({ label: `${p.path}  (${p.note})`, value: p.path })),
    { label: 'another directory...', value: OTHER_DIR },
  ];
}

export function pressKey(state: WizardState, key: WizardKey, context: WizardContext): WizardMove {
  switch (state.step) {
    case 'password':
      return typeLine(state, key, (password) => ({ state: { ...state, step: 'checking', text: '' }, effect: { kind: 'check', password } }));
    case 'custom-dir':
      return typeLine(state, key, (value) =>
        value.startsWith('/')
          ? chooseDir(state, value.trim(), context)
          : { state: { ...state, problem: `expected an absolute path, got ${JSON.stringify(value)}` } },
      );
    case 'size':
      return typeLine(state, key, (value) => submitSize(state, value));
    case 'custom-feed':
      return typeLine(state, key, (value) => submitCustomFeed(state, value));
    case 'dir': {
      const rows = dirRows(context);
      if (key.name !== 'return') return { state: { ...state, focus: moveFocus(state.focus, key, rows.length) } };
      const value = rows[state.focus]?.value ?? OTHER_DIR;
      return value === OTHER_DIR ? { state: { ...state, step: 'custom-dir', text: '' } } : chooseDir(state, value, context);
    }
    case 'feeds': {
      if (key.name === 'return') {
        const feeds = SUGGESTED_FEEDS.filter((f) => state.picked.includes(f.id));
        return { state: { ...state, feeds, step: 'custom-feed', text: '' } };
      }
      const focused = SUGGESTED_FEEDS[state.focus]?.id;
      if (key.input === ' ' && focused !== undefined) {
        const picked = state.picked.includes(focused) ? state.picked.filter((id) => id !== focused) : [...state.picked, focused];
        return { state: { ...state, picked } };
      }
      return { state: { ...state, focus: moveFocus(state.focus, key, SUGGESTED_FEEDS.length) } };
    }
    case 'confirm': {
      const answer = key.name === 'return' ? 'y' : key.input.toLowerCase();
      if (answer === 'y') {
        const answers = { password: state.password, downloadDir: state.dir, maxSize: state.maxSize, feeds: state.feeds };
        return { state: { ...state, step: 'done' }, effect: { kind: 'done', answers } };
      }
      if (answer === 'n') return { state: { ...state, step: 'done' }, effect: { kind: 'done', answers: undefined } };
      return { state };
    }
    case 'checking': // the answer to the password is on its way; nothing typed now is meant for it
    case 'done':
      return { state };
  }
}

/** The daemon's answer to the password typed. */
export function passwordChecked(state: WizardState, password: string, result: ConnectionCheck): WizardMove {
  if (result.ok) {
    const daemonLine = `connected: Transmission ${result.version.version}, RPC ${result.version.rpcVersion}`;
    return { state: { ...state, password, problem: undefined, daemonLine, step: 'dir', focus: 0 } };
  }
  const problem = `${result.error.message}${result.error.hint === undefined ? '' : ` (${result.error.hint})`}`;
  // Locked out (4.x anti-brute-force): another guess cannot get in and only counts against the
  // daemon; stop asking.
  if (result.error.code === 'DAEMON_LOCKED_OUT')
    return { state: { ...state, problem, step: 'done' }, effect: { kind: 'done', answers: undefined } };
  return passwordFailed(state, problem);
}

/** The check itself failed (not a refusal): say why and ask again. */
export function passwordFailed(state: WizardState, problem: string): WizardMove {
  // A fresh, empty field: a refused password must not stay in it.
  return { state: { ...state, problem, step: 'password', text: '' } };
}

/** Edits the line at a text step; Enter hands what was typed to `submit`. */
function typeLine(state: WizardState, key: WizardKey, submit: (value: string) => WizardMove): WizardMove {
  if (key.name === 'return') return submit(state.text);
  if (key.name === 'backspace') return { state: { ...state, text: state.text.slice(0, -1) } };
  if (key.name !== undefined) return { state };
  return { state: { ...state, text: state.text + key.input } };
}

function moveFocus(focus: number, key: WizardKey, rows: number): number {
  if (key.name === 'up') return Math.max(0, focus - 1);
  if (key.name === 'down') return Math.min(rows - 1, focus + 1);
  return focus;
}

function chooseDir(state: WizardState, path: string, context: WizardContext): WizardMove {
  const maxSize = context.suggestMaxSize(context.proposals.find((p) => p.path === path));
  return { state: { ...state, dir: path, maxSize, problem: undefined, step: 'size', text: '' } };
}

function submitSize(state: WizardState, value: string): WizardMove {
  const text = value.trim() === '' ? state.maxSize : value.trim();
  const parsed = parseSize(text);
  if (!parsed.ok) return { state: { ...state, problem: parsed.error } };
  return { state: { ...state, problem: undefined, maxSize: text, ...feedsStep() } };
}

/** The feeds list, focus on top, the first suggestion ticked. */
function feedsStep(): Pick<WizardState, 'step' | 'focus' | 'picked'> {
  return { step: 'feeds', focus: 0, picked: SUGGESTED_FEEDS.slice(0, 1).map((f) => f.id) };
}

function submitCustomFeed(state: WizardState, value: string): WizardMove {
  const url = value.trim();
  if (url !== '' && !URL.canParse(url)) return { state: { ...state, problem: `expected a URL, got ${JSON.stringify(url)}` } };
  const taken = new Set(state.feeds.map((f) => f.id));
  const feeds =
    url === '' ? state.feeds : [...state.feeds, { id: feedIdFromUrl(url, taken), url, format: feedFormatFromUrl(url), title: url }];
  if (feeds.length === 0) return { state: { ...state, problem: 'pick at least one feed', ...feedsStep() } };
  return { state: { ...state, problem: undefined, feeds, step: 'confirm' } };
}
