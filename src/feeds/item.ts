/**
 * Shared boundary checks for every feed format: a raw candidate (strings as the feed wrote
 * them) becomes a validated FeedItem, or is dropped with one warning naming the item.
 * Pure: no node:*, no clock (observation times come in with the candidate).
 */
import { parseInfoHash, redactUrl, SmartnodeError, type InfoHash } from '../shared/index.js';
import type { SwarmCounts } from '../swarm/index.js';
import { readDigests, type DigestCandidate } from './digests.js';
import type { FeedFormat, FeedItem, FeedWarning, ParsedFeed } from './types.js';

/** Anything larger is a typo or an attack, not a dataset (10 PB). */
export const MAX_ITEM_SIZE_BYTES = 10 * 1000 ** 5;
/** Counts above this are nonsense from a broken feed. */
const MAX_COUNT = 10_000_000;
const MAX_NAME_LENGTH = 1000;
const HEX40_IN_TEXT = /(?:^|[^0-9a-fA-F])([0-9a-fA-F]{40})(?:[^0-9a-fA-F]|$)/;

/** A feed item as the format parser found it, before validation. */
export interface ItemCandidate {
  /** The feed's explicit info-hash field, if it has one: when present it must be valid. */
  infoHash: string | null | undefined;
  /** Where else to look when there is no explicit field, best first (magnet, URLs, guid). */
  infoHashSources: Array<string | null | undefined>;
  name: string | null | undefined;
  /** Bytes, as a number or a digit string. */
  size: number | string | null | undefined;
  torrentUrl: string | null | undefined;
  magnetUri: string | null | undefined;
  trackers: Array<string | null | undefined>;
  counts: CountsCandidate | null;
  publishedAtMs: number | null;
  category?: string | null | undefined;
  description?: string | null | undefined;
  /** Content digests the item states (md5/sha1/sha256, whole content and per file). */
  digests?: DigestCandidate | null;
}

export interface CountsCandidate {
  seeders: number | string | null | undefined;
  leechers: number | string | null | undefined;
  completed: number | string | null | undefined;
  observedAtMs: number;
}

/** Warnings kept per feed; past this a feed of bad rows would cost memory by the row. */
export const MAX_FEED_WARNINGS = 1000;
/** Descriptions are kept this long: enough for the policy's include/exclude patterns, bounded in memory. */
export const MAX_DESCRIPTION_LENGTH = 2000;

/**
 * Collects items for one feed: validates, de-duplicates by info-hash, records warnings (the
 * first MAX_FEED_WARNINGS, then one that counts the rest), refuses a feed past `maxItems`.
 */
export class FeedItemCollector {
  private readonly items: FeedItem[] = [];
  private readonly seen = new Map<InfoHash, number>();
  private readonly warnings: FeedWarning[] = [];
  private warningsLeftOut = 0;

  constructor(
    private readonly format: FeedFormat,
    private readonly feedId: string,
    private readonly feedUrl: string,
    private readonly maxItems: number = Number.POSITIVE_INFINITY,
  ) {}

  warn(index: number, message: string): void {
    if (this.warnings.length < MAX_FEED_WARNINGS) this.warnings.push({ index, message });
    else this.warningsLeftOut++;
  }

