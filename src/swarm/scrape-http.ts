/**
 * HTTP tracker scrape, BEP 48: GET <scrape url>?info_hash=<20 raw bytes>&info_hash=...
 * answered by a bencoded dict `files{<20-byte hash>: {complete, incomplete, downloaded}}`
 * or `{failure reason: <text>}`.
 */
import {
  SmartnodeError,
  bencodeSafeInteger,
  binaryStringToBytes,
  discardBody,
  infoHashFromBytes,
  infoHashToBytes,
  isBDict,
  readBodyCapped,
} from '../shared/index.js';
import type { BDict, BencodeLimits, BValue, InfoHash } from '../shared/index.js';
import { decodeTrackerReply, scrapeFailure } from './scrape-failure.js';
import type { TrackerScrapeCounts, TrackerScrapeReply } from './types.js';

/** Hashes per request: 50 keep the URL near 3 KB even when every byte is escaped. */
export const HTTP_SCRAPE_MAX_HASHES = 50;
export const HTTP_SCRAPE_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
/** Trackers are untrusted: a reply costs at most 2 MB of reading and 200,000 values. */
const SCRAPE_BENCODE_LIMITS: BencodeLimits = { maxInputBytes: 2 * 1024 * 1024, maxDepth: 32, maxValues: 200_000 };

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface HttpScrapeOptions {
  timeoutMs: number;
  fetchImpl?: FetchLike;
  maxResponseBytes?: number;
}

/**
 * BEP 48: the scrape URL is the announce URL with the last path segment's leading
 * "announce" replaced by "scrape" (`/announce.php` -> `/scrape.php`). Anything else means the
 * tracker does not support scrape.
 */
