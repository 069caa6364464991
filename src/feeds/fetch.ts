/**
 * HTTP for feeds and .torrent files: http(s) only, conditional GET, a deadline over the whole
 * exchange (headers and body), a byte cap enforced while streaming, redirects followed by hand
 * (at most 5, never to another scheme, and the cookie is dropped when the origin changes).
 * Secrets: the cookie is never put in a message, detail or cause; URLs go through redactUrl.
 */
import { discardBody, readBodyCapped, redactText, redactUrl, SmartnodeError, type ErrorCode } from '../shared/index.js';

export type FetchImpl = (input: string, init: RequestInit) => Promise<Response>;

export interface FetchFeedOptions {
  /** Sent as the Cookie header (Academic Torrents: `uid=...;pass=...`). A secret. */
  cookie?: string | null;
  etag?: string | null;
  lastModified?: string | null;
  timeoutMs: number;
  maxBytes: number;
  userAgent: string;
  fetchImpl?: FetchImpl;
}

export type FetchFeedResult =
  | { status: 'fresh'; text: string; etag: string | null; lastModified: string | null; contentType: string | null }
  | { status: 'not-modified' };

export interface FetchTorrentOptions {
  cookie?: string | null;
  timeoutMs: number;
  maxBytes: number;
  userAgent?: string;
  fetchImpl?: FetchImpl;
}

interface Codes {
  what: string;
  fetch: ErrorCode;
  tooLarge: ErrorCode;
  unsupported: ErrorCode;
}
const FEED_CODES: Codes = { what: 'feed', fetch: 'FEED_FETCH', tooLarge: 'FEED_TOO_LARGE', unsupported: 'FEED_UNSUPPORTED' };
const TORRENT_CODES: Codes = { what: '.torrent', fetch: 'TORRENT_FETCH', tooLarge: 'TORRENT_FETCH', unsupported: 'TORRENT_FETCH' };
const MAX_REDIRECTS = 5;

export async function fetchFeed(url: string, options: FetchFeedOptions): Promise<FetchFeedResult> {
  const headers: Record<string, string> = { 'user-agent': options.userAgent, accept: 'application/rss+xml, application/xml, text/xml, application/json, text/csv, */*;q=0.5' };
  if (options.etag) headers['if-none-match'] = options.etag;
  if (options.lastModified) headers['if-modified-since'] = options.lastModified;
  const conditional = Boolean(options.etag || options.lastModified);
  const answer = await fetchBounded(url, headers, options, FEED_CODES, conditional);
  if (answer === 'not-modified') return { status: 'not-modified' };
  const contentType = answer.headers.get('content-type');
  return {
    status: 'fresh',
    text: decodeText(answer.body, contentType),
    etag: answer.headers.get('etag'),
    lastModified: answer.headers.get('last-modified'),
    contentType,
  };
}

export async function fetchTorrentFile(url: string, options: FetchTorrentOptions): Promise<Uint8Array> {
  const headers: Record<string, string> = { 'user-agent': options.userAgent ?? 'smartnode', accept: 'application/x-bittorrent, */*;q=0.5' };
  const answer = await fetchBounded(url, headers, options, TORRENT_CODES, false);
  if (answer === 'not-modified') throw new SmartnodeError('TORRENT_FETCH', `GET ${redactUrl(url)}: unexpected 304 Not Modified`, { retryable: true });
  return answer.body;
}

interface BoundedOptions {
  cookie?: string | null;
  timeoutMs: number;
  maxBytes: number;
  fetchImpl?: FetchImpl;
}

