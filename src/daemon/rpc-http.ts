/**
 * The HTTP leg of Transmission RPC: POST a body, keep the CSRF session id, map every failure
 * to a SmartnodeError. Dialect-free: the legacy envelope (rpc-legacy.ts) and a future
 * JSON-RPC 2.0 envelope (4.1+) both sit on top of this.
 *
 * Why not @ctrl/transmission's request(): it posts through ofetch bound to the global fetch
 * (no injection, so tests and the benchmark cannot see the wire), resends on every 409 without
 * a bound (measured against a proxy that always answers 409: 710 requests in 1.5 s), and turns refused connections and timeouts
 * into `TypeError: Cannot read properties of undefined (reading 'status')` with the cause
 * lost. Those are exactly the parts this file is, so the transport is ours; it is ~150 lines.
 *
 * Handshake (RPC spec 2.3.1): 409 carries X-Transmission-Session-Id; resend once with it. A
 * second 409 for the same call is a protocol error, never a loop.
 *
 * Bounds (shared httpRequest): the timeout covers each attempt whole, body included, and an
 * answer larger than `maxAnswerBytes` is refused while it streams in, never read whole.
 */
import { HttpReadError, SmartnodeError, httpRequest, redactText, redactUrl, type HttpTransport } from '../shared/index.js';

export interface RpcHttpOptions {
  /** Full RPC URL, e.g. http://127.0.0.1:9091/transmission/rpc; user:pass@ in it become Basic auth. */
  url: string;
  username?: string;
  /** Never logged, never in an error. */
  password?: string;
  /** Per HTTP attempt, covering the whole answer (headers and body). */
  timeoutMs: number;
  /** Largest answer accepted (decoded bytes); default DEFAULT_RPC_MAX_ANSWER_BYTES. */
  maxAnswerBytes?: number;
  transport?: HttpTransport;
  /**
   * Ask for gzip answers. Default: not for a daemon on loopback (3.00 spends ~4x longer
   * gzipping a 2,000-torrent poll than sending it: 75 ms vs 18 ms here), yes elsewhere (the
   * answer shrinks ~20x, which matters over a slow link).
   */
  compress?: boolean;
}

export interface RpcHttp {
  /** POSTs `body` and returns the answer's text; `method` only names the call in errors. */
  post(body: string, method: string): Promise<string>;
  readonly safeUrl: string;
  /**
   * The X-Transmission-Rpc-Version header (rpc-version-semver, sent from 4.1.0 with the 409
   * handshake and every answer), once an answer carried it; undefined before and on older daemons,
   * and again after a 409 handshake without it (another daemon now answers on this URL).
   */
  rpcVersionHeader(): string | undefined;
}

const SESSION_HEADER = 'X-Transmission-Session-Id';
const RPC_VERSION_HEADER = 'X-Transmission-Rpc-Version';

/**
 * 64 MiB: a full torrent-get with trackerStats is ~3 KB a torrent on 3.00, so this holds
 * ~20,000 torrents, while the answer text and its parse still fit a 256 MB heap.
 */
