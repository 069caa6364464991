/**
 * The interactive half of `smartnode init`: Ink prompts for what settings.json cannot tell
 * (the RPC password, asked without echo and checked against the daemon at once), the download
 * directory (proposals first), the budget, and the feeds. It only gathers answers; the caller
 * writes the files. Every IO it needs arrives as a prop.
 */
import { Spinner } from '@inkjs/ui';
import { Box, Text, useInput, type Key } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ConnectionCheck, DirProposal } from '../../setup/index.js';
import { SUGGESTED_FEEDS } from '../../setup/index.js';
import {
  dirRows,
  passwordChecked,
  passwordFailed,
  pressKey,
  startWizard,
  type WizardAnswers,
  type WizardKey,
  type WizardMove,
  type WizardState,
} from './wizard-state.js';

export type { WizardAnswers } from './wizard-state.js';

export interface WizardProps {
  readonly rpcUrl: string;
  readonly username: string | undefined;
  /** True when the daemon wants a password and none came from a flag. */
  readonly askPassword: boolean;
  readonly proposals: readonly DirProposal[];
  readonly suggestMaxSize: (dir: DirProposal | undefined) => string;
  readonly policyPath: string;
  readonly check: (password: string | undefined) => Promise<ConnectionCheck>;
  readonly onDone: (answers: WizardAnswers | undefined) => void;
}

/**
 * One key listener for the whole wizard, attached once: Ink attaches a listener only after the
 * frame that mounts it and swaps a changed handler only after the next frame, so per-prompt
 * listeners drop or misroute keys typed right after a prompt appears. This one reads and
 * advances the state in a ref synchronously, key by key, and only draws from it. No prompt is
 * drawn before the listener is attached: a prompt on screen takes keys.
 */
export function InitWizard(props: WizardProps) {
  const live = useRef({ props, state: startWizard(props, props.askPassword) });
  live.current.props = props;
  const [state, setState] = useState(live.current.state);
  const [listening, setListening] = useState(false);

  const apply = useCallback((move: WizardMove): void => {
    const current = live.current;
    current.state = move.state;
    setState(move.state);
    const effect = move.effect;
    if (effect?.kind === 'done') current.props.onDone(effect.answers);
    if (effect?.kind === 'check') {
      current.props.check(effect.password).then(
        (result) => apply(passwordChecked(live.current.state, effect.password, result)),
        (error: unknown) => apply(passwordFailed(live.current.state, String(error))),
      );
    }
  }, []);
  const onKey = useCallback(
    (input: string, key: Key): void => apply(pressKey(live.current.state, toWizardKey(input, key), live.current.props)),
    [apply],
  );
  useInput(onKey);
  // Effects run in order: once this one runs, the listener above is attached.
  useEffect(() => setListening(true), []);

  return (
    <Box flexDirection="column">
      <Text bold>
        smartnode init: daemon at {props.rpcUrl}
        {props.username === undefined ? '' : ` as ${props.username}`}
      </Text>
      {state.daemonLine !== undefined && <Text color="green">{state.daemonLine}</Text>}
      {state.problem !== undefined && <Text color="red">{state.problem}</Text>}
      {listening && <StepView state={state} props={props} />}
    </Box>
  );
}

function StepView({ state, props }: { state: WizardState; props: WizardProps }) {
  switch (state.step) {
    case 'password':
      return (
        <Prompt
          label={`RPC password for ${props.username ?? 'the daemon'} (the one set as rpc-password before the daemon hashed it; not shown):`}
          text={'*'.repeat(state.text.length)}
        />
      );
    case 'checking':
      return <Spinner label="checking the password with the daemon" />;
    case 'dir':
      return (
        <Box flexDirection="column">
          <Text>Download directory (best first):</Text>
          <Choices rows={dirRows(props).map((r) => r.label)} focus={state.focus} />
        </Box>
      );
    case 'custom-dir':
      return <Prompt label="Absolute path of the download directory:" text={state.text} placeholder="/srv/smartnode" />;
    case 'size':
      return (
        <Prompt
          label={`Disk budget for ${state.dir} (e.g. "500 GB"; Enter keeps ${state.maxSize}):`}
          text={state.text}
          placeholder={state.maxSize}
        />
      );
    case 'feeds':
      return (
        <Box flexDirection="column">
          <Text>Feeds to mirror from (space toggles, Enter confirms):</Text>
          <Choices
            rows={SUGGESTED_FEEDS.map((f) => `${f.title}  ${f.url}`)}
            focus={state.focus}
            ticked={SUGGESTED_FEEDS.map((f) => state.picked.includes(f.id))}
          />
        </Box>
      );
    case 'custom-feed':
      return <Prompt label="Another feed URL (RSS, Academic Torrents CSV or JSON list; Enter for none):" text={state.text} />;
    case 'confirm':
      return (
        <Box flexDirection="column">
          <Text>
            Write {props.policyPath}: {state.dir}, up to {state.maxSize}, feeds {state.feeds.map((f) => f.id).join(', ')}? (Y/n)
          </Text>
          <Text dimColor>Y/n</Text>
        </Box>
      );
    case 'done':
      return null;
  }
}

function Prompt(props: { label: string; text: string; placeholder?: string }) {
  return (
    <Box flexDirection="column">
      <Text>{props.label}</Text>
      {props.text === '' && props.placeholder !== undefined ? <Text dimColor>{props.placeholder}</Text> : <Text>{props.text}</Text>}
    </Box>
  );
}

/** A list drawn as @inkjs/ui draws one: a pointer on the focused row, a tick on the chosen ones. */
function Choices(props: { rows: readonly string[]; focus: number; ticked?: readonly boolean[] }) {
  return (
    <Box flexDirection="column">
      {props.rows.map((row, i) => {
        const focused = i === props.focus;
        const ticked = props.ticked?.[i] === true;
        return (
          <Box key={row} gap={1} paddingLeft={focused ? 0 : 2}>
            {focused && <Text color="blue">❯</Text>}
            <Text color={focused ? 'blue' : ticked ? 'green' : undefined}>{row}</Text>
            {ticked && <Text color="green">✔</Text>}
          </Box>
        );
      })}
    </Box>
  );
}

function toWizardKey(input: string, key: Key): WizardKey {
  if (key.return) return { input, name: 'return' };
  if (key.backspace || key.delete) return { input, name: 'backspace' };
  if (key.upArrow) return { input, name: 'up' };
  if (key.downArrow) return { input, name: 'down' };
  if (key.ctrl || key.meta || key.tab) return { input, name: 'ignored' };
  return { input };
}