  /** Validates one candidate; returns the item, or null when it was dropped (with a warning). */
  add(index: number, candidate: ItemCandidate): FeedItem | null {
    const label = describeCandidate(index, candidate);
    const explicit = candidate.infoHash?.trim() ?? '';
    const infoHash = explicit === '' ? firstInfoHash(candidate.infoHashSources) : parseInfoHash(explicit);
    if (infoHash === null) {
      this.warn(
        index,
        explicit === ''
          ? `${label}: dropped, no info-hash found (no info-hash field, magnet link or hash in the .torrent URL)`
          : `${label}: dropped, invalid info-hash ${JSON.stringify(clip(explicit))} (expected 40 hex or 32 base32 characters)`,
      );
      return null;
    }
    const name = (candidate.name ?? '').replace(/\s+/g, ' ').trim();
    if (name === '') {
      this.warn(index, `${label}: dropped, the item has no name/title`);
      return null;
    }
    const size = parseSize(candidate.size);
    if (!size.ok) {
      this.warn(index, `${label}: dropped, ${size.reason}`);
      return null;
    }
    const first = this.seen.get(infoHash);
    if (first !== undefined) {
      this.warn(index, `${label}: duplicate of item ${first} (info-hash ${infoHash}), kept the first`);
      return null;
    }
    if (this.items.length >= this.maxItems) throw tooManyItems(this.feedId, this.maxItems);
    const magnetUri = cleanMagnet(candidate.magnetUri);
    const trackers = uniqueTrackers([...candidate.trackers, ...trackersFromMagnet(magnetUri)]);
    const counts = candidate.counts === null ? null : this.toCounts(index, label, candidate.counts);
    const item: FeedItem = {
      infoHash,
      name: name.length > MAX_NAME_LENGTH ? `${name.slice(0, MAX_NAME_LENGTH)}…` : name,
      sizeBytes: size.value,
      torrentUrl: absoluteHttpUrl(candidate.torrentUrl, this.feedUrl),
      magnetUri,
      trackers,
      counts,
      publishedAtMs: candidate.publishedAtMs !== null && Number.isFinite(candidate.publishedAtMs) ? candidate.publishedAtMs : null,
    };
    const category = candidate.category?.trim();
    if (category !== undefined && category.length > 0) item.category = category.slice(0, MAX_NAME_LENGTH);
    const description = candidate.description?.trim();
    if (description !== undefined && description.length > 0) item.description = description.slice(0, MAX_DESCRIPTION_LENGTH);
    const digests = readDigests(candidate.digests ?? null, item.torrentUrl);
    for (const problem of digests.problems) this.warn(index, `${label}: ${problem}`);
    if (digests.digests !== null) item.digests = digests.digests;
    this.seen.set(infoHash, index);
    this.items.push(item);
    return item;
  }

  result(): ParsedFeed {
    if (this.warningsLeftOut === 0) return { format: this.format, items: this.items, warnings: this.warnings };
    const more = {
      index: -1,
      message: `${this.warningsLeftOut} more items were dropped or flagged; the first ${MAX_FEED_WARNINGS} are listed`,
    };
    return { format: this.format, items: this.items, warnings: [...this.warnings, more] };
  }

  private toCounts(index: number, label: string, raw: CountsCandidate): SwarmCounts | null {
    const seeders = parseCount(raw.seeders);
    const leechers = parseCount(raw.leechers);
    const completed = parseCount(raw.completed);
    if (seeders === undefined || leechers === undefined || completed === undefined) {
      this.warn(
        index,
        `${label}: ignored its swarm counts (seeders ${show(raw.seeders)}, leechers ${show(raw.leechers)}, ` +
          `completed ${show(raw.completed)}): expected whole numbers from 0 to ${MAX_COUNT}`,
      );
      return null;
    }
    if (seeders === null && leechers === null) return null;
    return {
      seeders: seeders ?? 0,
      leechers: leechers ?? 0,
      completed,
      source: 'feed',
      observedAtMs: raw.observedAtMs,
      origin: this.feedId,
    };
  }
}

/** The first source that holds an info-hash: itself, a magnet `xt=urn:btih:`, or 40 hex in a URL. */
export function firstInfoHash(sources: ReadonlyArray<string | null | undefined>): InfoHash | null {
  for (const source of sources) {
    if (source === null || source === undefined) continue;
    const found = infoHashIn(source);
    if (found !== null) return found;
  }
  return null;
}

