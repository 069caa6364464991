/**
 * RSS 2.0 torrent feeds through rss-parser 3.13 `parseString` (never `parseURL`: we fetch
 * ourselves). Covers BEP 36 feeds (`<enclosure type="application/x-bittorrent">`, the
 * `torrent:` namespace, ezRSS's nested `<torrent>`), Academic Torrents `rss.xml`/`database.xml`
 * (unprefixed `infohash` and `size`, no enclosure: the .torrent is `<origin>/download/<hash>.torrent`),
 * SciOp need feeds (enclosures, no counts), and Nyaa's `nyaa:` namespace.
 *
 * Broken XML (recovery, not rejection): rss-parser is strict and one stray `&` fails the whole
 * document. Its lenient xml2js mode is no help: sax's loose mode upper-cases every tag and
 * attribute, so rss-parser no longer finds `<rss>`. Instead, on a strict failure we
 *   1. escape stray `&` (not starting an entity reference) and parse again, then
 *   2. salvage items: the `<item>...</item>` chunks are parsed in batches inside a minimal
 *      envelope, failing batches split until each broken item stands alone; a broken item is
 *      dropped with a warning naming it and the XML error.
 * Only when no item can be recovered does the feed fail, with FEED_PARSE and the parser's
 * line/column. So one bad item never drops the whole feed.
 *
 * Sizes: BEP 36 (2012 revision) says `enclosure@length` is the size of the .torrent file, not of
 * the content, so it is never used as the item size; `torrent:contentLength`, AT's `size` and
 * `media:content@fileSize` are. No size means null: the .torrent's own size decides later.
 */
import Parser from 'rss-parser';
import { SmartnodeError } from '../shared/index.js';
import { FeedItemCollector, parseDateMs, type ItemCandidate } from './item.js';
import type { ParsedFeed, ParseFeedOptions } from './types.js';

type XmlRecord = Record<string, unknown>;

const ITEM_FIELDS = [
  'infohash',
  'size',
  'category',
  'torrent',
  'torrent:infoHash',
  'torrent:contentLength',
  'torrent:seeds',
  'torrent:peers',
  'torrent:leechers',
  'torrent:magnetURI',
  'torrent:fileName',
  'torrent:trackers',
  'nyaa:infoHash',
  'nyaa:seeders',
  'nyaa:leechers',
  'nyaa:downloads',
  'media:content',
  'media:hash',
  // Content digests (src/feeds/digests.ts): whole content, and `<file path=".." sha256=".."/>` per file.
  'md5',
  'sha1',
  'sha256',
] as const;

function makeParser(): Parser<XmlRecord, XmlRecord> {
  // defaultRSS 2: feeds without `version` on <rss> are read as RSS 2.0.
  return new Parser<XmlRecord, XmlRecord>({
    defaultRSS: 2,
    customFields: { item: [...ITEM_FIELDS, ['file', 'digestFiles', { keepArray: true }]] },
  });
}

interface RssDocument {
  items: unknown[];
}

/**
 * A fresh parser per document: after an error, an xml2js parser that is reused accepts the
 * next broken document silently (observed with rss-parser 3.13 / xml2js 0.5).
 */
export async function parseDocument(xml: string): Promise<RssDocument> {
  const output: unknown = await makeParser().parseString(xml);
  const items = isRecord(output) && Array.isArray(output.items) ? output.items : [];
  return { items };
}

export async function parseRssFeed(text: string, options: ParseFeedOptions): Promise<ParsedFeed> {
  const collector = new FeedItemCollector('rss', options.feedId, options.feedUrl, options.maxItems);
  let document: RssDocument;
  try {
    document = await parseDocument(text);
  } catch (strictError) {
    // xml2js reads on to the end after an error, so each failed attempt costs a full parse:
    // retry whole only when there is something to repair.
    const repaired = escapeStrayAmpersands(text);
    try {
      if (repaired.count === 0) throw strictError;
      document = await parseDocument(repaired.text);
      collector.warn(-1, `feed ${options.feedId}: repaired ${repaired.count} stray '&' in invalid XML (${xmlErrorText(strictError)})`);
    } catch {
      document = await salvageItems(repaired.text, collector, options, strictError);
    }
  }
  addRawItems(document.items, 0, collector, options);
  return collector.result();
}

/**
 * Parses the `<item>`s in batches inside a minimal envelope; a batch that fails is split in
 * halves until the broken items stand alone (so a few bad items cost a few extra parses, not
 * one parser per item). Throws FEED_PARSE only when not a single item survives.
 */