export const DEFAULT_RPC_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export function createRpcHttp(options: RpcHttpOptions): RpcHttp {
  const transport = options.transport ?? httpRequest;
  const maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_RPC_MAX_ANSWER_BYTES;
  const safeUrl = redactUrl(options.url);
  const { url, username, password } = splitCredentials(options);
  const secrets = password === undefined ? [] : [password];
  const authorization =
    username !== undefined || password !== undefined
      ? `Basic ${Buffer.from(`${username ?? ''}:${password ?? ''}`).toString('base64')}`
      : undefined;
  const compress = options.compress ?? !isLoopback(new URL(url).hostname);
  let sessionId: string | undefined;
  let rpcVersionHeader: string | undefined;
  // 4.x answers every request with 403 once anti-brute-force counted too many failed logins:
  // a 403 right after a 401 from this client is that lockout, not the whitelist.
  let refusedCredentials = false;

  const send = async (body: string, method: string): Promise<{ status: number; session: string | null; text: string }> => {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'accept-encoding': compress ? 'gzip, deflate' : 'identity',
    };
    if (sessionId !== undefined) headers['x-transmission-session-id'] = sessionId;
    if (authorization !== undefined) headers['authorization'] = authorization;
    try {
      return await transport(
        url,
        { method: 'POST', headers, body, timeoutMs: options.timeoutMs, maxBytes: maxAnswerBytes },
        async (head, answer) => {
          const session = head.header(SESSION_HEADER);
          // A 409 opens a session with whatever daemon now listens: its header (or none, before
          // 4.1.0) replaces what an earlier daemon on this URL said.
          const announced = head.header(RPC_VERSION_HEADER);
          rpcVersionHeader = head.status === 409 ? (announced ?? undefined) : (announced ?? rpcVersionHeader);
          // Only a 2xx body is read: an error page or a 409 says all it has in its status.
          if (head.status < 200 || head.status > 299) return { status: head.status, session, text: '' };
          return { status: head.status, session, text: new TextDecoder().decode(await answer.bytes()) };
        },
      );
    } catch (error) {
      if (error instanceof HttpReadError && error.kind === 'too-large') throw tooLarge(error, method);
      throw unreachable(error, method, error instanceof HttpReadError && error.kind === 'timeout');
    }
  };

  const tooLarge = (error: HttpReadError, method: string): SmartnodeError =>
    new SmartnodeError(
      'DAEMON_PROTOCOL',
      `transmission-daemon at ${safeUrl} sent an answer larger than ${maxAnswerBytes} bytes (${method}); ` +
        `refused while reading${error.info.declaredBytes === undefined ? '' : ` (it declared ${error.info.declaredBytes} bytes)`}`,
      {
        retryable: true,
        hint:
          'a daemon holding very many torrents needs a larger cap: raise limits.rpcAnswerMaxBytes in the policy; ' +
          'otherwise check that the URL points at transmission-daemon and not at another service',
        details: { url: safeUrl, method, maxAnswerBytes },
      },
    );

  const unreachable = (error: unknown, method: string, timedOut: boolean): SmartnodeError => {
    const reason = timedOut ? `no answer within ${options.timeoutMs} ms` : redactText(describeNetworkError(error), secrets);
    return new SmartnodeError('DAEMON_UNREACHABLE', `transmission-daemon at ${safeUrl} is unreachable (${method}): ${reason}`, {
      retryable: true,
      cause: error,
      hint: timedOut
        ? 'the daemon may be busy (verifying) or stuck; it is retried next tick. ' +
          'If it persists, check the daemon log and raise the RPC timeout'
        : 'is transmission-daemon running? Check that the URL matches rpc-bind-address and rpc-port in its settings.json',
      details: { url: safeUrl, method },
    });
  };

  return {
    safeUrl,
    rpcVersionHeader: () => rpcVersionHeader,
    async post(body, method) {
      for (let attempt = 1; ; attempt++) {
        const res = await send(body, method);
        if (res.status === 409) {
          const fresh = res.session;
          if (fresh === null || fresh === '' || attempt >= 2) {
            throw new SmartnodeError(
              'DAEMON_PROTOCOL',
              fresh === null || fresh === ''
                ? `${safeUrl} answered 409 without an ${SESSION_HEADER} header (${method})`
                : `${safeUrl} answered 409 again after resending with its new session id (${method})`,
              {
                retryable: true,
                hint: 'is the URL a transmission-daemon RPC endpoint (…/transmission/rpc) and not a proxy that strips headers?',
                details: { url: safeUrl, method, status: 409 },
              },
            );
          }
          sessionId = fresh;
          continue;
        }
        if (res.status >= 200 && res.status < 300) return res.text;
        const error = httpError(res.status, safeUrl, method, refusedCredentials);
        if (res.status === 401) refusedCredentials = true;
        throw error;
      }
    },
  };
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * fetch() refuses URLs with user:pass@ in them; take them out and use them as credentials
 * unless explicit ones were given.
 */
