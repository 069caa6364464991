/**
 * The simulator behind `smartnode simulate`: a swarm of many nodes, each deciding with the
 * agent's own planTick, run against baseline strategies and reported as tables and plots.
 */
export { DEFAULT_SIM, SIM_START_MS, type SimOptions } from './model.js';
export { runStrategiesInWorkers } from './parallel.js';
export { createSimProgress, type SimProgress } from './progress.js';
export { formatSimLegend, formatSimTable, formatTargets, plotBelowTarget, simulateExitCode, targetsOf } from './report.js';
export type { SimMetrics } from './run.js';
export { isStrategyName, STRATEGIES, type StrategyName } from './strategies.js';
export type { SmartnodeStats } from './smartnode.js';
export { measureLoneFill, type LoneFill } from './lone-fill.js';
export { WORLDS, worldNamed, worldOptions, type WorldPreset } from './worlds.js';
export { MATRIX_SHADOW_EVERY, MATRIX_STRATEGIES, formatMatrix, runMatrix, type MatrixRow } from './matrix.js';
