/**
 * The policy keys of the need signals beyond swarm counts: `scoring.geography`, `scoring.slowDownloads`,
 * `scoring.herd`, and the top-level `geo` (this node's country, CIDR overrides) and
 * `announceProbe` sections. Pure. Built by schema.ts with its unit fields. The defaults and
 * why they are what they are: src/plan/score.ts (DEFAULT_SIGNALS) and README "How it decides".
 */
import { z } from 'zod';
import { isCountryCode } from '../shared/index.js';

type UnitSchema = z.ZodType<number, string | number>;
export interface SignalUnitFields {
  rate: () => UnitSchema;
  duration: () => UnitSchema;
}

const countryCode = () =>
  z
    .string()
    .transform((s) => s.toUpperCase())
    .refine(isCountryCode, { error: (iss) => `expected an ISO 3166 country code like "DE", got ${JSON.stringify(iss.input)}` });

const cidr = () => z.string().regex(/^[0-9a-fA-F:.]+(\/\d{1,3})?$/, 'expected a CIDR like "10.0.0.0/8" or an address');

export function buildScoringSignalKeys(u: SignalUnitFields) {
  return {
    geography: z
      .strictObject({
        enabled: z
          .boolean()
          .default(true)
          .describe("Score where the peers sit (needs peer addresses: the daemon's peers, announce probes)."),
        weight: z
          .number()
          .min(0)
          .max(10)
          .default(0.5)
          .describe('A swarm in one country and continent scores 1 + weight times one spread evenly.'),
        targetCountries: z
          .number()
          .int()
          .min(1)
          .max(250)
          .default(5)
          .describe('Peers spread evenly over this many countries count as fully spread.'),
        targetContinents: z.number().int().min(1).max(7).default(3).describe('Copies on this many continents count as fully spread.'),
        newCountryBonus: z.number().min(0).max(10).default(0.1).describe("Added when this node's country has no peer in the swarm yet."),
        newContinentBonus: z.number().min(0).max(10).default(0.2).describe("Added instead when this node's continent has none."),
      })
      .prefault({})
      .describe('Geographic spread: data in one country is one event away from loss.'),
    slowDownloads: z
      .strictObject({
        enabled: z.boolean().default(true).describe("Score how fast the swarm's downloaders get the data."),
        weight: z.number().min(0).max(10).default(0.5).describe('A swarm whose downloads stand still scores 1 + weight times a fast one.'),
        targetRate: u.rate().prefault('1 MB/s').describe('Downloads at this mean rate or faster are not slow.'),
        window: u.duration().prefault('2d').describe("Scrape history used for Little's law (W = L / lambda)."),
        minSpan: u.duration().prefault('1h').describe('The history must span at least this long before it is used.'),
        peerPollsPerTick: z
          .number()
          .int()
          .min(0)
          .max(10_000)
          .default(50)
          .describe('Held torrents whose peers are read per tick (each poll asks for these torrents only).'),
      })
      .prefault({})
      .describe('Slow downloads: a seeder added where downloaders crawl helps most.'),
    herd: z
      .strictObject({
        enabled: z.boolean().default(true).describe('Herd avoidance: leave part of a deficit to other smartnodes.'),
        expectedNodes: z
          .number()
          .min(1)
          .max(1_000_000)
          .default(1)
          .describe(
            'Smartnodes (this one included) assumed to read the same feeds and counts. 1: ' +
              'none known, only ties are broken. Err high rather than low.',
          ),
        jitter: z
          .number()
          .min(0)
          .max(0.2)
          .default(0.02)
          .describe('Per-node, per-torrent score jitter (0.02 = 2%): breaks near-ties differently on every node.'),
        redrawInterval: u
          .duration()
          .prefault('6h')
          .refine((ms) => ms >= 60_000, 'must be at least 1m')
          .describe('Every node draws anew this often, so a deficit no node was drawn for is not left unfilled.'),
        adaptive: z
          .boolean()
          .default(true)
          .describe(
            'Learn from the swarms at hand: copies already on their way, the nodes taking the same torrents as this one ' +
              '(measured beside its own picks), and a take gate per swarm that opens while no copy arrives; ' +
              'start an empty mirror or a new feed slowly; expectedNodes is then a lower bound.',
          ),
        slowStartAdds: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .default(4)
          .describe(
            'Slow start: needy torrents taken at the first tick of an empty mirror or a new feed, doubling each tick for 3 ticks at most, until the first estimate.',
          ),
      })
      .prefault({})
      .describe('Many independent smartnodes must not all take the same needy torrent.'),
    availability: z
      .strictObject({
        noSourceShare: z
          .number()
          .min(0)
          .max(1)
          .default(0.1)
          .describe('Share of the disk budget that may wait on torrents with no source (no complete seeder, no web seed).'),
        stalledAfter: u.duration().prefault('1d').describe('A download that made no progress this long is removed (STALLED).'),
        backoff: u.duration().prefault('3d').describe('A torrent removed as stalled is not taken again for this long.'),
      })
      .prefault({})
      .describe('Downloads that can finish: the budget goes to torrents with a source.'),
  };
}

export const geoSchema = z
  .strictObject({
    country: z
      .union([z.literal('auto'), countryCode()])
      .default('auto')
      .describe(
        'This node\'s country (ISO code) for the new-country bonus, or "auto": detected from the address trackers report seeing us at.',
      ),
    overrides: z
      .array(
        z.strictObject({
          cidr: cidr().describe('A network like "10.1.0.0/16" or one address.'),
          country: countryCode().describe('The ISO country code its peers count as.'),
        }),
      )
      .default([])
      .describe('CIDR -> country for private networks (private and loopback addresses are otherwise unknown).'),
  })
  .describe('Where peers (and this node) are.');

export function buildAnnounceProbeSchema(u: SignalUnitFields) {
  return z
    .strictObject({
      enabled: z
        .boolean()
        .default(true)
        .describe(
          "Announce to trackers (started, then stopped) to learn where a candidate's peers are. Off: geography only for held torrents.",
        ),
      interval: u
        .duration()
        .prefault('6h')
        .refine((ms) => ms >= 60_000, 'must be at least 1m')
        .describe('At most one probe per torrent per interval.'),
      maxPerTick: z.number().int().min(0).max(10_000).default(50).describe('New probes per tick, neediest candidates first.'),
      requestsPerSecond: z
        .number()
        .gt(0)
        .max(100)
        .default(2)
        .describe(
          'Without a request budget, announce requests per second; the agent paces probes by requestBudget, with scrapes and downloads.',
        ),
      numwant: z.number().int().min(1).max(200).default(50).describe('Peers asked for per probe.'),
    })
    .describe('Tracker announce probes for candidates the daemon does not hold.');
}
