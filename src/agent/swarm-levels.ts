/**
 * The usual swarm levels of the herd memory (population.ts) as a table built once per tick
 * without an object or a map entry per swarm, pure.
 *
 * A table is read-only once built. Its swarms sit in slots: a hash -> slot index and, per slot,
 * the seven numbers of a Baseline in one Float64Array, and whether the slot holds a level this
 * tick. The next tick's table keeps the same index (shared, never written) and writes fresh
 * arrays, so a tick costs a lookup and seven stores per counted candidate. Hashes seen for the
 * first time go to a small index of additions, copied when it grows (the shared base stays as
 * it is) and merged into a new base when it is large; when most slots no longer hold a level
 * (swarms that left the candidates), the index is rebuilt from the present swarms only.
 *
 * It reads as a ReadonlyMap of the same Baselines, so the codec and tests see a map.
 */
import type { InfoHash } from '../shared/index.js';

export interface Baseline {
  leechers: number;
  copies: number;
  excessLeechers: number;
  excessCopies: number;
  observedAtMs: number;
  /** The largest excess of copies since it last was 0: what arrived in this episode (0: none). */
  gate: number;
  /** The count at which this episode's excess first showed (0: none). */
  excessSinceMs: number;
}

const FIELDS = 7;
const LEECHERS = 0;
const COPIES = 1;
const EXCESS_LEECHERS = 2;
const EXCESS_COPIES = 3;
const OBSERVED_AT = 4;
const GATE = 5;
const EXCESS_SINCE = 6;
/** Absent slots beyond twice the present ones and this many: the index is rebuilt. */
const SPARE_SLOTS = 1_024;

/** Hash -> slot: `base` shared between tables, `added` the slots after it (base.size onwards). */
interface SlotIndex {
  readonly base: ReadonlyMap<InfoHash, number>;
  readonly added: ReadonlyMap<InfoHash, number>;
}

const slotIn = (index: SlotIndex, hash: InfoHash): number => index.base.get(hash) ?? index.added.get(hash) ?? -1;

/**
 * The list a table was built for, with each position's slot and each slot's last position: the
 * next tick's list is mostly the same hashes in the same order, so its slots are found by
 * walking both lists, with an index lookup only where they part (and to find the place again).
 */
interface Listing {
  readonly hashes: readonly (InfoHash | null)[];
  readonly slots: Int32Array;
  readonly positionOf: Int32Array;
}

export class SwarmLevels implements ReadonlyMap<InfoHash, Baseline> {
  readonly #index: SlotIndex;
  /** FIELDS numbers per slot. */
  readonly #values: Float64Array;
  /** 1 where the slot holds a level. */
  readonly #present: Uint8Array;
  readonly size: number;
  /** The list this table was built for, or null. */
  readonly #listing: Listing | null;

  private constructor(index: SlotIndex, values: Float64Array, present: Uint8Array, size: number, listing: Listing | null = null) {
    this.#listing = listing;
    this.#index = index;
    this.#values = values;
    this.#present = present;
    this.size = size;
  }

  static empty(): SwarmLevels {
    return new SwarmLevels({ base: new Map(), added: new Map() }, new Float64Array(0), new Uint8Array(0), 0);
  }

  /** The table of these levels (a table is returned as it is; a map's later entries win, as in new Map(entries)). */
  static of(levels: ReadonlyMap<InfoHash, Baseline> | Iterable<readonly [InfoHash, Baseline]>): SwarmLevels {
    if (levels instanceof SwarmLevels) return levels;
    const base = new Map<InfoHash, number>();
    const rows: Baseline[] = [];
    for (const [hash, b] of levels) {
      const slot = base.get(hash);
      if (slot === undefined) {
        base.set(hash, rows.length);
        rows.push(b);
      } else rows[slot] = b;
    }
    const values = new Float64Array(rows.length * FIELDS);
    rows.forEach((b, slot) => {
      writeRow(values, slot, b.leechers, b.copies, b.excessLeechers, b.excessCopies, b.observedAtMs, b.gate, b.excessSinceMs);
    });
    return new SwarmLevels({ base, added: new Map() }, values, new Uint8Array(rows.length).fill(1), rows.length);
  }

  /** Whether a slot of this table's index holds a level. */
  holds(slot: number): boolean {
    return this.#present[slot] === 1;
  }

  /** The slot of a hash with a level, or -1. */
  slotOf(hash: InfoHash): number {
    const slot = slotIn(this.#index, hash);
    return slot >= 0 && this.#present[slot] === 1 ? slot : -1;
  }

  #field(slot: number, field: number): number {
    return this.#values[slot * FIELDS + field] as number;
  }

