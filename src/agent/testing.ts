/** Builders for agent tests. */
import { GB, HOUR_MS, aPlanPolicy } from '../plan/testing.js';
import type { AgentConfig } from './config.js';

/** An agent mirroring into /srv/mirror with a 3 GB budget; counts good for 2 h, no probes. */
export function anAgentConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  return {
    label: 'smartnode',
    downloadDir: '/srv/mirror',
    maxCountAgeMs: 2 * HOUR_MS,
    maxTorrentProbesPerTick: 0,
    trackerStatsIntervalMs: HOUR_MS,
    planPolicy: aPlanPolicy({ maxBytes: 3 * GB }),
    ...overrides,
  };
}
