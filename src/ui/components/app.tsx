/** The whole screen, from state and terminal size: props only (the one hook is in ../dashboard.tsx). */
import { Box, Text } from 'ink';
import { VIEWS, clampCursor, findTorrent, selectRows, type DashboardState, type Rows } from '../state.js';
import { Detail } from './detail.js';
import { Footer, layoutKeys } from './footer.js';
import { Header, Resources, recentNotice } from './header.js';
import { Table } from './tables.js';

export interface DashboardProps {
  state: DashboardState;
  width: number;
  height: number;
}

const NO_PINS: readonly string[] = [];
const TITLES = { mirror: 'Mirror', candidates: 'Candidates', decisions: 'Decisions', feeds: 'Feeds' } as const;

export function Dashboard({ state, width, height }: DashboardProps) {
  const w = Math.max(20, width);
  const status = state.status;
  const rows = selectRows(state);
  const headerLines =
    1 + (state.link.kind !== 'connected' || status?.agent.state === 'error' || recentNotice(status, state.nowMs) !== null ? 1 : 0);
  const footerLines = 1 + layoutKeys(w).length;
  const why = state.detail === null ? reasonOf(rows, clampCursor(state)) : null;
  const bodyHeight = Math.max(3, height - headerLines - 2 - 1 - footerLines - (why === null ? 0 : 2));
  const tabs = VIEWS.map((v, i) => {
    const count =
      v === 'mirror'
        ? status?.mirror?.owned.length
        : v === 'candidates'
          ? status?.mirror?.candidateTotal
          : v === 'decisions'
            ? status?.decisions.length
            : status?.feeds.length;
    const label = `${i + 1} ${TITLES[v]}${count === undefined ? '' : ` ${count}`}`;
    return { v, label };
  });
  const detail = state.detail === null ? null : findTorrent(state, state.detail);
  return (
    <Box flexDirection="column" width={w} height={height}>
      <Header status={status} link={state.link} nowMs={state.nowMs} width={w} />
      <Resources mirror={status?.mirror ?? null} bandwidth={status?.bandwidth ?? null} width={w} />
      <Text wrap="truncate">
        {tabs.map(({ v, label }) => (
          <Text key={v} inverse={v === state.view} bold={v === state.view}>{` ${label} `}</Text>
        ))}
      </Text>
      {state.detail !== null ? (
        <Detail
          target={detail}
          pinned={status?.pins.includes(state.detail) ?? false}
          population={status?.plan?.population}
          nowMs={state.nowMs}
          width={w}
          height={bodyHeight}
        />
      ) : (
        <Table
          rows={rows}
          cursor={clampCursor(state)}
          height={bodyHeight}
          width={w}
          nowMs={rows.view === 'feeds' ? state.nowMs : 0}
          pins={status?.pins ?? NO_PINS}
          {...(status?.mirror?.targetSeeders === undefined ? {} : { targetSeeders: status.mirror.targetSeeders })}
        />
      )}
      {why === null ? null : (
        <Box height={2} width={w} overflow="hidden">
          <Text color="gray" wrap="wrap">
            {why}
          </Text>
        </Box>
      )}
      <Footer width={w} message={state.message} filter={state.filter} isEditingFilter={state.isEditingFilter} sort={state.sort} />
    </Box>
  );
}

/** The planner's reason for the row under the cursor, in full (the table cuts it to fit). */
function reasonOf(rows: Rows, cursor: number): string | null {
  if (rows.view !== 'mirror' && rows.view !== 'candidates') return null;
  const row = rows.rows[cursor];
  if (row === undefined) return null;
  return `${row.name}: ${row.action} [${row.reason.code}] ${row.reason.text}`;
}
