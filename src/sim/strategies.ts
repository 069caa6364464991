/** Every strategy `smartnode simulate` knows, by name. */
import type { AgentConfig } from '../agent/index.js';
import { addAllThatFits, annasArchive, libgenSeedtools, noNodes, uniformRandom, type Strategy } from './baselines.js';
import type { World } from './model.js';
import { smartnodeStrategy } from './smartnode.js';

export const STRATEGIES = [
  'smartnode',
  'add-all-that-fits',
  'annas-archive-daily',
  'annas-archive-once',
  'libgen-seedtools',
  'uniform-random',
  'no-smartnodes',
] as const;
export type StrategyName = (typeof STRATEGIES)[number];

/** The shipped scripts the targets compare with. */
export const SHIPPED_SCRIPTS: readonly StrategyName[] = [
  'add-all-that-fits',
  'annas-archive-daily',
  'annas-archive-once',
  'libgen-seedtools',
];

export function isStrategyName(name: string): name is StrategyName {
  return (STRATEGIES as readonly string[]).includes(name);
}

export function createStrategy(name: StrategyName, config: AgentConfig, world: World): Strategy {
  switch (name) {
    case 'smartnode':
      return smartnodeStrategy(config, { torrents: world.sizes.length });
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
    case 'no-smartnodes':
      return noNodes();
  }
}
