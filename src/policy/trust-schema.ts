/**
 * Policy sections for data you can trust (scheduled re-verification) and data you can give
 * (`smartnode publish`). Built with the schema's unit fields, like the other section builders.
 */
import { z } from 'zod';

interface TrustUnitFields {
  duration: () => z.ZodType<number, string | number>;
  rate: () => z.ZodType<number, string | number>;
}

const announceUrl = () =>
  z.string().refine((u) => URL.canParse(u) && /^(https?|udp):$/.test(new URL(u).protocol), {
    error: (iss) => `expected a tracker announce URL (http, https or udp), got ${JSON.stringify(iss.input)}`,
  });
const webSeedUrl = () =>
  z.string().refine((u) => URL.canParse(u) && /^https?:$/.test(new URL(u).protocol), {
    error: (iss) => `expected an http(s) URL where the dataset is served (BEP 19), got ${JSON.stringify(iss.input)}`,
  });

export function buildIntegritySchema(u: TrustUnitFields) {
  return z
    .strictObject({
      reverifyEvery: u
        .duration()
        .prefault('90d')
        .describe(
          "Re-check every owned torrent's data through the daemon's verify this often, " +
            'longest-unverified first, one at a time; 0 turns it off.',
        ),
      readRate: u
        .rate()
        .optional()
        .describe(
          'Disk-read budget for re-verification: after a verify of S bytes the next ' +
            'waits S / readRate. Content digests are hashed within it too. Unset: no budget.',
        ),
    })
    .describe(
      'Data you can trust: feed digests are checked on completion; owned data is re-verified on a schedule, ' +
        "never in the bandwidth schedule's busy windows (those that lower a rate).",
    );
}

export function buildPublishSchema() {
  return z
    .strictObject({
      dir: z
        .string()
        .refine((p) => p.startsWith('/') && !p.split('/').includes('..'), 'expected an absolute path like "/srv/feeds/lab" (no "..")')
        .optional()
        .describe(
          'Directory `smartnode publish` writes into: feed.xml (RSS 2.0), feed.json and torrents/<infohash>.torrent. Serve it over HTTP.',
        ),
      baseUrl: webSeedUrl().optional().describe('The URL that `dir` is served at (the .torrent links in the feed are below it).'),
      title: z.string().min(1).default('smartnode datasets').describe('Title of the published feed.'),
      announce: z
        .array(announceUrl())
        .default([])
        .describe('Tracker announce URLs put into published torrents (the --announce flag adds more).'),
      webSeeds: z
        .array(webSeedUrl())
        .default([])
        .describe('Web seeds (BEP 19 url-list) put into published torrents (the --web-seed flag adds more).'),
    })
    .describe(
      'Data you can give: `smartnode publish PATH` makes a torrent of a dataset, ' +
        'seeds it in place and lists it in a feed other smartnodes read.',
    );
}
