/**
 * One error type for everything smartnode reports. `code` is stable (branch on it, never on
 * the message); `hint` tells the user what to do next; `retryable` says whether the same call
 * may succeed later without anyone changing anything.
 */
export type ErrorCode =
  | 'POLICY_INVALID'
  | 'POLICY_NOT_FOUND'
  | 'SECRET_MISSING'
  | 'FEED_FETCH'
  | 'FEED_TOO_LARGE'
  | 'FEED_PARSE'
  | 'FEED_UNSUPPORTED'
  | 'TORRENT_FETCH'
  | 'TORRENT_INVALID'
  | 'TORRENT_HASH_MISMATCH'
  | 'TORRENT_SIZE_MISMATCH'
  | 'SCRAPE_FAILED'
  | 'ANNOUNCE_FAILED'
  | 'GEOIP_UNAVAILABLE'
  | 'TORRENT_NOT_FOUND'
  | 'DAEMON_UNREACHABLE'
  | 'DAEMON_AUTH'
  | 'DAEMON_FORBIDDEN'
  | 'DAEMON_LOCKED_OUT'
  | 'DAEMON_RPC'
  | 'DAEMON_PROTOCOL'
  | 'STATE_IO'
  | 'CONTROL_UNAVAILABLE'
  | 'CONTROL_REFUSED'
  | 'SETUP_MISSING'
  | 'INTEGRITY_IO'
  | 'INTEGRITY_CANCELLED'
  | 'STOPPING'
  | 'PUBLISH_INVALID'
  | 'PUBLISH_IO'
  | 'METRICS_LISTEN'
  | 'INTERNAL';

export interface SmartnodeErrorOptions {
  hint?: string;
  retryable?: boolean;
  cause?: unknown;
  /** Structured detail for logs and --json output. Never put secrets here. */
  details?: Record<string, unknown>;
}

export class SmartnodeError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: SmartnodeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SmartnodeError';
    this.code = code;
    this.hint = options.hint;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
  }

  /** A JSON-safe view for logs, events and `--json` output. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      retryable: this.retryable,
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isSmartnodeError(value: unknown): value is SmartnodeError {
  return value instanceof SmartnodeError;
}

/** The message plus the hint, as one line for a person. */
export function describeError(error: unknown): string {
  if (error instanceof SmartnodeError) {
    return error.hint === undefined ? error.message : `${error.message} (${error.hint})`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A SmartnodeError (or any thrown value) as plain data: what events and control replies carry. */
export interface ErrorView {
  code: string;
  message: string;
  hint?: string;
  retryable: boolean;
}

export function toErrorView(error: unknown): ErrorView {
  if (typeof error === 'object' && error !== null && 'code' in error && 'retryable' in error) {
    const e = error as { code: unknown; message: unknown; hint?: unknown; retryable: unknown };
    return {
      code: String(e.code),
      message: String(e.message),
      ...(typeof e.hint === 'string' ? { hint: e.hint } : {}),
      retryable: e.retryable === true,
    };
  }
  return { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error), retryable: false };
}
