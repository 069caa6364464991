/**
 * Every HTTP exchange with a server we do not trust (feeds, .torrent hosts, trackers, the
 * daemon's RPC) goes through `httpRequest`: node:http(s) with our own socket, our own
 * decompressors and our own timer, so two bounds hold whatever any library does:
 *
 * - one deadline over the whole exchange: connect, redirects, headers and every byte of the
 *   body. When it fires the socket and the decompressors are destroyed and the call rejects at
 *   once, even if the code reading the body is still waiting on something else;
 * - one byte cap on the decoded body (what memory holds), checked against Content-Length
 *   before reading and again chunk by chunk while reading, so a compression bomb or an endless
 *   body costs at most the cap.
 *
 * A fresh connection per request (no pool): nothing a broken answer leaves behind can stall
 * the next request. Bodies are decoded here (gzip, deflate, br); a truncated or corrupt
 * compressed body is an error, never a silently shortened answer.
 */
import http from 'node:http';
import https from 'node:https';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { concatBytes } from './bytes.js';

export type HttpFailureKind = 'timeout' | 'network' | 'too-large' | 'decode' | 'url' | 'aborted';

/** Why an exchange failed; each caller turns it into its own SmartnodeError. Never holds headers. */
export class HttpReadError extends Error {
  constructor(
    readonly kind: HttpFailureKind,
    message: string,
    readonly info: { maxBytes?: number; declaredBytes?: number; timeoutMs?: number; code?: string } = {},
  ) {
    super(message);
    this.name = 'HttpReadError';
  }
}

export interface HttpRequestOptions {
  method?: 'GET' | 'POST';
  /** Lower-case names. `accept-encoding` defaults to `gzip, deflate, br`. */
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /** Over the whole exchange: connect, redirects, headers and the whole body. */
  timeoutMs: number;
  /** Decoded body bytes accepted. */
  maxBytes: number;
  /** GET redirects followed within the same deadline, http(s) only; 0 (default) returns a 3xx as is. */
  maxRedirects?: number;
  /** Abandons the exchange at once when aborted (the socket is destroyed; the call rejects with kind 'aborted'). */
  signal?: AbortSignal;
}

export interface HttpHead {
  status: number;
  /** The URL that answered (after redirects). */
  url: string;
  header(name: string): string | null;
}

export interface HttpBody {
  /** The decoded body chunk by chunk; throws HttpReadError past the cap or on a broken stream. */
  chunks(): AsyncIterable<Uint8Array>;
  /** The whole decoded body. */
  bytes(): Promise<Uint8Array>;
}

/** `read` consumes the answer; the exchange's deadline covers it too. Injected where tests need another server. */
export type HttpTransport = <T>(
  url: string,
  options: HttpRequestOptions,
  read: (head: HttpHead, body: HttpBody) => Promise<T>,
) => Promise<T>;

export const httpRequest: HttpTransport = async (url, options, read) => {
  const deadlineMs = Date.now() + options.timeoutMs;
  let current = parseHttpUrl(url);
  for (let hop = 0; ; hop++) {
    const remainingMs = Math.max(1, deadlineMs - Date.now());
    const outcome = await exchange(
      current,
      options,
      remainingMs,
      options.timeoutMs,
      hop < (options.maxRedirects ?? 0) ? 'redirect' : 'final',
      read,
    );
    if (outcome.kind === 'done') return outcome.value;
    current = parseHttpUrl(new URL(outcome.location, current).toString());
  }
};

/** GET (or POST) and the whole decoded body. */
export async function httpRequestBytes(
  url: string,
  options: HttpRequestOptions,
  transport: HttpTransport = httpRequest,
): Promise<{ head: HttpHead; body: Uint8Array }> {
  return transport(url, options, async (head, body) => ({ head, body: await body.bytes() }));
}

function parseHttpUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new HttpReadError('url', 'not a valid URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpReadError('url', `scheme ${url.protocol} is not http or https`);
  return url;
}

type Outcome<T> = { kind: 'done'; value: T } | { kind: 'redirect'; location: string };

