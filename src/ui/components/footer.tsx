/** The key legend and the last message: props only. */
import { Box, Text } from 'ink';
import { fitLeft } from '../../shared/index.js';

/** Every key the dashboard takes, as the footer shows them (two lines at 80 columns). */
export const FOOTER_KEYS: readonly [string, string][] = [
  ['tab/1-4', 'view'],
  ['↑↓', 'move'],
  ['⏎', 'details'],
  ['space', 'pause/resume'],
  ['t', 'tick now'],
  ['p', 'pin'],
  ['b', 'ban'],
  ['u', 'unban'],
  ['/', 'filter'],
  ['s', 'sort'],
  ['q', 'quit'],
];

export interface FooterProps {
  width: number;
  message: { text: string; isError: boolean } | null;
  filter: string;
  isEditingFilter: boolean;
  sort: string;
}

export function Footer({ width, message, filter, isEditingFilter, sort }: FooterProps) {
  const legend = layoutKeys(width);
  const state = isEditingFilter
    ? `filter: ${filter}_  (enter: keep, esc: clear)`
    : `${filter === '' ? '' : `filter "${filter}"  `}sort: ${sort}`;
  return (
    <Box flexDirection="column">
      <Text color={message?.isError ? 'red' : 'cyan'} wrap="truncate">
        {fitLeft(message === null ? state : `${message.text}   ${state}`, width)}
      </Text>
      {legend.map((line, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: the legend lines are positional and fixed
        <Text key={i} dimColor wrap="truncate">
          {fitLeft(line, width)}
        </Text>
      ))}
    </Box>
  );
}

/** Packs the legend into lines no wider than `width` (at most two; the rest is cut). */
export function layoutKeys(width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const [key, what] of FOOTER_KEYS) {
    const item = `${key} ${what}`;
    if (current !== '' && current.length + 2 + item.length > width) {
      lines.push(current);
      current = item;
    } else {
      current = current === '' ? item : `${current}  ${item}`;
    }
  }
  if (current !== '') lines.push(current);
  return lines.slice(0, 2);
}
