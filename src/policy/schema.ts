/**
 * The policy file's schema: the one place that says what a policy may contain. Types come only
 * from z.infer. Input side (what a person writes): sizes and durations as text ("500 GB", "3d");
 * output side (`Policy`): sizes in bytes, durations in milliseconds. Every object is strict, so
 * a typo in a key is an error rather than a silently ignored setting. Pure.
 */
import { z } from 'zod';
import { redactUrl } from '../shared/index.js';
import { parseDuration, parseRate, parseSize } from './units.js';
import { buildBandwidthSchema } from './bandwidth-schema.js';
import { buildAnnounceProbeSchema, buildScoringSignalKeys, geoSchema } from './signals-schema.js';
import { buildIntegritySchema, buildPublishSchema } from './trust-schema.js';
import { buildMetricsSchema, buildNotifySchema } from './ops-schema.js';

export const POLICY_VERSION = 1;

/** Kinds of value the reference documentation names, kept in the JSON Schema as `x-kind`. */
type ValueKind = 'size' | 'duration' | 'rate';
type TextKind = 'path' | 'env-name';
const textKind = (kind: TextKind) => ({ 'x-kind': kind });

function describeInput(input: unknown): string {
  if (typeof input === 'string') return JSON.stringify(input);
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'a list';
  return typeof input === 'object' ? 'a mapping' : String(input);
}

function unitField(kind: ValueKind, parse: (v: unknown) => ReturnType<typeof parseSize>, example: string) {
  return z
    .union([z.string(), z.number()], {
      error: (iss) =>
        iss.input === undefined ? 'missing (required)' : `expected a ${kind} like "${example}", got ${describeInput(iss.input)}`,
    })
    .transform((raw, ctx) => {
      const result = parse(raw);
      if (result.ok) return result.value;
      ctx.addIssue({ code: 'custom', message: result.error, input: raw });
      return z.NEVER;
    })
    .meta({ 'x-kind': kind });
}

const size = () => unitField('size', parseSize, '500 GB');
const duration = () => unitField('duration', parseDuration, '15m');
const rate = () => unitField('rate', parseRate, '10 MB/s');

function showUrl(input: unknown): string {
  if (typeof input !== 'string') return describeInput(input);
  return URL.canParse(input) ? JSON.stringify(redactUrl(input)) : describeInput(input);
}

function url(schemes: RegExp, expected: string, credentialsHint: string) {
  return z
    .url({
      protocol: schemes,
      error: (iss) => (iss.input === undefined ? 'missing (required)' : `expected ${expected}, got ${showUrl(iss.input)}`),
    })
    .refine((value) => {
      // A URL of the wrong scheme already has its own issue; one message per mistake.
      if (!URL.canParse(value)) return true;
      const parsed = new URL(value);
      return !schemes.test(parsed.protocol.slice(0, -1)) || (parsed.username === '' && parsed.password === '');
    }, `credentials in the URL are not allowed: ${credentialsHint}`);
}

const httpUrl = (credentialsHint: string) => url(/^https?$/, 'an http(s) URL', credentialsHint);

const absolutePath = () =>
  z
    .string()
    .refine((p) => p.startsWith('/') && !p.split('/').includes('..'), {
      error: (iss) => `expected an absolute path like "/srv/smartnode" (no ".."), got ${describeInput(iss.input)}`,
    })
    .meta(textKind('path'));

// Never echo the value: a person who mistakes this for the password field would see it printed.
const envName = () =>
  z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected the NAME of an environment variable (letters, digits and _), not its value')
    .meta(textKind('env-name'));

const nodeSchema = z
  .strictObject({
    stateDir: absolutePath()
      .optional()
      .describe('Directory for the agent state (owned torrents, intents). Absolute. The CLI flag --state-dir overrides it.'),
    label: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected a label of 1-64 letters, digits, ".", "_" or "-"')
      .default('smartnode')
      .describe(
        'Label (Transmission) or tag (qBittorrent) the agent puts on every torrent it adds; torrents without it are never touched.',
      ),
  })
  .describe('This node: where its state lives and how it marks what it owns.');

