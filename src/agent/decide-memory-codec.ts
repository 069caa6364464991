/**
 * The decisions' memory (herd estimates, usual swarm levels, stall progress, backoffs) as the
 * plain JSON the agent state keeps across restarts, pure. Bounded: the usual levels of at most
 * MAX_BASELINES swarms (the most recently counted) and of MAX_FEEDS feeds; the stall clocks
 * and backoffs are per held or backing-off torrent and bounded by the mirror itself. Decoding
 * validates with a schema; anything else (another version, a damaged file) is null, and the
 * caller starts from initialDecideMemory.
 */
import { z } from 'zod';
import { parseInfoHash, type InfoHash } from '../shared/index.js';
import type { DecideMemory } from './population.js';
import { SwarmLevels, type Baseline } from './swarm-levels.js';

export const DECIDE_MEMORY_VERSION = 3;
/** About 60 bytes each: 20,000 swarms keep the file near a megabyte. */
export const MAX_BASELINES = 20_000;
export const MAX_FEEDS = 1_000;
/** Backoffs and stall clocks beyond this many are dropped, soonest-ending first. */
export const MAX_TORRENT_ENTRIES = 20_000;

/** An info-hash in a state file, as the branded type. */
export const infoHashSchema = z.string().transform((raw, ctx) => {
  const h = parseInfoHash(raw);
  if (h === null) {
    ctx.addIssue({ code: 'custom', message: `not an info-hash: ${raw}` });
    return z.NEVER;
  }
  return h;
});
const count = z.number().finite().nonnegative();
const ms = z.number().finite();

const encodedSchema = z.object({
  version: z.literal(DECIDE_MEMORY_VERSION),
  bandwidthSummary: z.string().nullable(),
  herd: z.object({
    competitors: z.number().finite().min(1),
    updatedAtMs: ms.nullable(),
    startedAtMs: ms.nullable(),
    slowStartRate: z.number().finite().nonnegative().nullable(),
    ticks: z.number().int().nonnegative(),
    startedEmpty: z.boolean(),
    feedsSeenAt: z.array(z.tuple([z.string(), z.number().int().nonnegative()])).max(MAX_FEEDS),
    /** [info-hash, leechers, copies, excess leechers, excess copies, observed at ms, take gate, excess since ms] */
    baselines: z.array(z.tuple([infoHashSchema, count, count, count, count, ms, count, ms])).max(MAX_BASELINES),
    lastSample: z.object({ others: count, mine: count, atMs: ms }).nullable(),
  }),
  availability: z.object({
    progress: z.array(z.tuple([infoHashSchema, count, ms])).max(MAX_TORRENT_ENTRIES),
    backoffUntil: z.array(z.tuple([infoHashSchema, ms])).max(MAX_TORRENT_ENTRIES),
    observedAtMs: ms.nullable().optional(),
  }),
});

export type EncodedDecideMemory = z.input<typeof encodedSchema>;

export function encodeDecideMemory(memory: DecideMemory): EncodedDecideMemory {
  const { herd, availability } = memory;
  const baselines = [...herd.baselines]
    .sort((a, b) => b[1].observedAtMs - a[1].observedAtMs)
    .slice(0, MAX_BASELINES)
    .map(([h, b]): [string, number, number, number, number, number, number, number] => [
      h,
      b.leechers,
      b.copies,
      b.excessLeechers,
      b.excessCopies,
      b.observedAtMs,
      b.gate,
      b.excessSinceMs,
    ]);
  return {
    version: DECIDE_MEMORY_VERSION,
    bandwidthSummary: memory.bandwidthSummary,
    herd: {
      competitors: herd.competitors,
      updatedAtMs: herd.updatedAtMs,
      startedAtMs: herd.startedAtMs,
      slowStartRate: herd.slowStartRate,
      ticks: herd.ticks,
      startedEmpty: herd.startedEmpty,
      feedsSeenAt: [...herd.feedsSeenAt].slice(0, MAX_FEEDS),
      baselines,
      lastSample: herd.lastSample,
    },
    availability: {
      progress: [...availability.progress]
        .sort((a, b) => b[1].sinceMs - a[1].sinceMs)
        .slice(0, MAX_TORRENT_ENTRIES)
        .map(([h, p]): [string, number, number] => [h, p.leftBytes, p.sinceMs]),
      backoffUntil: [...availability.backoffUntil].sort((a, b) => b[1] - a[1]).slice(0, MAX_TORRENT_ENTRIES),
      observedAtMs: availability.observedAtMs,
    },
  };
}

/** The memory a state file holds, or null with why it cannot be used. */
export function decodeDecideMemory(raw: unknown): { memory: DecideMemory } | { memory: null; why: string } {
  const parsed = encodedSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { memory: null, why: issue === undefined ? 'unknown' : `${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  const { herd, availability, bandwidthSummary } = parsed.data;
  return {
    memory: {
      bandwidthSummary,
      herd: {
        competitors: herd.competitors,
        updatedAtMs: herd.updatedAtMs,
        startedAtMs: herd.startedAtMs,
        slowStartRate: herd.slowStartRate,
        ticks: herd.ticks,
        startedEmpty: herd.startedEmpty,
        feedsSeenAt: new Map(herd.feedsSeenAt),
        baselines: SwarmLevels.of(
          herd.baselines.map(
            ([h, leechers, copies, excessLeechers, excessCopies, observedAtMs, gate, excessSinceMs]): [InfoHash, Baseline] => [
              h,
              { leechers, copies, excessLeechers, excessCopies, observedAtMs, gate, excessSinceMs },
            ],
          ),
        ),
        lastSample: herd.lastSample,
      },
      availability: {
        progress: new Map(availability.progress.map(([h, leftBytes, sinceMs]) => [h, { leftBytes, sinceMs }])),
        backoffUntil: new Map(availability.backoffUntil),
        observedAtMs: availability.observedAtMs ?? null,
      },
    },
  };
}