export function infoHashIn(text: string): InfoHash | null {
  const direct = parseInfoHash(text);
  if (direct !== null) return direct;
  const btih = /[?&]xt=urn:btih:([0-9a-zA-Z]+)/i.exec(text);
  if (btih?.[1] !== undefined) return parseInfoHash(btih[1]);
  const hex = HEX40_IN_TEXT.exec(text);
  return hex?.[1] === undefined ? null : parseInfoHash(hex[1]);
}

type SizeResult = { ok: true; value: number | null } | { ok: false; reason: string };

function parseSize(raw: number | string | null | undefined): SizeResult {
  if (raw === null || raw === undefined) return { ok: true, value: null };
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  if (text === '') return { ok: true, value: null };
  if (!/^-?\d+$/.test(text)) return { ok: false, reason: `size ${show(raw)} is not a whole number of bytes` };
  const value = Number(text);
  if (value < 0) return { ok: false, reason: `size ${show(raw)} is negative` };
  if (!Number.isSafeInteger(value) || value > MAX_ITEM_SIZE_BYTES) {
    return { ok: false, reason: `size ${show(raw)} bytes is absurd (more than 10 PB)` };
  }
  return { ok: true, value };
}

/** null = absent, undefined = present but invalid. */
function parseCount(raw: number | string | null | undefined): number | null | undefined {
  if (raw === null || raw === undefined) return null;
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  if (text === '') return null;
  if (!/^\d+$/.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_COUNT ? value : undefined;
}

function cleanMagnet(raw: string | null | undefined): string | null {
  const text = raw?.trim() ?? '';
  return /^magnet:\?/i.test(text) ? text : null;
}

function trackersFromMagnet(magnet: string | null): string[] {
  if (magnet === null) return [];
  const params = new URLSearchParams(magnet.slice(magnet.indexOf('?') + 1));
  return params.getAll('tr');
}

/** Keeps announce URLs of the schemes a client can use, in order, without duplicates. */
export function uniqueTrackers(raw: ReadonlyArray<string | null | undefined>): string[] {
  const out: string[] = [];
  for (const entry of raw) {
    const text = entry?.trim() ?? '';
    if (!/^(udp|https?|wss?):\/\/[^\s]+$/i.test(text)) continue;
    if (!out.includes(text)) out.push(text);
  }
  return out;
}

/** Resolves `raw` against the feed URL; only http(s) results are kept. */
export function absoluteHttpUrl(raw: string | null | undefined, base: string): string | null {
  const text = raw?.trim() ?? '';
  if (text === '') return null;
  try {
    const url = new URL(text, base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/** A date as feeds write it (RFC 822, ISO 8601, unix seconds) -> ms since epoch, or null. */
export function parseDateMs(raw: string | number | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  if (typeof raw === 'number' || /^\d{9,11}$/.test(raw.trim())) {
    const seconds = Number(raw);
    return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : null;
  }
  const text = raw.trim();
  if (text === '') return null;
  // ISO date-times without a zone (Anna's Archive `stats_scraped_at`) are UTC.
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(text) ? `${text}Z` : text;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : null;
}

function describeCandidate(index: number, candidate: ItemCandidate): string {
  const name = candidate.name?.trim();
  if (name !== undefined && name !== '') return `item ${index} ${JSON.stringify(clip(name))}`;
  const url = candidate.torrentUrl?.trim();
  if (url !== undefined && url !== '') return `item ${index} (${redactUrl(url)})`;
  return `item ${index}`;
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function show(raw: unknown): string {
  return typeof raw === 'string' ? JSON.stringify(clip(raw)) : String(raw);
}

function tooManyItems(feedId: string, maxItems: number): SmartnodeError {
  return new SmartnodeError('FEED_TOO_LARGE', `feed ${feedId} lists more than ${maxItems} items, the limit (limits.feedMaxItems)`, {
    hint:
      'every listed item is weighed each tick (about 3 KB of memory each): raise limits.feedMaxItems in the policy ' +
      "together with the service's heap (NODE_OPTIONS=--max-old-space-size=...), or use a smaller collection",
    retryable: false,
  });
}
