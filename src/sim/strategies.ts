/** Every strategy `smartnode simulate` knows, by name. */
import type { AgentConfig } from '../agent/index.js';
import { SmartnodeError } from '../shared/index.js';
import { addAllThatFits, annasArchive, libgenSeedtools, noNodes, uniformRandom, type Strategy } from './baselines.js';
import { keepAt } from './keep-at.js';
import type { SimOptions, World } from './model.js';
import { smartnodeStrategy } from './smartnode.js';

export const STRATEGIES = [
  'smartnode',
  'add-all-that-fits',
  'annas-archive-daily',
  'annas-archive-once',
  'libgen-seedtools',
  'uniform-random',
  'keep-at',
  'no-smartnodes',
] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** The shipped scripts the targets compare with. */
export const SHIPPED_SCRIPTS: readonly StrategyName[] = [
  'add-all-that-fits',
  'annas-archive-daily',
  'annas-archive-once',
  'libgen-seedtools',
  'keep-at',
];

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGIES as readonly string[]).includes(name);
}

export function createStrategy(name: StrategyName, config: AgentConfig, world: World): Strategy {
  return name === 'smartnode'
    ? smartnodeStrategy(config, { torrents: world.sizes.length, shadowEvery: world.options.shadowEvery })
    : createScript(name);
}

/** A script: every strategy but smartnode, none of which reads the agent's config. */
export function createScript(name: Exclude<StrategyName, 'smartnode'>): Strategy {
  switch (name) {
    case 'add-all-that-fits':
      return addAllThatFits();
    case 'annas-archive-daily':
      return annasArchive('daily');
    case 'annas-archive-once':
      return annasArchive('once');
    case 'libgen-seedtools':
      return libgenSeedtools();
    case 'uniform-random':
      return uniformRandom();
    case 'keep-at':
      return keepAt();
    case 'no-smartnodes':
      return noNodes();
  }
}

/**
 * The strategy of the nodes that run another one than the strategy under test (a mixed
 * population), or null without one: a script, which needs no agent config.
 */
export function mixedStrategyOf(options: Pick<SimOptions, 'mixed'>): Strategy | null {
  const name = options.mixed?.strategy;
  if (name === undefined) return null;
  if (!isStrategyName(name) || name === 'smartnode') {
    throw new SmartnodeError('INTERNAL', `the mixed population's other strategy "${name}" is not a script`, {
      hint: `use one of ${STRATEGIES.filter((s) => s !== 'smartnode').join(', ')}`,
    });
  }
  return createScript(name);
}