const daemonSchema = z
  .strictObject({
    client: z
      .enum(['transmission', 'qbittorrent'])
      .default('transmission')
      .describe('Which BitTorrent client the agent drives: transmission-daemon (RPC) or qbittorrent-nox (WebUI API v2).'),
    url: httpUrl('set username and passwordEnv or passwordFile').describe(
      'Transmission RPC endpoint, e.g. http://127.0.0.1:9091/transmission/rpc; for qBittorrent the WebUI, e.g. http://127.0.0.1:8080.',
    ),
    username: z
      .string()
      .min(1)
      .optional()
      .describe(
        'RPC (or qBittorrent WebUI) user name, if the daemon requires authentication. qBittorrent 5.2+ without a username: the password secret is its WebUI API key.',
      ),
    passwordEnv: envName()
      .optional()
      .describe(
        "Name of the environment variable holding the daemon's password (RPC or WebUI; qBittorrent 5.2+ without a username: its API key). Never write the password itself here.",
      ),
    passwordFile: absolutePath()
      .optional()
      .describe("Absolute path of a file holding the daemon's password or API key (one line). Exclusive with passwordEnv."),
    timeout: duration().prefault('10s').describe('Time limit for one call to the daemon (RPC or WebUI).'),
    protocol: z
      .enum(['auto', 'legacy', 'json-rpc'])
      .default('auto')
      .describe(
        'Transmission RPC dialect: auto asks the daemon (JSON-RPC 2.0 from Transmission 4.1.0, the old protocol before); legacy or json-rpc force one. Not used with qBittorrent.',
      ),
  })
  .superRefine(
    (daemon, ctx) => {
      const raw: unknown = daemon;
      if (typeof raw !== 'object' || raw === null) return;
      if ('passwordEnv' in raw && raw.passwordEnv !== undefined && 'passwordFile' in raw && raw.passwordFile !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['passwordFile'],
          message: 'passwordEnv and passwordFile are exclusive: keep one',
        });
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  )
  .describe('The BitTorrent client the agent drives (transmission-daemon or qbittorrent-nox).');

const storageSchema = z
  .strictObject({
    downloadDir: absolutePath().describe('Absolute directory the agent downloads into. The agent owns what it adds here and nothing else.'),
    maxBytes: size()
      .refine((n) => n > 0, 'must be more than 0 bytes')
      .describe('Disk budget: the committed size of all owned torrents stays at or under this.'),
    minFreeBytes: size().prefault('50 GB').describe('Always leave at least this much free on the download filesystem.'),
    spareFill: z
      .number()
      .min(0)
      .max(1)
      .default(0.9)
      .describe(
        'Share of the budget the agent fills with spare copies of well-seeded torrents (the least replicated first) once the needy ones it may take are taken, so donated disk is not left idle; spare copies give way first when a needy torrent needs room. 0 turns it off.',
      ),
    pins: z
      .array(
        z
          .string()
          .regex(/^[0-9a-fA-F]{40}$/, 'expected a 40-character hex info-hash')
          .transform((h) => h.toLowerCase()),
      )
      .default([])
      .describe('Info-hashes of owned torrents never evicted (in addition to pins set from the dashboard).'),
  })
  .describe('How much disk the agent may use, and where.');

const pattern = z.string().refine((text) => {
  try {
    new RegExp(text, 'iu');
    return true;
  } catch {
    return false;
  }
}, 'expected a regular expression (JavaScript syntax, matched without regard to case)');

const feedFilterSchema = z
  .strictObject({
    categories: z
      .array(z.string().min(1))
      .optional()
      .describe(
        'Only these categories (Academic Torrents: Dataset, Course, Paper...), without regard to case; an item without a category passes.',
      ),
    include: z.array(pattern).optional().describe('Only items whose name or description matches one of these patterns.'),
    exclude: z.array(pattern).default([]).describe('Never items whose name or description matches one of these patterns.'),
    minSize: size().optional().describe('Only items at least this large.'),
    maxSize: size().optional().describe('Only items at most this large.'),
    minAge: duration()
      .optional()
      .describe("Only items published at least this long ago (the feed's date, else the .torrent's creation date): new uploads wait."),
  })
  .describe('Per-feed choices; an item they turn away is skipped with the reason, like every other decision.');

const feedSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9_-]{1,64}$/, 'expected an id of 1-64 lowercase letters, digits, "-" or "_"')
      .describe('Short unique name for the feed, used in logs, state and explanations.'),
    url: httpUrl('use cookieEnv for credentials').describe('Where to fetch the feed (http or https).'),
    format: z
      .enum(['auto', 'rss', 'at-csv', 'json'])
      .default('auto')
      .describe('Feed format: rss, at-csv (Academic Torrents collection CSV), json, or auto to detect it.'),
    cookieEnv: envName()
      .optional()
      .describe('Name of the environment variable holding the Cookie header ("uid=..;pass=..") sent with the feed and its .torrent files.'),
    maxBytes: size().optional().describe('Quota for this feed: committed bytes of its torrents stay at or under this.'),
    maxTorrents: z.number().int().min(1).optional().describe('At most this many torrents from this feed.'),
    trackers: z
      .array(url(/^(https?|udp)$/, 'a tracker URL (http, https or udp)', 'put no secrets in tracker URLs'))
      .default([])
      .describe("Extra announce URLs to scrape for swarm counts of this feed's torrents."),
    share: z
      .number()
      .gt(0, 'must be more than 0 (leave it out for no share limit)')
      .max(1, 'must be at most 1 (a fraction of the disk budget, like 0.25)')
      .optional()
      .describe('Share of the disk budget this feed may use, as a fraction (0.25 = a quarter); combined with maxBytes, the smaller wins.'),
    weight: z
      .number()
      .gt(0, 'must be more than 0 (disable the feed to ignore it)')
      .max(100)
      .default(1)
      .describe("Priority of this feed's torrents: their need per GB is multiplied by it (a torrent in several feeds takes the largest)."),
    enabled: z.boolean().default(true).describe('Set false to keep the feed in the file but ignore it.'),
    filter: feedFilterSchema
      .optional()
      .describe("What this feed's volunteer wants from it; a torrent any of its feeds accepts is considered."),
  })
  .describe('A feed of torrents to consider for mirroring.');

const feedsSchema = z
  .array(feedSchema)
  .min(1, 'expected at least one feed')
  .superRefine(
    (feeds, ctx) => {
      const seen = new Set<string>();
      feeds.forEach((feed: unknown, index) => {
        if (typeof feed !== 'object' || feed === null || !('id' in feed) || typeof feed.id !== 'string') return;
        if (seen.has(feed.id)) {
          ctx.addIssue({ code: 'custom', path: [index, 'id'], message: `duplicate feed id "${feed.id}": ids must be unique` });
        }
        seen.add(feed.id);
      });
    },
    // Also when some feed has other problems (the default skips the check then): a duplicate is
    // worth reporting in the same run. Items may then be partial, hence the `unknown` guards.
    { when: (payload) => Array.isArray(payload.value) },
  )
  .describe('Feeds to read. At least one.');

const scoringSchema = z
  .strictObject({
    targetSeeders: z
      .number()
      .int()
      .min(1)
      .default(5)
      .describe('Seeder scarcity is measured against this: a torrent with this many seeders or more needs no help.'),
    leecherWeight: z.number().min(0).max(100).default(0.5).describe("How much current demand (leechers) adds to a torrent's need."),
    replaceMargin: z
      .number()
      .min(0)
      .max(10)
      .default(0.2)
      .describe('Hysteresis: a held torrent is replaced only by one scoring this fraction higher (0.2 = 20%).'),
    minSeedTime: duration().prefault('3d').describe('Never evict a torrent before it has seeded this long.'),
    ...buildScoringSignalKeys({ rate, duration }),
  })
  .describe('How torrents are scored by how much the swarm needs them.');

const intervalsSchema = z
  .strictObject({
    tick: duration()
      .prefault('15m')
      .refine((ms) => ms >= 1000, 'must be at least 1s')
      .describe('How often the agent reconciles (observe, plan, apply).'),
    feedRefresh: duration()
      .prefault('1h')
      .refine((ms) => ms >= 10_000, 'must be at least 10s')
      .describe('How often each feed is fetched again.'),
    scrape: duration()
      .prefault('30m')
      .refine((ms) => ms >= 10_000, 'must be at least 10s')
      .describe('How often swarm counts are refreshed from trackers.'),
  })
  .describe('How often things happen.');

const limitsSchema = z
  .strictObject({
    feedMaxBytes: size().prefault('50 MB').describe('Largest feed download accepted; a bigger feed is refused.'),
    feedMaxItems: z
      .number()
      .int()
      .min(1)
      .default(50_000)
      .describe(
        'A feed listing more torrents is refused (its last good copy is kept). Each listed torrent is weighed every tick, ' +
          "about 3 KB of memory each: 50,000 fits the service unit's 256 MB heap with room to spare.",
      ),
    torrentFileMaxBytes: size().prefault('10 MB').describe('Largest .torrent file accepted.'),
    rpcAnswerMaxBytes: size()
      .prefault('64 MiB')
      .describe("Largest answer accepted from the daemon's RPC (refused while reading); 64 MiB holds a full poll of ~20,000 torrents."),
    fetchTimeout: duration().prefault('30s').describe('Time limit for one feed or .torrent download.'),
    maxAddsPerTick: z.number().int().min(1).default(10).describe('At most this many torrents are added per tick.'),
    maxEvictFraction: z
      .number()
      .gt(0)
      .max(1)
      .default(0.5)
      .describe(
        'A plan that would remove more than this fraction of the mirror (by bytes) ' +
          'at once waits for confirmation (run --yes, or the dashboard); disk-reserve evictions never wait.',
      ),
  })
  .describe('Safety limits on downloads and on how fast the agent acts.');

const scrapeSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Ask trackers for swarm counts the feeds do not carry.'),
    requestsPerSecond: z
      .number()
      .gt(0)
      .max(100)
      .default(2)
      .describe('Read by older smartnodes; scrapes are paced by requestBudget, with probes and downloads to the same site.'),
  })
  .describe('Tracker scrapes (BEP 48 over HTTP, BEP 15 over UDP).');

const requestBudgetSchema = z
  .strictObject({
    perSite: z
      .number()
      .gt(0)
      .max(100)
      .default(5)
      .describe(
        'Requests per second to any one site not listed under sites (scrapes, announce probes, .torrent and feed downloads together).',
      ),
    sites: z
      .record(
        z.string().regex(/^[a-z0-9.-]+$/, 'expected a host name like academictorrents.com (lowercase, no scheme or port)'),
        z.number().gt(0).max(100),
      )
      .default({ 'academictorrents.com': 0.5 })
      .describe(
        'Requests per second per site, by host name (a name covers its subdomains: academictorrents.com ' +
          'also paces ipv6.academictorrents.com). Academic Torrents answers 429 to faster scans: 0.5 is one request every 2 s.',
      ),
  })
  .describe(
    'One request budget per site, shared by everything smartnode sends to it; "slow down" answers (429, Retry-After) pause the site.',
  );

export const policySchema = z
  .strictObject({
    version: z
      .literal(POLICY_VERSION, { error: () => `expected ${POLICY_VERSION}, the only policy version this smartnode reads` })
      .default(POLICY_VERSION)
      .describe('Policy file format version. Always 1.'),
    node: nodeSchema.prefault({}),
    daemon: daemonSchema,
    storage: storageSchema,
    feeds: feedsSchema,
    scoring: scoringSchema.prefault({}),
    intervals: intervalsSchema.prefault({}),
    limits: limitsSchema.prefault({}),
    scrape: scrapeSchema.prefault({}),
    requestBudget: requestBudgetSchema.prefault({}),
    bandwidth: buildBandwidthSchema({ size, rate }).prefault({}),
    geo: geoSchema.prefault({}),
    announceProbe: buildAnnounceProbeSchema({ rate, duration }).prefault({}),
    integrity: buildIntegritySchema({ rate, duration }).prefault({}),
    publish: buildPublishSchema().prefault({}),
    metrics: buildMetricsSchema({ duration, envName }).prefault({}),
    notify: buildNotifySchema({ duration, envName }).prefault({}),
  })
  .meta({
    title: 'smartnode policy',
    description: 'A smartnode policy: what to mirror, within which limits, through which daemon.',
  });

/** What the agent works with: sizes in bytes, durations in milliseconds, defaults filled in. */
export type Policy = z.output<typeof policySchema>;
/** What a person may write in the YAML file. */
export type PolicyInput = z.input<typeof policySchema>;
export type FeedPolicy = Policy['feeds'][number];
export type FeedFilterPolicy = NonNullable<FeedPolicy['filter']>;
export type FeedFormat = FeedPolicy['format'];
export type DaemonPolicy = Policy['daemon'];
export type StoragePolicy = Policy['storage'];
export type ScoringPolicy = Policy['scoring'];
export type IntervalsPolicy = Policy['intervals'];
export type LimitsPolicy = Policy['limits'];
export type ScrapePolicy = Policy['scrape'];
export type RequestBudgetPolicy = Policy['requestBudget'];
export type BandwidthPolicy = Policy['bandwidth'];
export type GeoPolicy = Policy['geo'];
export type AnnounceProbePolicy = Policy['announceProbe'];
export type IntegrityPolicy = Policy['integrity'];
export type PublishPolicy = Policy['publish'];
export type MetricsPolicy = Policy['metrics'];
export type NotifyPolicy = Policy['notify'];
