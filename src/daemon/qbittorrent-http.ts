/**
 * The HTTP leg of qBittorrent's WebUI API v2: a logged-in session, every failure mapped to a
 * SmartnodeError. Plain fetch-free requests over the shared httpRequest (its timeout and answer
 * cap), not a client library: see the README's dependency notes.
 *
 * Authentication differs across lines and is handled here once:
 * - 4.x and 5.0/5.1: POST auth/login answers 200 "Ok." with a cookie (SID), or 200 "Fails.".
 * - 5.2+ (WebAPI 2.14): 204 with a cookie named QBT_SID_<port>, or 401. Whatever cookie the
 *   login sets is replayed, by its own name.
 * - 5.2+ also takes an API key (Authorization: Bearer qbt_...): no login at all.
 * - Any line answers 403 to a login from an address it banned after too many failed logins
 *   (WebUI\MaxAuthenticationFailCount, WebUI\BanDuration): DAEMON_LOCKED_OUT, and no request
 *   leaves this client again until that ban would be over, so a poll loop never extends it.
 * A 403 on an API call means the session expired (or the WebUI restarted): one fresh login,
 * then the call once more.
 */
import { HttpReadError, SmartnodeError, httpRequest, redactText, redactUrl, type HttpTransport } from '../shared/index.js';
import { describeNetworkError } from './rpc-http.js';

export interface QbittorrentHttpOptions {
  /** The WebUI's base URL, e.g. http://127.0.0.1:8080 (a path prefix behind a proxy is kept). */
  url: string;
  username?: string;
  /** Never logged, never in an error. */
  password?: string;
  /** 5.2+: a WebUI API key; when set, no login happens. Never logged. */
  apiKey?: string;
  timeoutMs: number;
  maxAnswerBytes?: number;
  transport?: HttpTransport;
  /** How long a ban is believed to last (qBittorrent's default WebUI\BanDuration: 3600 s). */
  banSeconds?: number;
  /** Clock for the ban's end; defaults to Date.now. */
  now?: () => number;
}

export interface QbittorrentHttp {
  readonly safeUrl: string;
  /** GET (no form) or POST (with a form) api/v2/<path>; the answer's text. */
  request(path: string, form?: Record<string, string> | MultipartForm): Promise<{ status: number; text: string }>;
}

/** A multipart/form-data body (torrents/add takes the .torrent file this way). */
export interface MultipartForm {
  multipart: true;
  fields: Record<string, string>;
  file: { field: string; filename: string; bytes: Uint8Array };
}

const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024 * 1024;

