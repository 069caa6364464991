/**
 * JSON torrent lists in the style of Anna's Archive `torrents.json`: an array (or
 * `{ torrents: [...] }`) of objects with `btih, url, magnet_link, data_size, seeders, leechers,
 * completed, stats_scraped_at, obsolete, embargo`. Each element goes through a loose zod
 * schema; a bad element is dropped with a warning and the list survives. Pure.
 */
import { z } from 'zod';
import { SmartnodeError } from '../shared/index.js';
import { FeedItemCollector, parseDateMs } from './item.js';
import type { ParsedFeed, ParseFeedOptions } from './types.js';

const numberish = z.union([z.number(), z.string()]).nullish();
const textish = z.string().nullish();

/** Unknown keys are allowed (the list grows fields over time); known ones must have the right type. */
const jsonItemSchema = z.looseObject({
  btih: textish,
  info_hash: textish,
  infohash: textish,
  url: textish,
  torrent_url: textish,
  magnet_link: textish,
  magnet: textish,
  data_size: numberish,
  size: numberish,
  size_bytes: numberish,
  seeders: numberish,
  leechers: numberish,
  completed: numberish,
  stats_scraped_at: textish,
  added_to_torrents_list_at: textish,
  obsolete: z.boolean().nullish(),
  embargo: z.boolean().nullish(),
  display_name: textish,
  torrent_name: textish,
  name: textish,
  title: textish,
  trackers: z.array(z.string()).nullish(),
  published_at: textish,
  md5: textish,
  sha1: textish,
  sha256: textish,
  /** Per-file digests; an entry that is not an object is ignored, not fatal. */
  files: z.array(z.unknown()).nullish(),
});

const fileDigestSchema = z.looseObject({ path: textish, md5: textish, sha1: textish, sha256: textish });

const listSchema = z.union([z.array(z.unknown()), z.looseObject({ torrents: z.array(z.unknown()) })]);

export function parseJsonTorrentList(text: string, options: ParseFeedOptions): ParsedFeed {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SmartnodeError('FEED_PARSE', `feed ${options.feedId}: not valid JSON (${(error as Error).message})`, {
      hint: 'the server may have sent an error page or a truncated file; check the URL and try again',
      retryable: true,
      cause: error,
    });
  }
  const list = listSchema.safeParse(document);
  if (!list.success) {
    throw new SmartnodeError('FEED_PARSE', `feed ${options.feedId}: expected a JSON array of torrents or {"torrents": [...]}, got ${describeJson(document)}`, {
      hint: 'check that the URL points at a torrent list such as Anna\'s Archive torrents.json',
    });
  }
  const elements = Array.isArray(list.data) ? list.data : list.data.torrents;
  const collector = new FeedItemCollector('json', options.feedId, options.feedUrl);
  elements.forEach((element, index) => {
    const parsed = jsonItemSchema.safeParse(element);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined || issue.path.length === 0 ? 'the item' : issue.path.join('.');
      collector.warn(index, `item ${index}: dropped, ${where}: ${issue?.message ?? 'invalid'}`);
      return;
    }
    const item = parsed.data;
    const name = item.display_name ?? item.torrent_name ?? item.name ?? item.title;
    if (item.obsolete === true || item.embargo === true) {
      const why = item.obsolete === true ? 'marked obsolete' : 'under embargo';
      collector.warn(index, `item ${index} ${JSON.stringify(name ?? item.btih ?? '')}: skipped, ${why} by the list`);
      return;
    }
    const scrapedAtMs = parseDateMs(item.stats_scraped_at);
    collector.add(index, {
      infoHash: item.btih ?? item.info_hash ?? item.infohash,
      infoHashSources: [item.magnet_link, item.magnet, item.url, item.torrent_url],
      name,
      size: item.data_size ?? item.size_bytes ?? item.size,
      torrentUrl: item.url ?? item.torrent_url,
      magnetUri: item.magnet_link ?? item.magnet,
      trackers: item.trackers ?? [],
      counts: { seeders: item.seeders, leechers: item.leechers, completed: item.completed, observedAtMs: scrapedAtMs ?? options.nowMs },
      publishedAtMs: parseDateMs(item.published_at ?? item.added_to_torrents_list_at),
      digests: {
        content: { md5: item.md5, sha1: item.sha1, sha256: item.sha256 },
        files: (item.files ?? []).flatMap((raw) => {
          const file = fileDigestSchema.safeParse(raw);
          return file.success ? [{ path: file.data.path, digests: { md5: file.data.md5, sha1: file.data.sha1, sha256: file.data.sha256 } }] : [];
        }),
      },
    });
  });
  return collector.result();
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object with keys ${Object.keys(value).slice(0, 5).join(', ') || '(none)'}`;
  return `a ${typeof value}`;
}