function exchange<T>(
  url: URL,
  options: HttpRequestOptions,
  remainingMs: number,
  timeoutMs: number,
  mode: 'redirect' | 'final',
  read: (head: HttpHead, body: HttpBody) => Promise<T>,
): Promise<Outcome<T>> {
  return new Promise<Outcome<T>>((resolve, reject) => {
    const streams: Array<{ destroy(): void }> = [];
    let settled = false;
    const settle = (finish: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', abandon);
      // Whatever is left unread goes with the connection (no pool to return it to).
      for (const s of streams) s.destroy();
      finish();
    };
    const fail = (error: HttpReadError): void => settle(() => reject(error));
    const timer = setTimeout(
      () => fail(new HttpReadError('timeout', `no complete answer within ${timeoutMs} ms`, { timeoutMs })),
      remainingMs,
    );
    const abandon = (): void => fail(new HttpReadError('aborted', 'the request was abandoned'));
    if (options.signal?.aborted === true) {
      abandon();
      return;
    }
    options.signal?.addEventListener('abort', abandon, { once: true });

    const headers: Record<string, string> = { 'accept-encoding': 'gzip, deflate, br', ...options.headers };
    const body =
      options.body === undefined
        ? undefined
        : typeof options.body === 'string'
          ? Buffer.from(options.body, 'utf8')
          : Buffer.from(options.body);
    if (body !== undefined) headers['content-length'] = String(body.length);
    const request = (url.protocol === 'https:' ? https : http).request(url, { method: options.method ?? 'GET', headers, agent: false });
    streams.push(request);
    request.on('error', (error) => fail(networkError(error)));
    request.on('response', (res) => {
      streams.push(res);
      const status = res.statusCode ?? 0;
      const head: HttpHead = {
        status,
        url: url.toString(),
        header: (name) => {
          const value = res.headers[name.toLowerCase()];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
      };
      const location = head.header('location');
      if (
        mode === 'redirect' &&
        status >= 300 &&
        status < 400 &&
        status !== 304 &&
        location !== null &&
        (options.method ?? 'GET') === 'GET'
      ) {
        settle(() => resolve({ kind: 'redirect', location }));
        return;
      }
      let decoded: Readable;
      let decodeError: Error | null = null;
      try {
        const decoders = decodersFor(head.header('content-encoding'));
        for (const d of decoders) {
          streams.push(d);
          d.on('error', (error) => {
            decodeError ??= error;
          });
        }
        decoded = decoders.length === 0 ? res : (pipeline([res, ...decoders], () => undefined) as unknown as Readable);
      } catch (error) {
        fail(error as HttpReadError);
        return;
      }
      const declared = Number(head.header('content-length') ?? Number.NaN);
      let consumed = false;
      const chunks = async function* (): AsyncGenerator<Uint8Array> {
        if (consumed) throw new HttpReadError('network', 'the body was already read');
        consumed = true;
        if (Number.isFinite(declared) && declared > options.maxBytes) {
          throw new HttpReadError('too-large', `the answer declares ${declared} bytes, over the cap of ${options.maxBytes}`, {
            declaredBytes: declared,
            maxBytes: options.maxBytes,
          });
        }
        let total = 0;
        try {
          for await (const chunk of decoded) {
            const bytes = chunk as Buffer;
            total += bytes.byteLength;
            if (total > options.maxBytes) {
              throw new HttpReadError('too-large', `more than ${options.maxBytes} bytes arrived (the cap)`, { maxBytes: options.maxBytes });
            }
            yield new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          }
        } catch (error) {
          if (error instanceof HttpReadError) throw error;
          if (decodeError !== null) throw decodeFailure(decodeError, head.header('content-encoding'));
          throw networkError(error);
        }
      };
      const reader: HttpBody = {
        chunks,
        async bytes() {
          const parts: Uint8Array[] = [];
          for await (const chunk of chunks()) parts.push(chunk);
          return parts.length === 1 ? parts[0]! : concatBytes(parts);
        },
      };
      read(head, reader).then(
        (value) => settle(() => resolve({ kind: 'done', value })),
        (error: unknown) => settle(() => reject(error)),
      );
    });
    request.end(body);
  });
}

/** Content-Encoding lists codings in the order applied: undo them last first. */
function decodersFor(contentEncoding: string | null): Array<NodeJS.ReadWriteStream & Readable> {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
  if (codings.length > 2) throw new HttpReadError('decode', `the answer is encoded ${codings.length} times (${contentEncoding ?? ''})`);
  return codings.reverse().map((coding) => {
    // Decoded output is bounded by the byte cap; a truncated stream must fail, hence no finishFlush.
    if (coding === 'gzip' || coding === 'x-gzip') return zlib.createGunzip();
    if (coding === 'deflate') return zlib.createInflate();
    if (coding === 'br') return zlib.createBrotliDecompress();
    throw new HttpReadError('decode', `the answer uses an unsupported content encoding ${JSON.stringify(coding)}`);
  });
}

function decodeFailure(error: Error, encoding: string | null): HttpReadError {
  const code = (error as { code?: unknown }).code;
  return new HttpReadError(
    'decode',
    `the ${encoding ?? 'compressed'} body is corrupt or cut short: ${error.message}`,
    typeof code === 'string' ? { code } : {},
  );
}

/** The useful part of a socket error (ECONNREFUSED, ENOTFOUND, ...), never headers. */
function networkError(error: unknown): HttpReadError {
  if (error instanceof HttpReadError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  return new HttpReadError('network', typeof code === 'string' ? `${code} ${message}` : message, typeof code === 'string' ? { code } : {});
}
