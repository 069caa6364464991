/**
 * The wizard's feed step: the built-in feeds in sections, with a line to type a collection name
 * or any feed URL on the same screen, so a custom feed is added before the list is confirmed.
 * A feed already listed (a built-in, a `--feed`, or typed before) is said to be there and
 * selected, never added a second time.
 */
import { Box, Text } from 'ink';
import { useRef, useState } from 'react';
import { readFeedInput, type FeedChoice } from '../../setup/index.js';
import { edited, useReadyInput } from './inputs.js';

export interface FeedSection {
  readonly title: string;
  readonly feeds: readonly FeedChoice[];
}

const ADDED = 'Added here or with --feed:';

export function FeedPicker(props: {
  sections: readonly FeedSection[];
  /** Feeds to list under ADDED and select from the start (`--feed`), unless a section lists them already. */
  initial: readonly FeedChoice[];
  onSubmit: (feeds: readonly FeedChoice[]) => void;
}) {
  const listed = props.sections.flatMap((s) => s.feeds);
  const [added, setAdded] = useState<FeedChoice[]>(() => props.initial.filter((f) => !listed.some((l) => l.url === f.url)));
  const [selected, setSelected] = useState<ReadonlySet<string>>(
    () => new Set(props.initial.map((f) => listed.find((l) => l.url === f.url)?.id ?? f.id)),
  );
  const focus = useRef(0);
  const [focused, setFocused] = useState(0);
  const move = (to: number): void => {
    focus.current = Math.max(0, Math.min(rows.current.length - 1, to));
    setFocused(focus.current);
  };
  const [note, setNote] = useState<{ text: string; bad: boolean } | undefined>(undefined);
  const typed = useRef('');
  const [shown, setShown] = useState('');
  // The handler reads the latest rows through refs: several keys may arrive between renders.
  const rows = useRef<FeedChoice[]>([]);
  rows.current = [...listed, ...added];
  const chosen = useRef(selected);
  chosen.current = selected;

  const select = (id: string, on: boolean): void => {
    const next = new Set(chosen.current);
    if (on) next.add(id);
    else next.delete(id);
    chosen.current = next;
    setSelected(next);
  };
  const ready = useReadyInput((input, key) => {
    const all = rows.current;
    if (key.upArrow) move(focus.current - 1);
    else if (key.downArrow) move(focus.current + 1);
    else if (input === ' ') {
      const row = all[focus.current];
      if (row !== undefined) select(row.id, !chosen.current.has(row.id));
    } else if (key.return && typed.current.trim() !== '') {
      const result = readFeedInput(typed.current, all);
      if (result.kind === 'invalid') {
        setNote({ text: result.message, bad: true });
        return;
      }
      if (result.kind === 'new') {
        rows.current = [...all, result.feed];
        setAdded((a) => [...a, result.feed]);
        setNote({ text: `added ${result.feed.id}: ${result.feed.url}`, bad: false });
      } else {
        setNote({ text: `${result.feed.url} is already in the list as ${result.feed.id}; it is selected`, bad: false });
      }
      select(result.feed.id, true);
      typed.current = '';
      setShown('');
    } else if (key.return) {
      const picked = all.filter((f) => chosen.current.has(f.id));
      if (picked.length === 0) setNote({ text: 'pick at least one feed: Space on a row, or type a collection name or URL', bad: true });
      else props.onSubmit(picked);
    } else {
      typed.current = edited(typed.current, input, key);
      setShown(typed.current);
    }
  });
  if (!ready) return null;

  const sections = added.length === 0 ? props.sections : [...props.sections, { title: ADDED, feeds: added }];
  let index = 0;
  return (
    <Box flexDirection="column">
      <Text>Feeds to mirror from. ↑/↓ move, Space toggles, Enter confirms the selection.</Text>
      <Text>
        Type an Academic Torrents collection name or any feed URL, then Enter to add it: <Text color="cyan">{shown}</Text>
      </Text>
      {sections.map((section) => (
        <Box key={section.title} flexDirection="column">
          <Text dimColor>{section.title}</Text>
          {section.feeds.map((feed) => {
            const i = index++;
            return (
              <Text key={feed.id} color={i === focused ? 'cyan' : undefined}>
                {i === focused ? '❯' : ' '} [{selected.has(feed.id) ? 'x' : ' '}]{' '}
                {feed.title === feed.url ? feed.url : `${feed.title}  ${feed.url}`}
              </Text>
            );
          })}
        </Box>
      ))}
      {note !== undefined && <Text color={note.bad ? 'red' : 'green'}>{note.text}</Text>}
    </Box>
  );
}
