/**
 * The wizard's prompts. Each shows its question only once it listens: Ink attaches a key
 * handler (and puts the terminal in raw mode) in an effect after the frame is drawn, so a
 * question drawn with the frame could be answered before anyone hears it, and the keys would be
 * lost or echoed by the terminal. `useReadyInput` reports ready from an effect declared after
 * Ink's own, which React runs after them: whoever sees a question may answer it at once.
 */
import { Box, Text, useInput, type Key } from 'ink';
import { useEffect, useRef, useState } from 'react';

export function useReadyInput(handler: (input: string, key: Key) => void): boolean {
  useInput(handler);
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);
  return ready;
}

/**
 * One line of text after its question, masked for secrets. The value lives in a ref the key
 * handler updates at once, so keys that arrive before React re-renders (a paste, a fast typist,
 * a test) are never lost and Enter submits exactly what was typed.
 */
export function LineInput(props: { label: string; mask?: boolean; placeholder?: string; onSubmit: (value: string) => void }) {
  const value = useRef('');
  const [shown, setShown] = useState('');
  const ready = useReadyInput((input, key) => {
    if (key.return) {
      props.onSubmit(value.current);
      return;
    }
    value.current = edited(value.current, input, key);
    setShown(value.current);
  });
  if (!ready) return null;
  const text = props.mask === true ? '*'.repeat(shown.length) : shown;
  return (
    <Text>
      {props.label} {text === '' && props.placeholder !== undefined ? <Text dimColor>{props.placeholder}</Text> : text}
    </Text>
  );
}

/** A line after one key: Backspace deletes, printable keys append, arrows and control keys do nothing. */
export function edited(value: string, input: string, key: Key): string {
  if (key.backspace || key.delete) return value.slice(0, -1);
  if (key.ctrl || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow || key.tab || key.escape) return value;
  return value + input;
}

/** A list to pick one row from: arrows move the ❯, Enter picks. */
export function ChoiceList(props: {
  label: string;
  options: readonly { label: string; value: string }[];
  onChange: (value: string) => void;
}) {
  // In a ref as well: keys may arrive faster than frames.
  const focus = useRef(0);
  const [focused, setFocused] = useState(0);
  const move = (to: number): void => {
    focus.current = Math.max(0, Math.min(props.options.length - 1, to));
    setFocused(focus.current);
  };
  const ready = useReadyInput((_input, key) => {
    if (key.upArrow) move(focus.current - 1);
    else if (key.downArrow) move(focus.current + 1);
    else if (key.return) {
      const option = props.options[focus.current];
      if (option !== undefined) props.onChange(option.value);
    }
  });
  if (!ready) return null;
  return (
    <Box flexDirection="column">
      <Text>{props.label}</Text>
      {props.options.map((option, i) => (
        <Text key={option.value} color={i === focused ? 'cyan' : undefined}>
          {i === focused ? '❯' : ' '} {option.label}
        </Text>
      ))}
    </Box>
  );
}

/** A yes/no question: y or Enter says yes, n or Escape says no. */
export function Confirm(props: { label: string; onConfirm: () => void; onCancel: () => void }) {
  const answered = useRef(false);
  const ready = useReadyInput((input, key) => {
    if (answered.current) return;
    const yes = input.toLowerCase() === 'y' || key.return;
    const no = input.toLowerCase() === 'n' || key.escape;
    answered.current = yes || no;
    if (yes) props.onConfirm();
    else if (no) props.onCancel();
  });
  return ready ? <Text>{props.label} (Y/n)</Text> : null;
}