function splitCredentials(options: RpcHttpOptions): { url: string; username?: string; password?: string } {
  let parsed: URL;
  try {
    parsed = new URL(options.url);
  } catch (error) {
    throw new SmartnodeError('POLICY_INVALID', `daemon URL ${JSON.stringify(redactUrl(options.url))} is not a URL`, {
      cause: error,
      hint: 'write it like http://127.0.0.1:9091/transmission/rpc',
    });
  }
  const fromUrl = {
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
  };
  parsed.username = '';
  parsed.password = '';
  const result: { url: string; username?: string; password?: string } = { url: parsed.toString() };
  const username = options.username ?? fromUrl.username;
  const password = options.password ?? fromUrl.password;
  if (username !== undefined) result.username = username;
  if (password !== undefined) result.password = password;
  return result;
}

function httpError(status: number, safeUrl: string, method: string, afterRefusedLogin: boolean): SmartnodeError {
  const details = { url: safeUrl, method, status };
  if (status === 401) {
    return new SmartnodeError('DAEMON_AUTH', `transmission-daemon at ${safeUrl} refused the RPC username or password (HTTP 401)`, {
      details,
      hint:
        'check the username and the password (its environment variable or file named in ' +
        "the policy) against rpc-username and rpc-password in the daemon's settings.json; smartnode reads " +
        'the password once, when it starts: after fixing it (or its file), restart smartnode (a reload or SIGHUP keeps the old one)',
    });
  }
  if (status === 403 && afterRefusedLogin) return lockedOut(safeUrl, details);
  if (status === 403) {
    return new SmartnodeError(
      'DAEMON_FORBIDDEN',
      `transmission-daemon at ${safeUrl} refused this client's address (HTTP 403, rpc-whitelist)`,
      {
        details,
        hint:
          "if this client's address is in the whitelist, the daemon (4.x) may instead have locked out every " +
          'client after too many failed logins (anti-brute-force): restart the daemon and fix the password. ' +
          'Otherwise stop the daemon (e.g. `sudo systemctl stop transmission-daemon`: it rewrites settings.json on exit, ' +
          'so edits made while it runs are lost), add this machine\'s address to "rpc-whitelist" in settings.json (comma-separated, ' +
          'wildcards like 192.168.*.* allowed), then start the daemon again',
      },
    );
  }
  if (status === 421) {
    return new SmartnodeError(
      'DAEMON_FORBIDDEN',
      `transmission-daemon at ${safeUrl} refused the host name in the URL (HTTP 421, rpc-host-whitelist)`,
      {
        details,
        hint:
          "use the daemon's IP address in the URL, or stop the daemon, " +
          'add the host name to "rpc-host-whitelist" in settings.json, and start it again',
      },
    );
  }
  return new SmartnodeError('DAEMON_PROTOCOL', `transmission-daemon at ${safeUrl} answered HTTP ${status} (${method})`, {
    details,
    retryable: status >= 500,
    hint: status === 404 ? 'the RPC path is usually /transmission/rpc' : "check that the URL points at transmission-daemon's RPC endpoint",
  });
}

/**
 * Transmission 4.x's anti-brute-force: after anti-brute-force-threshold failed logins it
 * answers every request with 403 until it restarts. Retrying cannot help (and each wrong
 * password counted towards it), so this is not retryable and says what to do.
 */
export function lockedOut(safeUrl: string, details: Record<string, unknown>): SmartnodeError {
  return new SmartnodeError(
    'DAEMON_LOCKED_OUT',
    `transmission-daemon at ${safeUrl} locked out RPC clients after failed logins (HTTP 403 after 401: anti-brute-force protection)`,
    {
      details,
      hint:
        'the daemon refuses everyone until it restarts: fix the RPC password first (rpc-password in ' +
        'settings.json and the password file or variable the policy names), ' +
        'then restart the daemon (e.g. `sudo systemctl restart transmission-daemon`); smartnode stops retrying meanwhile',
    },
  );
}

/** fetch() says "fetch failed"; the useful part (ECONNREFUSED, ENOTFOUND, ...) is in cause. */
export function describeNetworkError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as Error & { code?: unknown }).code;
    parts.push(typeof code === 'string' ? `${current.message} [${code}]` : current.message);
    current = current.cause;
  }
  return parts.length === 0 ? String(error) : parts.join(': ');
}
