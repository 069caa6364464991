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

/** Nesting deeper than this is not a torrent list. */
const MAX_DEPTH = 256;

export function parseJsonTorrentList(text: string, options: ParseFeedOptions): ParsedFeed {
  const parser = createJsonListParser(options);
  parser.push(new TextEncoder().encode(text));
  return parser.end();
}

/**
 * The same, chunk by chunk: a byte scanner finds each element of the list (the root array, or
 * the array under the root's "torrents" key) and only that element is decoded and parsed, so
 * memory holds the items and one element, never the document.
 */
export function createJsonListParser(
  options: ParseFeedOptions,
  decoder: { decode(bytes: Uint8Array): string } = new TextDecoder(),
): { push(bytes: Uint8Array): void; end(): ParsedFeed } {
  const collector = new FeedItemCollector('json', options.feedId, options.feedUrl, options.maxItems);
  const scanner = new JsonListScanner(
    (bytes, index) => {
      let element: unknown;
      try {
        element = JSON.parse(decoder.decode(bytes));
      } catch (error) {
        throw invalidJson(options, (error as Error).message);
      }
      addElement(collector, element, index, options);
    },
    (why) => invalidJson(options, why),
  );
  return {
    push: (bytes) => scanner.push(bytes),
    end: () => {
      const shape = scanner.end();
      if (shape.kind !== 'list') {
        throw new SmartnodeError(
          'FEED_PARSE',
          `feed ${options.feedId}: expected a JSON array of torrents or {"torrents": [...]}, got ${shape.described}`,
          {
            hint: "check that the URL points at a torrent list such as Anna's Archive torrents.json",
          },
        );
      }
      return collector.result();
    },
  };
}

function invalidJson(options: ParseFeedOptions, why: string): SmartnodeError {
  return new SmartnodeError('FEED_PARSE', `feed ${options.feedId}: not valid JSON (${why})`, {
    hint: 'the server may have sent an error page or a truncated file; check the URL and try again',
    retryable: true,
  });
}

function addElement(collector: FeedItemCollector, element: unknown, index: number, options: ParseFeedOptions): void {
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
        return file.success
          ? [{ path: file.data.path, digests: { md5: file.data.md5, sha1: file.data.sha1, sha256: file.data.sha256 } }]
          : [];
      }),
    },
  });
}

const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}

type ListShape = { kind: 'list' } | { kind: 'other'; described: string };

/**
 * Finds the byte range of each element of the torrent list. Checks the structure it walks
 * (brackets match, strings end, nothing after the root); each element is then parsed strictly.
 */
class JsonListScanner {
  private readonly stack: number[] = [];
  private inString = false;
  private escaped = false;
  private rootKind: 'array' | 'object' | 'scalar' | null = null;
  /** Depth whose elements are list items (1: a root array, 2: the root's "torrents" array); -1 none yet. */
  private listDepth = -1;
  private listSeen = false;
  private expectingKey = false;
  private key: number[] | null = null;
  private readonly keys: string[] = [];
  private valueOfTorrents = false;
  private element: Uint8Array = new Uint8Array(4096);
  private elementLength = -1;
  private index = 0;
  private ended = false;

  constructor(
    private readonly onElement: (bytes: Uint8Array, index: number) => void,
    private readonly fail: (why: string) => Error,
  ) {}

  push(chunk: Uint8Array): void {
    let copyFrom = this.elementLength >= 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (b === BACKSLASH) this.escaped = true;
        else if (b === QUOTE) this.endString();
        else if (this.key !== null && this.key.length < 64) this.key.push(b);
        continue;
      }
      if (isSpace(b)) continue;
      if (this.ended) throw this.fail('unexpected text after the end of the document');
      const depth = this.stack.length;
      if (this.valueOfTorrents && b !== COLON) {
        this.valueOfTorrents = false;
        if (b === OPEN_ARRAY && depth === 1) {
          this.listDepth = 2;
          this.listSeen = true;
        }
      }
      if (depth === this.listDepth && depth > 0 && this.stack[depth - 1] === OPEN_ARRAY) {
        if (b === COMMA || b === CLOSE_ARRAY) {
          if (this.elementLength >= 0) {
            this.appendElement(chunk.subarray(copyFrom, i));
            this.emitElement();
            copyFrom = -1;
          } else if (b === COMMA) {
            throw this.fail('an empty element in the list');
          }
        } else if (this.elementLength < 0) {
          // An element of the list starts at its first byte at the list's depth.
          this.elementLength = 0;
          copyFrom = i;
        }
      }
      if (b === QUOTE) {
        this.inString = true;
        if (depth === 0) this.startRoot('scalar');
        if (depth === 1 && this.rootKind === 'object' && this.expectingKey) this.key = [];
      } else if (b === OPEN_ARRAY || b === OPEN_OBJECT) {
        if (depth === 0) this.startRoot(b === OPEN_ARRAY ? 'array' : 'object');
        if (depth >= MAX_DEPTH) throw this.fail(`nested deeper than ${MAX_DEPTH} levels`);
        this.stack.push(b);
        if (this.stack.length === 1 && b === OPEN_ARRAY) {
          this.listDepth = 1;
          this.listSeen = true;
        }
        if (this.stack.length === 1 && b === OPEN_OBJECT) this.expectingKey = true;
      } else if (b === CLOSE_ARRAY || b === CLOSE_OBJECT) {
        const open = this.stack.pop();
        if (open !== (b === CLOSE_ARRAY ? OPEN_ARRAY : OPEN_OBJECT)) throw this.fail(`unexpected "${String.fromCharCode(b)}"`);
        if (this.stack.length === this.listDepth - 1) this.listDepth = -1;
        if (this.stack.length === 0) this.ended = true;
      } else if (b === COMMA) {
        if (depth === 1 && this.rootKind === 'object') this.expectingKey = true;
      } else if (depth === 0) {
        this.startRoot('scalar');
      }
    }
    if (this.elementLength >= 0 && copyFrom >= 0) this.appendElement(chunk.subarray(copyFrom));
  }

  end(): ListShape {
    if (this.inString || this.stack.length > 0) throw this.fail('the text ends inside the document: was it cut off?');
    if (this.rootKind === null) throw this.fail('the document is empty');
    if (this.listSeen) return { kind: 'list' };
    if (this.rootKind === 'object') return { kind: 'other', described: `an object with keys ${this.keys.join(', ') || '(none)'}` };
    return { kind: 'other', described: 'a single value' };
  }

  private startRoot(kind: 'array' | 'object' | 'scalar'): void {
    if (this.rootKind !== null) return;
    this.rootKind = kind;
  }

  private endString(): void {
    this.inString = false;
    if (this.key === null) return;
    const name = String.fromCharCode(...this.key);
    this.key = null;
    this.expectingKey = false;
    if (this.keys.length < 5) this.keys.push(name);
    if (name === 'torrents') this.valueOfTorrents = true;
  }

  private appendElement(bytes: Uint8Array): void {
    const needed = this.elementLength + bytes.length;
    if (needed > this.element.length) {
      const grown = new Uint8Array(Math.max(needed, this.element.length * 2));
      grown.set(this.element.subarray(0, this.elementLength));
      this.element = grown;
    }
    this.element.set(bytes, this.elementLength);
    this.elementLength = needed;
  }

  private emitElement(): void {
    const bytes = this.element.subarray(0, this.elementLength);
    this.elementLength = -1;
    this.onElement(bytes, this.index++);
    if (this.element.length > 1 << 20) this.element = new Uint8Array(4096);
  }
}