async function fetchBounded(
  startUrl: string,
  baseHeaders: Record<string, string>,
  options: BoundedOptions,
  codes: Codes,
  conditional: boolean,
): Promise<{ headers: Headers; body: Uint8Array } | 'not-modified'> {
  const fetchImpl = options.fetchImpl ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
  const secrets = secretParts(options.cookie);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, options.timeoutMs);
  let url = checkUrl(startUrl, codes);
  const origin = url.origin;
  try {
    for (let hop = 0; ; hop++) {
      const headers = { ...baseHeaders };
      if (options.cookie && url.origin === origin) headers.cookie = options.cookie;
      const response = await fetchImpl(url.toString(), { headers, redirect: 'manual', signal: controller.signal });
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && response.status !== 304 && location !== null) {
        await discardBody(response);
        if (hop >= MAX_REDIRECTS) {
          throw new SmartnodeError(codes.fetch, `GET ${redactUrl(startUrl)}: more than ${MAX_REDIRECTS} redirects`, { hint: 'check the URL; the server redirects in a loop', retryable: false });
        }
        url = checkUrl(new URL(location, url).toString(), codes);
        continue;
      }
      if (response.status === 304 && conditional) {
        await discardBody(response);
        return 'not-modified';
      }
      if (response.status < 200 || response.status > 299) {
        await discardBody(response);
        throw statusError(url.toString(), response.status, codes);
      }
      const at = url.toString();
      const body = await readBodyCapped(response, options.maxBytes, (over) =>
        tooLarge(at, over.kind === 'declared' ? `it declares ${over.declaredBytes} bytes` : `more than ${over.maxBytes} bytes arrived`, over.maxBytes, codes));
      return { headers: response.headers, body };
    }
  } catch (error) {
    if (error instanceof SmartnodeError) throw error;
    if (timedOut) {
      throw new SmartnodeError(codes.fetch, `GET ${redactUrl(url.toString())}: no complete answer within ${options.timeoutMs} ms`, {
        hint: 'the server is slow or unreachable; it will be retried on the next poll',
        retryable: true,
        details: { url: redactUrl(url.toString()), timeoutMs: options.timeoutMs },
      });
    }
    const reason = redactText(networkReason(error), secrets);
    throw new SmartnodeError(codes.fetch, `GET ${redactUrl(url.toString())}: network error: ${reason}`, {
      hint: 'check the network and the host name; it will be retried on the next poll',
      retryable: true,
      details: { url: redactUrl(url.toString()), reason },
    });
  } finally {
    clearTimeout(timer);
  }
}

function checkUrl(raw: string, codes: Codes): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SmartnodeError(codes.unsupported, `${codes.what} URL ${JSON.stringify(redactUrl(raw))} is not a valid URL`, { hint: 'use an absolute http:// or https:// URL' });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SmartnodeError(codes.unsupported, `${codes.what} URL ${redactUrl(raw)}: scheme ${JSON.stringify(url.protocol)} is not supported`, { hint: 'only http:// and https:// URLs can be fetched' });
  }
  return url;
}

function statusError(url: string, status: number, codes: Codes): SmartnodeError {
  const retryable = status >= 500 || status === 429 || status === 408;
  const hint = status === 401 || status === 403
    ? 'the server refused access: check the feed\'s cookie (it may have expired)'
    : status === 404 ? 'check the URL; the resource does not exist'
      : retryable ? 'a server-side problem; it will be retried on the next poll' : 'check the URL';
  return new SmartnodeError(codes.fetch, `GET ${redactUrl(url)}: HTTP ${status}`, {
    hint,
    retryable,
    details: { url: redactUrl(url), status },
  });
}

function tooLarge(url: string, why: string, maxBytes: number, codes: Codes): SmartnodeError {
  return new SmartnodeError(codes.tooLarge, `GET ${redactUrl(url)}: ${codes.what} is larger than the cap of ${maxBytes} bytes (${why})`, {
    hint: `raise the size cap for this ${codes.what} if it is really that big`,
    details: { url: redactUrl(url), maxBytes },
  });
}

/** The most telling part of an undici failure: the cause's code and message, without headers. */
function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code} ` : ''}${cause.message}`;
  }
  return error.message;
}

/** The whole cookie and each `name=value` value, so neither can leak through a message. */
function secretParts(cookie: string | null | undefined): string[] {
  if (!cookie) return [];
  const values = cookie.split(';').map((part) => part.slice(part.indexOf('=') + 1).trim());
  return [cookie, ...values.filter((v) => v.length >= 3)];
}

/** Charset from the content type, else an XML declaration, else UTF-8. */
function decodeText(body: Uint8Array, contentType: string | null): string {
  const fromHeader = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  const head = new TextDecoder('latin1').decode(body.subarray(0, 200));
  const fromXml = /^(?:\uFEFF)?<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1];
  for (const label of [fromHeader, fromXml, 'utf-8']) {
    if (label === undefined) continue;
    try {
      return new TextDecoder(label).decode(body);
    } catch {
      // unknown label: try the next source
    }
  }
  return new TextDecoder().decode(body);
}
