/**
 * HTTP tracker scrape, BEP 48: GET <scrape url>?info_hash=<20 raw bytes>&info_hash=...
 * answered by a bencoded dict `files{<20-byte hash>: {complete, incomplete, downloaded}}`
 * or `{failure reason: <text>}`.
 */
import {
  SmartnodeError,
  bencodeSafeInteger,
  binaryStringToBytes,
  httpRequest,
  HttpReadError,
  infoHashFromBytes,
  infoHashToBytes,
  isBDict,
} from '../shared/index.js';
import type { BDict, BencodeLimits, BValue, HttpTransport, InfoHash } from '../shared/index.js';
import { decodeTrackerReply, rateLimited, scrapeFailure } from './scrape-failure.js';
import type { TrackerScrapeCounts, TrackerScrapeReply } from './types.js';

/** Hashes per request: 50 keep the URL near 3 KB even when every byte is escaped. */
export const HTTP_SCRAPE_MAX_HASHES = 50;
export const HTTP_SCRAPE_MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
/** Trackers are untrusted: a reply costs at most 2 MB of reading and 200,000 values. */
const SCRAPE_BENCODE_LIMITS: BencodeLimits = { maxInputBytes: 2 * 1024 * 1024, maxDepth: 32, maxValues: 200_000 };

/** Redirects a tracker may send us through before its reply, within the same deadline. */
export const TRACKER_MAX_REDIRECTS = 3;

export interface HttpScrapeOptions {
  timeoutMs: number;
  transport?: HttpTransport;
  maxResponseBytes?: number;
  /** Abandons the request at once. */
  signal?: AbortSignal;
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
      (b >= 0x30 && b <= 0x39) ||
      (b >= 0x41 && b <= 0x5a) ||
      (b >= 0x61 && b <= 0x7a) ||
      b === 0x2d ||
      b === 0x2e ||
      b === 0x5f ||
      b === 0x7e;
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

  const maxBytes = options.maxResponseBytes ?? HTTP_SCRAPE_MAX_RESPONSE_BYTES;
  const body = await readTrackerReply(
    buildScrapeRequestUrl(derived.url, hashes),
    options.timeoutMs,
    maxBytes,
    options.transport,
    fail,
    options.signal,
  );
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

/**
 * GET a tracker reply, bounded in time (the whole exchange) and size; every failure, HTTP
 * status or network, comes back through `fail`.
 */
export async function readTrackerReply(
  url: string,
  timeoutMs: number,
  maxBytes: number,
  transport: HttpTransport | undefined,
  fail: (why: string, cause?: unknown, httpStatus?: number) => Error,
  signal?: AbortSignal,
): Promise<Uint8Array> {
  try {
    return await (transport ?? httpRequest)(
      url,
      {
        timeoutMs,
        maxBytes,
        maxRedirects: TRACKER_MAX_REDIRECTS,
        headers: { accept: 'text/plain, application/octet-stream, */*' },
        ...(signal === undefined ? {} : { signal }),
      },
      async (head, body) => {
        if (head.status === 429 || (head.status === 503 && head.header('retry-after') !== null)) {
          throw rateLimited(fail(`HTTP status ${head.status} (slow down)`, undefined, head.status), head.header('retry-after'));
        }
        if (head.status < 200 || head.status > 299) throw fail(`HTTP status ${head.status}`, undefined, head.status);
        return body.bytes();
      },
    );
  } catch (error) {
    if (!(error instanceof HttpReadError)) throw error;
    if (error.kind === 'too-large') {
      throw fail(
        error.info.declaredBytes === undefined
          ? `the reply exceeds the ${maxBytes}-byte limit`
          : `the reply declares ${error.info.declaredBytes} bytes, over the ${maxBytes}-byte limit`,
      );
    }
    if (error.kind === 'timeout') throw fail(`no answer within ${timeoutMs} ms`);
    if (error.kind === 'network') throw fail(`network error ${error.info.code ?? error.message}`);
    throw fail(error.message);
  }
}
