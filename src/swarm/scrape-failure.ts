/** How HTTP and UDP scrapes report failure: SCRAPE_FAILED, retryable, with no secret inside. */
import { BencodeError, SmartnodeError, decodeBencode, isBDict, type BDict, type BencodeLimits } from '../shared/index.js';
import { redactTrackerUrl } from './tracker-url.js';

/** `httpStatus`: the tracker's HTTP answer when that was the failure (429 is a rate limit). */
export type ScrapeFail = (why: string, cause?: unknown, httpStatus?: number) => SmartnodeError;

/** Builds the errors of one scrape of `trackerUrl` (redacted: it may carry a passkey). */
export function scrapeFailure(trackerUrl: string, hashCount: number): ScrapeFail {
  const tracker = redactTrackerUrl(trackerUrl);
  return (why, cause, httpStatus) =>
    new SmartnodeError('SCRAPE_FAILED', `scrape of tracker ${tracker} failed: ${why}`, {
      retryable: true,
      hint: 'the tracker may be down or overloaded; counts from other trackers or the feed are used meanwhile',
      details: { tracker, hashes: hashCount, ...(httpStatus === undefined ? {} : { httpStatus }) },
      ...(cause === undefined ? {} : { cause: sanitizeCause(cause) }),
    });
}

/** Tracker text goes into our messages: strip control characters and bound the length. */
export function cleanTrackerText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 200)}...` : clean;
}

/**
 * Causes travel with the error into logs. Keep only the name and a system error code: fetch
 * errors may quote the request URL, which can carry a passkey.
 */
export function sanitizeCause(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const inner = error instanceof Error ? error.cause : undefined;
  const code = inner instanceof Error && 'code' in inner ? String(inner.code) : undefined;
  const safe = new Error(code === undefined ? name : `${name} (${code})`);
  safe.name = name;
  return safe;
}

/**
 * Decodes a tracker's bencoded HTTP reply (scrape or announce) into its top dictionary, turning
 * junk and a BEP 3 "failure reason" into `fail(...)` errors.
 */
export function decodeTrackerReply(body: Uint8Array, limits: Partial<BencodeLimits>, fail: (why: string) => Error): BDict {
  let root: ReturnType<typeof decodeBencode>;
  try {
    root = decodeBencode(body, limits);
  } catch (error) {
    if (error instanceof BencodeError) throw fail(`the reply is not valid bencode (${error.reason} at byte ${error.offset})`);
    throw error;
  }
  if (!isBDict(root)) throw fail('the reply is not a bencoded dictionary');
  const failure = root.entries.get('failure reason');
  if (failure !== undefined) {
    const text = failure instanceof Uint8Array ? cleanTrackerText(new TextDecoder().decode(failure)) : '(not a string)';
    throw fail(`the tracker answered "failure reason: ${text}"`);
  }
  return root;
}

/**
 * The tracker said "slow down" (HTTP 429, or 503 with Retry-After): the same error, marked so
 * the caller pauses the whole site instead of counting the tracker as dead. `retryAfter` is the
 * header as sent (seconds or an HTTP date), null when absent.
 */
export function rateLimited(error: Error, retryAfter: string | null): SmartnodeError {
  const base = error instanceof SmartnodeError ? error : new SmartnodeError('SCRAPE_FAILED', error.message);
  return new SmartnodeError(base.code, base.message, {
    retryable: true,
    hint: 'the tracker limits how fast it is asked; smartnode waits as it says and keeps the counts it has meanwhile',
    details: { ...base.details, rateLimited: true, retryAfter: retryAfter === null ? null : cleanTrackerText(retryAfter) },
  });
}

/** The Retry-After of a rate-limited error (null: none sent), or undefined when it is another failure. */
export function retryAfterOf(error: unknown): string | null | undefined {
  if (!(error instanceof SmartnodeError) || error.details?.rateLimited !== true) return undefined;
  const value = error.details.retryAfter;
  return typeof value === 'string' ? value : null;
}
