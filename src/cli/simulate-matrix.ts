/**
 * `smartnode simulate --matrix`: runs every named world against every strategy (the matrix's
 * strategies unless --strategies is given), notes each world on stderr as it finishes, and
 * prints one row per world and the total wall time; `--json` prints every row's options and
 * metrics instead.
 */
import type { AgentConfig } from '../agent/index.js';
import { MATRIX_STRATEGIES, WORLDS, formatMatrix, runMatrix, type MatrixRow, type SimOptions, type StrategyName } from '../sim/index.js';
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
 * What every smartnode node observes: the whole feed, as the agent does. No shorter list is
 * passed, so there is no shortcut for a shadow run to check: decisions changed by one, 0.
 */
export const OBSERVATION_NOTE =
  'observation: every node is given the whole feed, as the agent observes it; no shortcut, so decisions changed by a shortcut: 0';

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
  if (request.json) {
    io.stdout.write(
      `${JSON.stringify({ strategies, observation: { wholeFeed: true, shortcut: null, changedByShortcut: 0 }, wallMs, rows })}\n`,
    );
    return rows;
  }
  io.stdout.write(
    `${formatMatrix(rows, strategies)}\n\nwall time ${(wallMs / 1000).toFixed(1)} s, smartnode on ${request.workers} worker thread(s)\n`,
  );
  return rows;
}
