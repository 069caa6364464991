/**
 * Pure: one torrent's copies now against the seeder target, as a bar of one cell per copy the
 * target asks for: "█" another seeder's copy, "▓" this node's full copy, "▒" this node's copy
 * still downloading, "·" a copy missing. `2+1/5` says the same in figures; a swarm over its
 * target shows `+` past the last cell.
 */

/** Cells at most: a larger target is drawn to this scale. */
const MAX_CELLS = 10;

export interface CopiesInput {
  /** Seeders besides this node; null: not counted. */
  others: number | null;
  /** This node's copy: none, downloading (0..1 done) or complete. */
  ours: { done: number } | null;
  target: number;
}

export function copiesBar({ others, ours, target }: CopiesInput): string {
  if (others === null || target < 1) return '?';
  const cells = Math.min(MAX_CELLS, Math.round(target));
  const scale = cells / target;
  const oursCells = ours === null ? 0 : 1;
  const othersCells = Math.min(cells - oursCells, Math.round(others * scale));
  const oursChar = ours === null ? '' : ours.done >= 1 ? '▓' : '▒';
  const missing = Math.max(0, cells - othersCells - oursCells);
  const over = others + (ours === null ? 0 : ours.done) > target ? '+' : ' ';
  const mine = ours === null ? '' : ours.done >= 1 ? '+1' : `+${ours.done.toFixed(1).replace(/^0/, '')}`;
  return `${'█'.repeat(othersCells)}${oursChar}${'·'.repeat(missing)}${over}${others}${mine}/${target}`;
}