async function salvageItems(
  text: string,
  collector: FeedItemCollector,
  options: ParseFeedOptions,
  strictError: unknown,
): Promise<RssDocument> {
  const chunks = text.match(/<item[\s>][\s\S]*?<\/item\s*>/g) ?? [];
  // Dropped items keep their position as null so indexes and warnings line up.
  const { items, failures } = await parseItemChunks(chunks, 0, collector);
  if (chunks.length === 0 || failures === chunks.length) {
    throw new SmartnodeError(
      'FEED_PARSE',
      `feed ${options.feedId}: not a readable RSS feed: ` +
        `${xmlErrorText(strictError)}${chunks.length === 0 ? '' : `; none of its ${chunks.length} items could be recovered`}`,
      {
        hint:
          'the server may have sent an HTML error page or a truncated file; ' +
          'open the feed URL in a browser, or fix the XML at the line shown',
        retryable: true,
        cause: strictError,
        details: { feedId: options.feedId },
      },
    );
  }
  collector.warn(
    -1,
    `feed ${options.feedId}: invalid XML (${xmlErrorText(strictError)}); recovered ${chunks.length - failures} of ${chunks.length} items`,
  );
  return { items };
}

/**
 * Parses `<item>` chunks in batches inside a minimal envelope; a batch that fails is split in
 * halves until the broken items stand alone (so a few bad items cost a few extra parses, not
 * one parser per item). A broken item is null in the result, warned about at its index
 * (`offset` + its position).
 */
export async function parseItemChunks(
  chunks: readonly string[],
  offset: number,
  collector: FeedItemCollector,
): Promise<{ items: unknown[]; failures: number }> {
  const items: unknown[] = [];
  let failures = 0;
  const parseRange = async (from: number, to: number): Promise<void> => {
    const batch = chunks.slice(from, to);
    try {
      const parsed = await parseDocument(`<rss version="2.0"><channel>${batch.join('')}</channel></rss>`);
      if (parsed.items.length !== batch.length) throw new Error(`${parsed.items.length} items from ${batch.length} chunks`);
      items.push(...parsed.items);
    } catch (error) {
      if (to - from > 1) {
        const middle = from + Math.ceil((to - from) / 2);
        await parseRange(from, middle);
        await parseRange(middle, to);
        return;
      }
      failures++;
      items.push(null);
      const title = /<title>([\s\S]*?)<\/title>/
        .exec(batch[0] ?? '')?.[1]
        ?.trim()
        .slice(0, 80);
      collector.warn(
        offset + from,
        `item ${offset + from}${title === undefined ? '' : ` ${JSON.stringify(decodeBasicEntities(title))}`}: ` +
          `dropped, invalid XML (${xmlErrorText(error)})`,
      );
    }
  };
  for (let from = 0; from < chunks.length; from += SALVAGE_BATCH) {
    await parseRange(from, Math.min(chunks.length, from + SALVAGE_BATCH));
  }
  return { items, failures };
}

/** Adds parsed items (null: dropped during salvage, already warned) from index `offset` on. */
export function addRawItems(raws: readonly unknown[], offset: number, collector: FeedItemCollector, options: ParseFeedOptions): void {
  raws.forEach((raw, i) => {
    const index = offset + i;
    if (raw === null) return;
    if (!isRecord(raw)) {
      collector.warn(index, `item ${index}: dropped, not an XML element`);
      return;
    }
    collector.add(index, toCandidate(raw, options));
  });
}

export const SALVAGE_BATCH = 512;

function decodeBasicEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos);/g, (_m, name: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" })[name] ?? '');
}

/**
 * Replaces `&` that does not start `&name;`, `&#123;` or `&#x1F;` with `&amp;`, leaving CDATA
 * sections and comments alone (a raw `&` is legal there, and magnet links live in CDATA).
 */
