/**
 * What a node's decisions carry from one tick to the next, pure. Kept as one value the tick
 * returns and the loop passes back in (never a field written on the dependencies).
 */

export interface DecideMemory {
  /** The bandwidth rates last announced (an event goes out only when they change). */
  bandwidthSummary: string | null;
}

export function initialDecideMemory(): DecideMemory {
  return { bandwidthSummary: null };
}
