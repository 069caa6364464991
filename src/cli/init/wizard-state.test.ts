import { describe, expect, it } from 'vitest';
import { SmartnodeError } from '../../shared/index.js';
import type { ConnectionCheck, DirProposal } from '../../setup/index.js';
import {
  passwordChecked,
  pressKey,
  startWizard,
  type WizardContext,
  type WizardEffect,
  type WizardKey,
  type WizardState,
} from './wizard-state.js';

const proposals: DirProposal[] = [
  { path: '/srv/a', exists: true, freeBytes: 2e12, daemonCanWrite: true, note: '2 TB free, exists' },
  { path: '/srv/b', exists: false, freeBytes: 1e12, daemonCanWrite: false, note: '1 TB free' },
];
const context: WizardContext = { proposals, suggestMaxSize: (dir) => (dir?.path === '/srv/b' ? '300 GB' : '900 GB') };
const ENTER: WizardKey = { input: '\r', name: 'return' };
const DOWN: WizardKey = { input: '', name: 'down' };
const UP: WizardKey = { input: '', name: 'up' };
const BACKSPACE: WizardKey = { input: '', name: 'backspace' };
const text = (s: string): WizardKey[] => [...s].map((input) => ({ input }));

/** Feeds keys one after another, as fast as they come: no frame drawn between them. */
function run(state: WizardState, keys: readonly WizardKey[]): { state: WizardState; effects: WizardEffect[] } {
  const effects: WizardEffect[] = [];
  for (const key of keys) {
    const move = pressKey(state, key, context);
    state = move.state;
    if (move.effect !== undefined) effects.push(move.effect);
  }
  return { state, effects };
}

const connected: ConnectionCheck = {
  ok: true,
  version: { version: '3.00 (bb6b5a062e)', rpcVersion: 16, rpcVersionSemver: '5.2.0', protocol: 'legacy' },
};
const refused = (code: 'DAEMON_AUTH' | 'DAEMON_LOCKED_OUT') =>
  ({ ok: false, error: new SmartnodeError(code, 'refused', { hint: 'check rpc-password' }) }) as const;

describe('init wizard keys', () => {
  it('takes every key typed ahead, across prompts, and gathers the answers', () => {
    const asked = run(startWizard(context, true), [...text('pw'), ENTER]);
    expect(asked.effects).toEqual([{ kind: 'check', password: 'pw' }]);
    const { state, effects } = run(passwordChecked(asked.state, 'pw', connected).state, [
      DOWN,
      ENTER, // /srv/b
      ...text('lots'),
      ENTER, // refused: stays at the budget
      BACKSPACE,
      BACKSPACE,
      BACKSPACE,
      BACKSPACE,
      ENTER, // keeps 300 GB
      DOWN,
      DOWN,
      UP,
      { input: ' ' },
      ENTER, // also the second suggestion
      ...text('https://example.org/collection/physics.csv'),
      ENTER,
      { input: 'y' },
    ]);
    expect(state.step).toBe('done');
    expect(effects).toHaveLength(1);
    const done = effects[0];
    const answers = done?.kind === 'done' ? done.answers : undefined;
    expect(answers).toMatchObject({ password: 'pw', downloadDir: '/srv/b', maxSize: '300 GB' });
    expect(answers?.feeds.map((f) => `${f.id} ${f.format}`)).toEqual(['sciop-unseeded rss', 'sciop-1-10 rss', 'physics at-csv']);
  });

  it('says why a budget is refused and keeps asking', () => {
    const atSize = run(passwordChecked(startWizard(context, true), 'pw', connected).state, [ENTER]).state;
    const { state } = run(atSize, [...text('lots'), ENTER]);
    expect(state).toMatchObject({ step: 'size', text: 'lots' });
    expect(state.problem).toMatch(/expected a size.*"lots"/);
  });

  it('asks again in an empty field after a refusal, and stops at a lockout', () => {
    const checking = run(startWizard(context, true), [...text('wrong'), ENTER]).state;
    expect(run(checking, text('ignored while checking')).state).toEqual(checking);
    const again = passwordChecked(checking, 'wrong', refused('DAEMON_AUTH'));
    expect(again.state).toMatchObject({ step: 'password', text: '', problem: 'refused (check rpc-password)' });
    expect(again.effect).toBeUndefined();
    expect(passwordChecked(checking, 'wrong', refused('DAEMON_LOCKED_OUT')).effect).toEqual({ kind: 'done', answers: undefined });
  });

  it('wants at least one feed, an absolute directory, and takes "n" as a cancel', () => {
    const start = startWizard(context, false);
    const noFeeds = run(start, [ENTER, ENTER, { input: ' ' }, ENTER, ENTER]).state;
    expect(noFeeds).toMatchObject({ step: 'feeds', problem: 'pick at least one feed', picked: ['sciop-unseeded'] });
    const relative = run(start, [DOWN, DOWN, ENTER, ...text('srv'), ENTER]).state;
    expect(relative).toMatchObject({ step: 'custom-dir', problem: 'expected an absolute path, got "srv"' });
    expect(run(relative, [BACKSPACE, BACKSPACE, BACKSPACE, ...text('/data'), ENTER]).state).toMatchObject({
      step: 'size',
      dir: '/data',
      problem: undefined,
    });
    const cancelled = run(start, [ENTER, ENTER, ENTER, ENTER, { input: 'n' }]);
    expect(cancelled.effects).toEqual([{ kind: 'done', answers: undefined }]);
  });
});
