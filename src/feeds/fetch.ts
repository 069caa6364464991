/**
 * HTTP for feeds and .torrent files: http(s) only, conditional GET, a deadline over the whole
 * exchange (redirects, headers and body) and a byte cap enforced while streaming (both held by
 * the shared httpRequest, whatever the server does), redirects followed by hand (at most 5,
 * never to another scheme, and the cookie is dropped when the origin changes).
 * Secrets: the cookie is never put in a message, detail or cause; URLs go through redactUrl.
 */
import { httpRequest, HttpReadError, redactText, redactUrl, SmartnodeError, type ErrorCode, type HttpTransport } from '../shared/index.js';

export interface FetchFeedOptions {
  /** Sent as the Cookie header (Academic Torrents: `uid=...;pass=...`). A secret. */
  cookie?: string | null;
  etag?: string | null;
  lastModified?: string | null;
  timeoutMs: number;
  maxBytes: number;
  userAgent: string;
  transport?: HttpTransport;
  /** Abandons the fetch at once. */
  signal?: AbortSignal;
}

export type FetchFeedResult =
  | { status: 'fresh'; text: string; etag: string | null; lastModified: string | null; contentType: string | null }
  | { status: 'not-modified' };

/** What a fresh feed answer says about itself, beside its body. */
export interface FeedAnswerHead {
  etag: string | null;
  lastModified: string | null;
  contentType: string | null;
}

export type FetchFeedStreamResult<T> = ({ status: 'fresh'; value: T } & FeedAnswerHead) | { status: 'not-modified' };