  /** One number of the level in a slot that holds one (slotOf). */
  leechers(slot: number): number {
    return this.#field(slot, LEECHERS);
  }
  copies(slot: number): number {
    return this.#field(slot, COPIES);
  }
  excessLeechers(slot: number): number {
    return this.#field(slot, EXCESS_LEECHERS);
  }
  excessCopies(slot: number): number {
    return this.#field(slot, EXCESS_COPIES);
  }
  observedAtMs(slot: number): number {
    return this.#field(slot, OBSERVED_AT);
  }
  gate(slot: number): number {
    return this.#field(slot, GATE);
  }
  excessSinceMs(slot: number): number {
    return this.#field(slot, EXCESS_SINCE);
  }

  get(hash: InfoHash): Baseline | undefined {
    const slot = this.slotOf(hash);
    if (slot < 0) return undefined;
    return {
      leechers: this.leechers(slot),
      copies: this.copies(slot),
      excessLeechers: this.excessLeechers(slot),
      excessCopies: this.excessCopies(slot),
      observedAtMs: this.observedAtMs(slot),
      gate: this.gate(slot),
      excessSinceMs: this.excessSinceMs(slot),
    };
  }

  has(hash: InfoHash): boolean {
    return this.slotOf(hash) >= 0;
  }

  /** A map of the levels, in slot order (the order the swarms were first counted). */
  toMap(): Map<InfoHash, Baseline> {
    const out = new Map<InfoHash, Baseline>();
    for (const index of [this.#index.base, this.#index.added])
      for (const [hash, slot] of index) {
        const b = this.#present[slot] === 1 ? this.get(hash) : undefined;
        if (b !== undefined) out.set(hash, b);
      }
    return out;
  }

  forEach(callback: (value: Baseline, key: InfoHash, map: ReadonlyMap<InfoHash, Baseline>) => void, thisArg?: unknown): void {
    for (const [hash, b] of this.toMap()) callback.call(thisArg, b, hash, this);
  }
  entries(): ReturnType<Map<InfoHash, Baseline>['entries']> {
    return this.toMap().entries();
  }
  keys(): ReturnType<Map<InfoHash, Baseline>['keys']> {
    return this.toMap().keys();
  }
  values(): ReturnType<Map<InfoHash, Baseline>['values']> {
    return this.toMap().values();
  }
  [Symbol.iterator](): ReturnType<Map<InfoHash, Baseline>['entries']> {
    return this.entries();
  }

  /**
   * The next tick's table, for these swarms (one per listed hash; null: not counted, no level).
   * Fill it with `set` per listed position, then `build`. Reads of this table stay valid.
   */
  next(hashes: readonly (InfoHash | null)[]): SwarmLevelsBuilder {
    return new SwarmLevelsBuilder(this, this.#index, this.#listing, hashes);
  }

  /** Internal to the builder: a table over these arrays. */
  static built(index: SlotIndex, values: Float64Array, present: Uint8Array, size: number, listing: Listing): SwarmLevels {
    return new SwarmLevels(index, values, present, size, listing);
  }
}

function writeRow(
  values: Float64Array,
  slot: number,
  l: number,
  c: number,
  el: number,
  ec: number,
  at: number,
  peak: number,
  since: number,
): void {
  const o = slot * FIELDS;
  values[o + LEECHERS] = l;
  values[o + COPIES] = c;
  values[o + EXCESS_LEECHERS] = el;
  values[o + EXCESS_COPIES] = ec;
  values[o + OBSERVED_AT] = at;
  values[o + GATE] = peak;
  values[o + EXCESS_SINCE] = since;
}

/**
 * The next table under construction: each listed position has its slot in the previous table
 * (`prevSlot`, -1 without a level there) and in the next one. A hash listed twice has one
 * slot, and the last `set` for it wins.
 */
export class SwarmLevelsBuilder {
  readonly prev: SwarmLevels;
  /** Every listed position has a hash (not null) and no two the same. */
  readonly unique: boolean;
  readonly #slots: Int32Array;
  readonly #prevSlots: Int32Array;
  readonly #index: SlotIndex;
  readonly #values: Float64Array;
  readonly #present: Uint8Array;
  readonly #size: number;

  readonly #hashes: readonly (InfoHash | null)[];

  /** `hashes` is kept, read and never written, for the next tick's walk (Listing). */
  constructor(prev: SwarmLevels, prevIndex: SlotIndex, listing: Listing | null, hashes: readonly (InfoHash | null)[]) {
    this.prev = prev;
    this.#hashes = hashes;
    const n = hashes.length;
    const slots = new Int32Array(n).fill(-1);
    const prevSlots = new Int32Array(n).fill(-1);
    const known = prevIndex.base.size + prevIndex.added.size;
    let added: Map<InfoHash, number> | null = null;
    let total = known;
    let j = 0;
    for (let i = 0; i < n; i++) {
      const hash = hashes[i];
      if (hash === null || hash === undefined) continue;
      let slot: number;
      if (listing !== null && listing.hashes[j] === hash) {
        slot = listing.slots[j] as number;
        j++;
      } else {
        slot = slotIn(prevIndex, hash);
        const at = slot >= 0 && listing !== null ? (listing.positionOf[slot] as number) : -1;
        if (at >= 0) j = at + 1;
      }
      if (slot >= 0) prevSlots[i] = prev.holds(slot) ? slot : -1;
      else {
        added ??= new Map(prevIndex.added);
        slot = added.get(hash) ?? -1;
        if (slot < 0) {
          slot = total++;
          added.set(hash, slot);
        }
      }
      slots[i] = slot;
    }
    const present = new Uint8Array(total);
    let size = 0;
    let unique = true;
    for (let i = 0; i < n; i++) {
      const slot = slots[i] as number;
      if (slot >= 0 && present[slot] === 0) {
        present[slot] = 1;
        size++;
      } else unique = false;
    }
    this.unique = unique;
    let index: SlotIndex = { base: prevIndex.base, added: added ?? prevIndex.added };
    if (total > 2 * size + SPARE_SLOTS) {
      // Most slots hold no level: a new index of the present swarms, in the order they are listed.
      const base = new Map<InfoHash, number>();
      for (let i = 0; i < n; i++) {
        const hash = hashes[i];
        if (hash === null || hash === undefined) continue;
        let slot = base.get(hash);
        if (slot === undefined) {
          slot = base.size;
          base.set(hash, slot);
        }
        slots[i] = slot;
      }
      index = { base, added: new Map() };
      total = base.size;
      present.fill(0);
      for (let i = 0; i < n; i++) if ((slots[i] as number) >= 0) present[slots[i] as number] = 1;
      this.#present = present.subarray(0, total).slice();
    } else {
      if (index.added.size > index.base.size / 8 + 64) {
        const base = new Map(index.base);
        for (const [hash, slot] of index.added) base.set(hash, slot);
        index = { base, added: new Map() };
      }
      this.#present = present;
    }
    this.#slots = slots;
    this.#prevSlots = prevSlots;
    this.#index = index;
    this.#values = new Float64Array(total * FIELDS);
    this.#size = size;
  }

  /** Slots of the next table: positions and hashes map into 0 .. slotCount - 1. */
  get slotCount(): number {
    return this.#present.length;
  }

  /** The next table's slot of the swarm at this position, or -1 (listed without a hash). */
  slotAt(i: number): number {
    return this.#slots[i] as number;
  }

  /** The next table's slot of a hash, or -1: listed or not, a hash with a slot has this one. */
  slotOf(hash: InfoHash): number {
    return slotIn(this.#index, hash);
  }

  /** The previous table's slot of the swarm at this position, or -1 (no level there). */
  prevSlot(i: number): number {
    return this.#prevSlots[i] as number;
  }

  set(
    i: number,
    leechers: number,
    copies: number,
    excessLeechers: number,
    excessCopies: number,
    observedAtMs: number,
    gate: number,
    excessSinceMs: number,
  ): void {
    const slot = this.#slots[i] as number;
    writeRow(this.#values, slot, leechers, copies, excessLeechers, excessCopies, observedAtMs, gate, excessSinceMs);
  }

  /** The excess leechers last set for the swarm at this position (0 when it has no slot). */
  excessLeechers(i: number): number {
    const slot = this.#slots[i] as number;
    return slot < 0 ? 0 : (this.#values[slot * FIELDS + EXCESS_LEECHERS] as number);
  }

  build(): SwarmLevels {
    const positionOf = new Int32Array(this.#present.length).fill(-1);
    for (let i = 0; i < this.#slots.length; i++) {
      const slot = this.#slots[i] as number;
      if (slot >= 0) positionOf[slot] = i;
    }
    return SwarmLevels.built(this.#index, this.#values, this.#present, this.#size, {
      hashes: this.#hashes,
      slots: this.#slots,
      positionOf,
    });
  }
}
