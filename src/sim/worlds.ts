/**
 * The named worlds of `smartnode simulate --world NAME` and of the matrix: each changes a few
 * options of the base world (the defaults, or what the flags set) and says so in a sentence.
 * Every world's disk is a multiple of the same need, so a world with fewer volunteers gives
 * each more (the same total disk).
 */
import type { SimOptions } from './model.js';

export interface WorldPreset {
  name: string;
  summary: string;
  options: Partial<SimOptions>;
}

export const WORLDS: readonly WorldPreset[] = [
  { name: 'many', summary: '200 nodes, disk 1.5x the need, all start at once', options: { nodes: 200, diskMultiple: 1.5 } },
  { name: 'late-joiners', summary: '200 nodes arriving over the first week', options: { nodes: 200, arrivalDays: 7 } },
  {
    name: 'churn',
    summary: '200 nodes, 5 % leave each day (data gone), replaced by empty nodes',
    options: { nodes: 200, churnPerDay: 0.05 },
  },
  { name: 'scarce', summary: '200 nodes, disk 0.3x the need', options: { nodes: 200, diskMultiple: 0.3 } },
  { name: 'abundant', summary: '200 nodes, disk 5x the need', options: { nodes: 200, diskMultiple: 5 } },
  { name: 'few-5', summary: '5 volunteers, the same total disk', options: { nodes: 5 } },
  { name: 'few-20', summary: '20 volunteers, the same total disk', options: { nodes: 20 } },
  {
    name: 'flash-crowd',
    summary: '50 torrents get 200 extra outside leechers for 2 days (from day 2)',
    options: { nodes: 200, flashCrowd: { torrents: 50, leechers: 200, startDay: 2, days: 2 } },
  },
  {
    name: 'no-counts',
    summary: '30 % of torrents never counted (feed counts null, scrapes fail)',
    options: { nodes: 200, uncountedShare: 0.3 },
  },
  {
    name: 'mixed',
    summary: "half the nodes run Academic Torrents' add-all script, half the strategy under test",
    options: { nodes: 200, mixed: { share: 0.5, strategy: 'add-all-that-fits' } },
  },
  { name: 'agent-tick', summary: "200 nodes on the agent's default 15-minute tick", options: { nodes: 200, tickMinutes: 15 } },
];

export function worldNamed(name: string): WorldPreset | undefined {
  return WORLDS.find((w) => w.name === name);
}

/**
 * A world's options: the base, the preset over it, and then what was set explicitly (flags
 * given on the command line win over the preset).
 */
export function worldOptions(base: SimOptions, preset: WorldPreset, explicit: Partial<SimOptions> = {}): SimOptions {
  return { ...base, ...preset.options, ...explicit };
}