export interface FetchTorrentOptions {
  cookie?: string | null;
  timeoutMs: number;
  maxBytes: number;
  userAgent?: string;
  transport?: HttpTransport;
  /** Abandons the fetch at once. */
  signal?: AbortSignal;
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
const FEED_ACCEPT = 'application/rss+xml, application/xml, text/xml, application/json, text/csv, */*;q=0.5';

/** The whole feed as text (for one-off checks; the agent streams with fetchFeedStream). */
export async function fetchFeed(url: string, options: FetchFeedOptions): Promise<FetchFeedResult> {
  const answer = await fetchFeedStream(url, options, async (head, chunks) => {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    return decodeText(Buffer.concat(parts), head.contentType);
  });
  if (answer.status === 'not-modified') return answer;
  return { status: 'fresh', text: answer.value, etag: answer.etag, lastModified: answer.lastModified, contentType: answer.contentType };
}

/**
 * A conditional GET whose fresh body goes chunk by chunk to `consume` (never held whole here);
 * the deadline and the byte cap cover `consume`'s reading too.
 */
export async function fetchFeedStream<T>(
  url: string,
  options: FetchFeedOptions,
  consume: (head: FeedAnswerHead, chunks: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<FetchFeedStreamResult<T>> {
  const headers: Record<string, string> = { 'user-agent': options.userAgent, accept: FEED_ACCEPT };
  if (options.etag) headers['if-none-match'] = options.etag;
  if (options.lastModified) headers['if-modified-since'] = options.lastModified;
  const conditional = Boolean(options.etag || options.lastModified);
  const answer = await fetchBounded(url, headers, options, FEED_CODES, conditional, async (head, chunks) => {
    const meta: FeedAnswerHead = {
      etag: head.header('etag'),
      lastModified: head.header('last-modified'),
      contentType: head.header('content-type'),
    };
    return { meta, value: await consume(meta, chunks) };
  });
  if (answer === 'not-modified') return { status: 'not-modified' };
  return { status: 'fresh', value: answer.value, ...answer.meta };
}

export async function fetchTorrentFile(url: string, options: FetchTorrentOptions): Promise<Uint8Array> {
  const headers: Record<string, string> = { 'user-agent': options.userAgent ?? 'smartnode', accept: 'application/x-bittorrent, */*;q=0.5' };
  const answer = await fetchBounded(url, headers, options, TORRENT_CODES, false, async (_head, chunks) => {
    const parts: Uint8Array[] = [];
    for await (const chunk of chunks) parts.push(chunk);
    return new Uint8Array(Buffer.concat(parts));
  });
  if (answer === 'not-modified')
    throw new SmartnodeError('TORRENT_FETCH', `GET ${redactUrl(url)}: unexpected 304 Not Modified`, { retryable: true });
  return answer;
}

/**
 * A cookie (Academic Torrents' API key, `uid=..;pass=..`) travels only encrypted: over https, or
 * to this machine (loopback, where tests and local proxies run). Never in clear over a network.
 */
function mayCarrySecret(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

interface BoundedOptions {
  cookie?: string | null;
  timeoutMs: number;
  maxBytes: number;
  transport?: HttpTransport;
  signal?: AbortSignal;
}

type Hop<T> = { kind: 'redirect'; location: string } | { kind: 'not-modified' } | { kind: 'body'; value: T };

async function fetchBounded<T>(
  startUrl: string,
  baseHeaders: Record<string, string>,
  options: BoundedOptions,
  codes: Codes,
  conditional: boolean,
  consume: (head: { header(name: string): string | null }, chunks: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<T | 'not-modified'> {
  const transport = options.transport ?? httpRequest;
  const secrets = secretParts(options.cookie);
  const deadlineMs = Date.now() + options.timeoutMs;
  let url = checkUrl(startUrl, codes);
  const origin = url.origin;
  try {
    for (let hop = 0; ; hop++) {
      const headers = { ...baseHeaders };
      if (options.cookie && url.origin === origin && mayCarrySecret(url)) headers.cookie = options.cookie;
      const at = url;
      const remainingMs = deadlineMs - Date.now();
      if (remainingMs <= 0) throw new HttpReadError('timeout', 'deadline passed');
      const result: Hop<T> = await transport(
        at.toString(),
        {
          headers,
          timeoutMs: remainingMs,
          maxBytes: options.maxBytes,
          ...(options.signal === undefined ? {} : { signal: options.signal }),
        },
        async (head, body) => {
          const location = head.header('location');
          if (head.status >= 300 && head.status < 400 && head.status !== 304 && location !== null) return { kind: 'redirect', location };
          if (head.status === 304 && conditional) return { kind: 'not-modified' };
          if (head.status < 200 || head.status > 299) throw statusError(at.toString(), head.status, codes);
          return { kind: 'body', value: await consume(head, body.chunks()) };
        },
      );
      if (result.kind === 'not-modified') return 'not-modified';
      if (result.kind === 'body') return result.value;
      if (hop >= MAX_REDIRECTS) {
        throw new SmartnodeError(codes.fetch, `GET ${redactUrl(startUrl)}: more than ${MAX_REDIRECTS} redirects`, {
          hint: 'check the URL; the server redirects in a loop',
          retryable: false,
        });
      }
      url = checkUrl(new URL(result.location, url).toString(), codes);
    }
  } catch (error) {
    if (error instanceof SmartnodeError) throw error;
    const shown = redactUrl(url.toString());
    if (error instanceof HttpReadError && error.kind === 'timeout') {
      throw new SmartnodeError(codes.fetch, `GET ${shown}: no complete answer within ${options.timeoutMs} ms`, {
        hint: 'the server is slow or unreachable; it will be retried later',
        retryable: true,
        details: { url: shown, timeoutMs: options.timeoutMs },
      });
    }
    if (error instanceof HttpReadError && error.kind === 'too-large') {
      throw tooLarge(
        url.toString(),
        error.info.declaredBytes === undefined
          ? `more than ${options.maxBytes} bytes arrived`
          : `it declares ${error.info.declaredBytes} bytes`,
        options.maxBytes,
        codes,
      );
    }
    if (error instanceof HttpReadError && error.kind === 'decode') {
      const reason = redactText(error.message, secrets);
      throw new SmartnodeError(codes.fetch, `GET ${shown}: ${reason}`, {
        hint: 'the server sent a damaged answer; it will be retried later',
        retryable: true,
        details: { url: shown, reason },
      });
    }
    const reason = redactText(error instanceof Error ? error.message : String(error), secrets);
    throw new SmartnodeError(codes.fetch, `GET ${shown}: network error: ${reason}`, {
      hint: 'check the network and the host name; it will be retried later',
      retryable: true,
      details: { url: shown, reason },
    });
  }
}

function checkUrl(raw: string, codes: Codes): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new SmartnodeError(codes.unsupported, `${codes.what} URL ${JSON.stringify(redactUrl(raw))} is not a valid URL`, {
      hint: 'use an absolute http:// or https:// URL',
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SmartnodeError(
      codes.unsupported,
      `${codes.what} URL ${redactUrl(raw)}: scheme ${JSON.stringify(url.protocol)} is not supported`,
      { hint: 'only http:// and https:// URLs can be fetched' },
    );
  }
  return url;
}

function statusError(url: string, status: number, codes: Codes): SmartnodeError {
  const retryable = status >= 500 || status === 429 || status === 408;
  const hint =
    status === 401 || status === 403
      ? "the server refused access: check the feed's cookie (it may have expired)"
      : status === 404
        ? 'check the URL; the resource does not exist'
        : retryable
          ? 'a server-side problem; it will be retried later'
          : 'check the URL';
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

/** The whole cookie and each `name=value` value, so neither can leak through a message. */
function secretParts(cookie: string | null | undefined): string[] {
  if (!cookie) return [];
  const values = cookie.split(';').map((part) => part.slice(part.indexOf('=') + 1).trim());
  return [cookie, ...values.filter((v) => v.length >= 3)];
}

/** Charset from the content type, else an XML declaration in the first bytes, else UTF-8. */
export function feedTextDecoder(head: Uint8Array, contentType: string | null): InstanceType<typeof TextDecoder> {
  const fromHeader = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  const start = new TextDecoder('latin1').decode(head.subarray(0, 200));
  const fromXml = /^(?:\uFEFF|\u00EF\u00BB\u00BF)?<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(start)?.[1];
  for (const label of [fromHeader, fromXml, 'utf-8']) {
    if (label === undefined) continue;
    try {
      return new TextDecoder(label);
    } catch {
      // unknown label: try the next source
    }
  }
  return new TextDecoder();
}

function decodeText(body: Uint8Array, contentType: string | null): string {
  return feedTextDecoder(body, contentType).decode(body);
}