export function createQbittorrentHttp(options: QbittorrentHttpOptions): QbittorrentHttp {
  const transport = options.transport ?? httpRequest;
  const now = options.now ?? Date.now;
  const base = options.url.replace(/\/+$/, '');
  const safeUrl = redactUrl(base);
  const secrets = [options.password, options.apiKey].filter((s): s is string => s !== undefined && s !== '');
  let cookie: string | undefined;
  let bannedUntilMs = 0;

  const send = async (path: string, form: Record<string, string> | MultipartForm | undefined, auth: boolean) => {
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (auth && options.apiKey !== undefined) headers['authorization'] = `Bearer ${options.apiKey}`;
    else if (auth && cookie !== undefined) headers['cookie'] = cookie;
    let body: string | Uint8Array | undefined;
    if (form !== undefined && 'multipart' in form) {
      const boundary = `smartnode${Math.random().toString(16).slice(2)}${Date.now().toString(16)}`;
      headers['content-type'] = `multipart/form-data; boundary=${boundary}`;
      body = multipartBody(boundary, form as MultipartForm);
    } else if (form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form as Record<string, string>).toString();
    }
    try {
      return await transport(
        `${base}/api/v2/${path}`,
        {
          method: body === undefined ? 'GET' : 'POST',
          headers,
          ...(body === undefined ? {} : { body }),
          timeoutMs: options.timeoutMs,
          maxBytes: options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES,
        },
        async (head, answer) => ({
          status: head.status,
          setCookie: head.header('set-cookie'),
          text: new TextDecoder().decode(await answer.bytes()),
        }),
      );
    } catch (error) {
      const timedOut = error instanceof HttpReadError && error.kind === 'timeout';
      const reason = timedOut ? `no answer within ${options.timeoutMs} ms` : redactText(describeNetworkError(error), secrets);
      throw new SmartnodeError('DAEMON_UNREACHABLE', `qBittorrent WebUI at ${safeUrl} is unreachable (${path}): ${reason}`, {
        retryable: true,
        cause: error,
        hint: timedOut
          ? 'qBittorrent may be busy (checking data); it is retried next tick'
          : 'is qbittorrent-nox running? Check that the URL matches WebUI\\Address and WebUI\\Port in its qBittorrent.conf',
        details: { url: safeUrl, path },
      });
    }
  };

  const lockedOut = (): SmartnodeError =>
    new SmartnodeError(
      'DAEMON_LOCKED_OUT',
      `qBittorrent WebUI at ${safeUrl} banned this address after too many failed logins (HTTP 403 on auth/login)`,
      {
        details: { url: safeUrl, bannedUntil: new Date(bannedUntilMs).toISOString() },
        hint:
          'fix the WebUI password the policy names first; the ban lasts WebUI\\BanDuration (default 1 hour) or until ' +
          'qbittorrent-nox restarts (e.g. `sudo systemctl restart qbittorrent-nox@USER`); smartnode sends nothing meanwhile',
      },
    );

  const login = async (): Promise<void> => {
    const res = await send('auth/login', { username: options.username ?? '', password: options.password ?? '' }, false);
    if (res.status === 403) {
      bannedUntilMs = now() + (options.banSeconds ?? 3600) * 1000;
      throw lockedOut();
    }
    const refused = res.status === 401 || (res.status === 200 && res.text.trim() === 'Fails.');
    if (refused) {
      throw new SmartnodeError('DAEMON_AUTH', `qBittorrent WebUI at ${safeUrl} refused the username or password (auth/login)`, {
        details: { url: safeUrl, status: res.status },
        hint:
          "check the WebUI username and password (the policy's password file or variable) against qBittorrent's " +
          'Web UI settings; every failed login counts towards its ban (WebUI\\MaxAuthenticationFailCount, default 5)',
      });
    }
    const pair = res.setCookie === null ? null : /(?:^|,\s*)([A-Za-z0-9_]*SID[A-Za-z0-9_]*=[^;,\s]+)/.exec(res.setCookie);
    if (res.status < 200 || res.status > 299 || pair === null) {
      throw new SmartnodeError('DAEMON_PROTOCOL', `${safeUrl} answered auth/login with HTTP ${res.status} and no session cookie`, {
        retryable: true,
        hint: 'is the URL the qBittorrent WebUI (http://HOST:PORT, WebUI\\Port in qBittorrent.conf) and not another service?',
        details: { url: safeUrl, status: res.status },
      });
    }
    cookie = pair[1];
  };

  return {
    safeUrl,
    async request(path, form) {
      if (now() < bannedUntilMs) throw lockedOut();
      const useKey = options.apiKey !== undefined;
      if (!useKey && cookie === undefined) await login();
      let res = await send(path, form, true);
      if (res.status === 403 && !useKey) {
        cookie = undefined;
        await login();
        res = await send(path, form, true);
      }
      if (res.status === 401 || res.status === 403) {
        const code = useKey ? 'DAEMON_AUTH' : 'DAEMON_FORBIDDEN';
        throw new SmartnodeError(code, `qBittorrent WebUI at ${safeUrl} refused ${path} (HTTP ${res.status})`, {
          details: { url: safeUrl, path, status: res.status },
          hint: useKey
            ? 'check the API key (qBittorrent 5.2+: Options > Web UI > API key) against the one the policy names'
            : 'the WebUI accepted the login but refuses the call: check its reverse proxy or IP subnet whitelist',
        });
      }
      return { status: res.status, text: res.text };
    },
  };
}

function multipartBody(boundary: string, form: MultipartForm): Uint8Array {
  const enc = new TextEncoder();
  const parts: Uint8Array[] = [];
  for (const [name, value] of Object.entries(form.fields)) {
    parts.push(enc.encode(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  parts.push(
    enc.encode(
      `--${boundary}\r\nContent-Disposition: form-data; name="${form.file.field}"; filename="${form.file.filename}"\r\n` +
        'Content-Type: application/x-bittorrent\r\n\r\n',
    ),
    form.file.bytes,
    enc.encode(`\r\n--${boundary}--\r\n`),
  );
  return Buffer.concat(parts);
}
