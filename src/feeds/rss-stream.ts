/**
 * RSS chunk by chunk. rss-parser (xml2js) builds the whole document as objects, which for a
 * feed near the default 50 MB cap does not fit the service's 256 MB heap (a title outside
 * Latin-1 makes the whole text two bytes a character). So:
 *
 * - up to RSS_WHOLE_DOCUMENT_MAX_CHARS of text, the feed is parsed whole, exactly as parseRssFeed
 *   does (strict first, then repair, then salvage);
 * - past it, complete `<item>...</item>` elements are taken from the text as it arrives and
 *   parsed SALVAGE_BATCH at a time inside a minimal envelope (a batch with a stray `&` is
 *   repaired, a broken batch is split until its broken items stand alone, as in salvage);
 *   memory then holds the items and one batch, never the document.
 * Pure (text in, ParsedFeed out), like rss.ts.
 */
import { SmartnodeError } from '../shared/index.js';
import { FeedItemCollector } from './item.js';
import { addRawItems, escapeStrayAmpersands, parseDocument, parseItemChunks, parseRssFeed, SALVAGE_BATCH, xmlErrorText } from './rss.js';
import type { ParsedFeed, ParseFeedOptions } from './types.js';

export const RSS_WHOLE_DOCUMENT_MAX_CHARS = 8 * 1024 * 1024;

type StreamDecoder = { decode(bytes?: Uint8Array, options?: { stream?: boolean }): string };

export function createRssStreamParser(
  options: ParseFeedOptions,
  decoder: StreamDecoder,
): { push(bytes: Uint8Array): Promise<void>; end(): Promise<ParsedFeed> } {
  let parts: string[] = [];
  let chars = 0;
  let batcher: RssItemBatcher | null = null;
  return {
    async push(bytes) {
      const text = decoder.decode(bytes, { stream: true });
      if (batcher !== null) return batcher.push(text);
      parts.push(text);
      chars += text.length;
      if (chars <= RSS_WHOLE_DOCUMENT_MAX_CHARS) return;
      batcher = new RssItemBatcher(options);
      const gathered = parts.join('');
      parts = [];
      await batcher.push(gathered);
    },
    async end() {
      const rest = decoder.decode();
      if (batcher !== null) {
        await batcher.push(rest);
        return batcher.end();
      }
      parts.push(rest);
      return parseRssFeed(parts.join(''), options);
    },
  };
}

const ITEM = /<item[\s>][\s\S]*?<\/item\s*>/g;

class RssItemBatcher {
  private pending = '';
  private chunks: string[] = [];
  private readonly collector: FeedItemCollector;
  private index = 0;
  private failures = 0;
  private repaired = 0;
  private firstError: unknown = null;

  constructor(private readonly options: ParseFeedOptions) {
    this.collector = new FeedItemCollector('rss', options.feedId, options.feedUrl, options.maxItems);
  }

  async push(text: string): Promise<void> {
    this.pending += text;
    ITEM.lastIndex = 0;
    let consumed = 0;
    for (let match = ITEM.exec(this.pending); match !== null; match = ITEM.exec(this.pending)) {
      this.chunks.push(match[0]);
      consumed = ITEM.lastIndex;
    }
    if (consumed > 0) this.pending = this.pending.slice(consumed);
    if (this.chunks.length >= SALVAGE_BATCH) await this.flush();
  }

  async end(): Promise<ParsedFeed> {
    await this.flush();
    const cut = /<item[\s>]/.test(this.pending);
    if (cut) this.collector.warn(this.index, `item ${this.index}: dropped, the feed ends inside it (the file looks truncated)`);
    if (this.index === 0) {
      throw new SmartnodeError(
        'FEED_PARSE',
        `feed ${this.options.feedId}: not a readable RSS feed: no complete <item> in ${RSS_WHOLE_DOCUMENT_MAX_CHARS}+ characters`,
        {
          hint: 'the server may have sent something else than an RSS feed; open the feed URL in a browser',
          retryable: true,
        },
      );
    }
    if (this.failures === this.index) {
      throw new SmartnodeError(
        'FEED_PARSE',
        `feed ${this.options.feedId}: not a readable RSS feed: ` +
          `none of its ${this.index} items could be read (${xmlErrorText(this.firstError)})`,
        {
          hint: 'the server may have sent a damaged file; fix the XML or try again later',
          retryable: true,
        },
      );
    }
    if (this.repaired > 0) this.collector.warn(-1, `feed ${this.options.feedId}: repaired ${this.repaired} stray '&' in invalid XML`);
    if (this.failures > 0)
      this.collector.warn(-1, `feed ${this.options.feedId}: invalid XML; recovered ${this.index - this.failures} of ${this.index} items`);
    return this.collector.result();
  }

  private async flush(): Promise<void> {
    while (this.chunks.length > 0) {
      const batch = this.chunks.splice(0, SALVAGE_BATCH);
      const offset = this.index;
      this.index += batch.length;
      const whole = await parseDocument(`<rss version="2.0"><channel>${batch.join('')}</channel></rss>`).then(
        (d) => d,
        (error: unknown) => {
          this.firstError ??= error;
          return null;
        },
      );
      if (whole !== null && whole.items.length === batch.length) {
        addRawItems(whole.items, offset, this.collector, this.options);
        continue;
      }
      const fixed = batch.map((chunk) => escapeStrayAmpersands(chunk));
      const count = fixed.reduce((n, f) => n + f.count, 0);
      const { items, failures } = await parseItemChunks(
        fixed.map((f) => f.text),
        offset,
        this.collector,
      );
      this.repaired += count;
      this.failures += failures;
      addRawItems(items, offset, this.collector, this.options);
    }
  }
}
