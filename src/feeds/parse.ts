/**
 * One entry point for every feed format: detect, then parse. Pure (text in, ParsedFeed out);
 * async only because rss-parser's `parseString` returns a promise.
 */
import { SmartnodeError } from '../shared/index.js';
import { createAtCsvParser, parseAtCollectionCsv } from './csv.js';
import { createJsonListParser, parseJsonTorrentList } from './json.js';
import { parseRssFeed } from './rss.js';
import { createRssStreamParser } from './rss-stream.js';
import type { FeedFormat, ParsedFeed, ParseFeedOptions } from './types.js';

/**
 * Guesses the format from the body first (it cannot lie), then the content type, then the
 * URL's extension. Throws FEED_UNSUPPORTED when nothing matches (an HTML page, say).
 */
export function detectFeedFormat(text: string, contentType: string | null, url: string): FeedFormat {
  const head = text
    .replace(/^\uFEFF/, '')
    .trimStart()
    .slice(0, 2048);
  if (/^(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*<(rss|rdf:RDF|feed)[\s>]/i.test(head)) return 'rss';
  if (head.startsWith('[') || head.startsWith('{')) return 'json';
  if (/^"?TYPE"?,"?NAME"?,"?INFOHASH"?/i.test(head)) return 'at-csv';
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (/\bhtml\b/.test(type) || /^<!doctype html|^<html[\s>]/i.test(head)) {
    throw new SmartnodeError(
      'FEED_UNSUPPORTED',
      `feed ${safePath(url)}: the server sent an HTML page, not a feed (content-type ${JSON.stringify(type)})`,
      {
        hint: 'check the feed URL (a login page or an error page is common when a cookie is missing or expired)',
      },
    );
  }
  if (/(rss|atom)\+xml|\/xml$/.test(type) || /^</.test(head)) return 'rss';
  if (/json/.test(type)) return 'json';
  if (/csv/.test(type)) return 'at-csv';
  const path = safePath(url).toLowerCase();
  if (/\.(xml|rss)$/.test(path)) return 'rss';
  if (path.endsWith('.json')) return 'json';
  if (path.endsWith('.csv')) return 'at-csv';
  throw new SmartnodeError(
    'FEED_UNSUPPORTED',
    `feed ${safePath(url)}: cannot tell the format (content-type ${JSON.stringify(type)}, ` +
      `body starts ${JSON.stringify(head.slice(0, 40))})`,
    {
      hint: "set the feed's format explicitly in the policy: rss, at-csv or json",
    },
  );
}

export async function parseFeed(text: string, options: ParseFeedOptions): Promise<ParsedFeed> {
  switch (options.format) {
    case 'rss':
      return parseRssFeed(text, options);
    case 'at-csv':
      return parseAtCollectionCsv(text, options);
    case 'json':
      return parseJsonTorrentList(text, options);
  }
}

/** A feed parser fed bytes as they arrive. */
export interface FeedStreamParser {
  push(bytes: Uint8Array): void | Promise<void>;
  end(): Promise<ParsedFeed>;
}

/**
 * CSV and JSON become items row by row, RSS item batch by item batch past a few MB (memory: the
 * items, never the whole text; rss-stream.ts).
 * `decoder` is the feed's charset (see feedTextDecoder).
 */
export function createFeedParser(options: ParseFeedOptions, decoder: InstanceType<typeof TextDecoder>): FeedStreamParser {
  switch (options.format) {
    case 'at-csv': {
      const csv = createAtCsvParser(options, decoder);
      return { push: (bytes) => csv.push(bytes), end: async () => csv.end() };
    }
    case 'json': {
      const json = createJsonListParser(options, decoder);
      return { push: (bytes) => json.push(bytes), end: async () => json.end() };
    }
    case 'rss':
      return createRssStreamParser(options, decoder);
  }
}

/** The URL's path only: enough to name the feed in a message, never a query with a key in it. */
function safePath(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '<invalid url>';
  }
}