export function deriveScrapeUrl(announceUrl: string): { url: string } | { reason: string } {
  let url: URL;
  try {
    url = new URL(announceUrl);
  } catch {
    return { reason: 'the tracker URL is not a valid URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { reason: `HTTP scrape needs an http(s) tracker, got ${url.protocol}` };
  }
  const slash = url.pathname.lastIndexOf('/');
  const last = url.pathname.slice(slash + 1);
  if (!last.startsWith('announce')) {
    return { reason: `the path does not end in "announce" (BEP 48), so the tracker has no scrape URL` };
  }
  url.pathname = `${url.pathname.slice(0, slash + 1)}scrape${last.slice('announce'.length)}`;
  url.hash = '';
  return { url: url.toString() };
}

/** Percent-encodes every byte except RFC 3986 unreserved characters. */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const unreserved =
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;
    out += unreserved ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function buildScrapeRequestUrl(scrapeUrl: string, hashes: readonly InfoHash[]): string {
  const params = hashes.map((h) => `info_hash=${percentEncodeBytes(infoHashToBytes(h))}`).join('&');
  const separator = scrapeUrl.includes('?') ? '&' : '?';
  return `${scrapeUrl}${separator}${params}`;
}

/** Sends one scrape request for at most HTTP_SCRAPE_MAX_HASHES hashes. Throws SCRAPE_FAILED. */
export async function fetchHttpScrapeBatch(
  announceUrl: string,
  hashes: readonly InfoHash[],
  options: HttpScrapeOptions,
): Promise<TrackerScrapeReply> {
  if (hashes.length > HTTP_SCRAPE_MAX_HASHES) {
    throw new SmartnodeError('INTERNAL', `HTTP scrape batch of ${hashes.length} hashes exceeds ${HTTP_SCRAPE_MAX_HASHES}`);
  }
  const derived = deriveScrapeUrl(announceUrl);
  if ('reason' in derived) return { kind: 'unsupported', reason: derived.reason };
  const fail = scrapeFailure(announceUrl, hashes.length);

  const fetchImpl: FetchLike = options.fetchImpl ?? fetch;
  const maxBytes = options.maxResponseBytes ?? HTTP_SCRAPE_MAX_RESPONSE_BYTES;
  let response: Response;
  try {
    response = await fetchImpl(buildScrapeRequestUrl(derived.url, hashes), {
      signal: AbortSignal.timeout(options.timeoutMs),
      redirect: 'follow',
      headers: { accept: 'text/plain, application/octet-stream, */*' },
    });
  } catch (error) {
    throw fail(describeFetchError(error, options.timeoutMs), error);
  }
  if (!response.ok) {
    await discardBody(response);
    throw fail(`HTTP status ${response.status}`);
  }
  let body: Uint8Array;
  try {
    body = await readBodyCapped(response, maxBytes, (over) =>
      fail(over.kind === 'declared'
        ? `the reply declares ${over.declaredBytes} bytes, over the ${over.maxBytes}-byte limit`
        : `the reply exceeds the ${over.maxBytes}-byte limit`));
  } catch (error) {
    if (error instanceof SmartnodeError) throw error;
    throw fail(describeFetchError(error, options.timeoutMs), error);
  }
  return { kind: 'counts', counts: parseScrapeReply(body, hashes, fail) };
}

/**
 * Reads the bencoded reply. Hashes the tracker did not mention are absent from the map; a
 * malformed entry for one hash is dropped (the others survive); a malformed document or a
 * `failure reason` throws via `fail`.
 */
export function parseScrapeReply(
  body: Uint8Array,
  requested: readonly InfoHash[],
  fail: (why: string) => Error,
): Map<InfoHash, TrackerScrapeCounts> {
  const root = decodeTrackerReply(body, SCRAPE_BENCODE_LIMITS, fail);
  const files = root.entries.get('files');
  if (!isBDict(files)) throw fail('the reply has no "files" dictionary');

  const wanted = new Set<string>(requested);
  const counts = new Map<InfoHash, TrackerScrapeCounts>();
  for (const [key, entry] of files.entries) {
    const hashBytes = fileKeyToHashBytes(key);
    if (hashBytes === null || !isBDict(entry)) continue;
    const hash = infoHashFromBytes(hashBytes);
    if (!wanted.has(hash) || (key.length !== 20 && counts.has(hash))) continue;
    const parsed = parseFileEntry(entry);
    if (parsed !== null) counts.set(hash, parsed);
  }
  return counts;
}

/**
 * A `files` key is the 20 raw hash bytes. bittorrent-tracker (10.0.12, the server our tests
 * run) writes them as JS "binary" strings that its bencode encoder UTF-8-encodes, so every
 * byte >= 0x80 arrives as two bytes: such a key is accepted when it is valid UTF-8 for 20
 * code points all below 0x100. An exact 20-byte key wins over a re-decoded one.
 */
function fileKeyToHashBytes(key: string): Uint8Array | null {
  if (key.length === 20) return binaryStringToBytes(key);
  if (key.length < 20 || key.length > 40) return null;
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(binaryStringToBytes(key));
  } catch {
    return null;
  }
  if (text.length !== 20) return null;
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) {
    const code = text.charCodeAt(i);
    if (code > 0xff) return null;
    out[i] = code;
  }
  return out;
}

function parseFileEntry(entry: BDict): TrackerScrapeCounts | null {
  const seeders = countOf(entry.entries.get('complete'));
  const leechers = countOf(entry.entries.get('incomplete'));
  if (seeders === null || leechers === null) return null;
  return { seeders, leechers, completed: countOf(entry.entries.get('downloaded')) };
}

/** A count: an integer in 0 .. 2^53, else null. */
function countOf(value: BValue | undefined): number | null {
  const n = bencodeSafeInteger(value);
  return n !== null && n >= 0 ? n : null;
}

function describeFetchError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return `no answer within ${timeoutMs} ms`;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const code = cause instanceof Error && 'code' in cause ? String(cause.code) : undefined;
  if (code !== undefined) return `network error ${code}`;
  return error instanceof Error ? `network error: ${error.message}` : 'network error';
}