export function escapeStrayAmpersands(text: string): { text: string; count: number } {
  let count = 0;
  const out = text.replace(/<!\[CDATA\[[\s\S]*?\]\]>|<!--[\s\S]*?-->|&(?!(?:[A-Za-z][A-Za-z0-9._-]*|#\d+|#x[0-9A-Fa-f]+);)/g, (match) => {
    if (match !== '&') return match;
    count++;
    return '&amp;';
  });
  return { text: out, count };
}

function toCandidate(item: XmlRecord, options: ParseFeedOptions): ItemCandidate {
  const nested = isRecord(item.torrent) ? item.torrent : {};
  const enclosure = isRecord(item.enclosure) ? item.enclosure : {};
  const enclosureUrl = textOf(enclosure.url);
  const link = textOf(item.link);
  const guid = textOf(item.guid);
  const atHash = textOf(item.infohash);
  const magnets = [textOf(item['torrent:magnetURI']), childText(nested, 'magnetURI'), enclosureUrl, link].filter(
    (m): m is string => m !== null && /^magnet:\?/i.test(m.trim()),
  );
  const isHttpish = (u: string | null): u is string => u !== null && u.trim() !== '' && !/^magnet:/i.test(u.trim());
  let torrentUrl = isHttpish(enclosureUrl) ? enclosureUrl : isHttpish(link) && /\.torrent(\?|$)|\/download\//i.test(link) ? link : null;
  if (torrentUrl === null && atHash !== null) {
    const hash = atHash.trim().toLowerCase();
    // Root-relative: the collector resolves it against the feed URL's origin.
    torrentUrl = /^[0-9a-f]{40}$/.test(hash) ? `/download/${hash}.torrent` : null;
  }
  const fileName = textOf(item['torrent:fileName']) ?? childText(nested, 'fileName');
  const media = isRecord(item['media:content']) && isRecord(item['media:content'].$) ? item['media:content'].$ : {};
  const hasCounts =
    ['torrent:seeds', 'torrent:peers', 'torrent:leechers', 'nyaa:seeders', 'nyaa:leechers'].some((k) => item[k] !== undefined) ||
    childText(nested, 'seeds') !== null;
  return {
    infoHash:
      textOf(item['torrent:infoHash']) ??
      childText(nested, 'infoHash') ??
      childText(nested, 'infohash') ??
      atHash ??
      textOf(item['nyaa:infoHash']) ??
      textOf(item['media:hash']),
    infoHashSources: [...magnets, enclosureUrl, link, guid],
    name: textOf(item.title) ?? fileName?.replace(/\.torrent$/i, '') ?? null,
    size: textOf(item['torrent:contentLength']) ?? childText(nested, 'contentLength') ?? textOf(item.size) ?? textOf(media.fileSize),
    torrentUrl,
    magnetUri: magnets[0] ?? null,
    trackers: [...stringsIn(item['torrent:trackers']), ...stringsIn(nested.trackers)],
    counts: hasCounts
      ? {
          seeders: textOf(item['torrent:seeds']) ?? childText(nested, 'seeds') ?? textOf(item['nyaa:seeders']),
          // ezRSS/KAT `torrent:peers` is read as the leecher count (the feeds show it beside seeds).
          leechers:
            textOf(item['torrent:leechers']) ??
            textOf(item['torrent:peers']) ??
            childText(nested, 'peers') ??
            textOf(item['nyaa:leechers']),
          completed: textOf(item['nyaa:downloads']),
          observedAtMs: options.nowMs,
        }
      : null,
    publishedAtMs: parseDateMs(textOf(item.isoDate) ?? textOf(item.pubDate)),
    category: textOf(item.category),
    description: textOf(item.contentSnippet) ?? textOf(item.content),
    digests: {
      content: { md5: textOf(item.md5), sha1: textOf(item.sha1), sha256: textOf(item.sha256) },
      files: (Array.isArray(item.digestFiles) ? item.digestFiles : []).map((f: unknown) => {
        const attrs = isRecord(f) && isRecord(f.$) ? f.$ : {};
        return { path: textOf(attrs.path), digests: { md5: textOf(attrs.md5), sha1: textOf(attrs.sha1), sha256: textOf(attrs.sha256) } };
      }),
    },
  };
}

function isRecord(value: unknown): value is XmlRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** xml2js gives text as a string, `{_: text, $: attrs}`, or a one-element array of either. */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.length > 0 ? textOf(value[0]) : null;
  if (isRecord(value) && typeof value._ === 'string') return value._;
  return null;
}

function childText(parent: XmlRecord, key: string): string | null {
  return textOf(parent[key]);
}

/** Every string anywhere inside an xml2js value (tracker lists nest in groups). */
function stringsIn(value: unknown, depth = 0): string[] {
  if (depth > 6) return [];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap((v) => stringsIn(v, depth + 1));
  if (isRecord(value))
    return Object.entries(value)
      .filter(([k]) => k !== '$')
      .flatMap(([, v]) => stringsIn(v, depth + 1));
  return [];
}

export function xmlErrorText(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text
    .replace(/\s*\n\s*/g, ' ')
    .trim()
    .slice(0, 200);
}
