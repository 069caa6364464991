/**
 * `smartnode simulate --matrix`: runs every named world against every strategy (the matrix's
 * strategies unless --strategies is given), notes each world on stderr as it finishes, and
 * prints one row per world and the total wall time; `--json` prints every row's options and
 * metrics instead.
 */
import type { AgentConfig } from '../agent/index.js';
import {
  MATRIX_SHADOW_EVERY,
  MATRIX_STRATEGIES,
  WORLDS,
  formatMatrix,
  runMatrix,
  type MatrixRow,
  type SimOptions,
  type StrategyName,
} from '../sim/index.js';
import type { CliIO } from './io.js';

export interface MatrixRequest {
  base: SimOptions;
  explicit: Partial<SimOptions>;
  config: AgentConfig;
  workers: number;
  json: boolean;
  strategies: StrategyName[] | undefined;
}

/**
 * What every smartnode node observes: the whole feed, as the agent does. The simulator shares
 * one observation of the feed between the nodes of a tick and plans only the decisions that
 * can act; the shadow run decides a sample of node-ticks the agent's own way as well and
 * counts those where the decision (actions and carried memory) differs: it must be 0.
 */
export const OBSERVATION_NOTE =
  'observation: every node is given the whole feed, as the agent observes it; shared between the nodes of a tick, ' +
  `checked by a shadow run deciding 1 in ${MATRIX_SHADOW_EVERY} node-ticks the agent's own way (column "shadow changed": differing/checked)`;

/** The shadow run over all rows: node-ticks checked and those whose decision differed. */
export function shadowTotals(rows: readonly MatrixRow[]): { ticks: number; changed: number } {
  return rows.reduce((a, r) => ({ ticks: a.ticks + (r.shadow?.ticks ?? 0), changed: a.changed + (r.shadow?.changed ?? 0) }), {
    ticks: 0,
    changed: 0,
  });
}

export async function runMatrixCommand(io: CliIO, request: MatrixRequest): Promise<MatrixRow[]> {
  const strategies = request.strategies ?? [...MATRIX_STRATEGIES];
  const { base, explicit } = request;
  const started = performance.now();
  if (!request.json) {
    io.stdout.write(
      `matrix: ${WORLDS.length} worlds x ${strategies.length} strategies, ${base.torrents} torrents x ${base.days} d, seed ${base.seed}; ` +
        'torrents below target, time-averaged over the second half\n',
    );
    for (const w of WORLDS) io.stdout.write(`  ${w.name}: ${w.summary}\n`);
    io.stdout.write(`${OBSERVATION_NOTE}\n\n`);
  }
  const rows = await runMatrix(base, WORLDS, strategies, request.config, request.workers, explicit, (row) => {
    io.stderr.write(`${row.world}: done in ${(row.wallMs / 1000).toFixed(1)} s\n`);
  });
  const wallMs = performance.now() - started;
  const shadow = shadowTotals(rows);
  if (request.json) {
    const observation = {
      wholeFeed: true,
      shared: true,
      shadowEvery: MATRIX_SHADOW_EVERY,
      shadowTicks: shadow.ticks,
      changedByShortcut: shadow.changed,
    };
    io.stdout.write(`${JSON.stringify({ strategies, observation, wallMs, rows })}\n`);
    return rows;
  }
  io.stdout.write(
    `${formatMatrix(rows, strategies)}\n\nshadow run: ${shadow.ticks} node-ticks decided both ways, decisions changed by a shortcut: ${shadow.changed}\n` +
      `wall time ${(wallMs / 1000).toFixed(1)} s, on ${request.workers} worker thread(s)\n`,
  );
  return rows;
}
