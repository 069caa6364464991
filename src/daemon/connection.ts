/**
 * One daemon connection: the HTTP transport plus the dialect this daemon speaks, learnt on
 * first contact.
 *
 * JSON-RPC 2.0 when the daemon says it speaks it: the X-Transmission-Rpc-Version header
 * (sent from 4.1.0, with the 409 handshake already) or session-get's rpc-version-semver, at
 * 6.0.0 or newer (RPC spec section 5). Never the integer rpc-version: Debian 13's
 * 4.1.0-beta.2 reports 18 like 4.1.0 but speaks only the old protocol (semver 5.4.0). The
 * first question goes out in the old protocol, which every line so far answers; should a
 * daemon that announces 6.x refuse it, the question is asked again in JSON-RPC.
 *
 * The choice is kept until the daemon is unreachable (it may come back as another release)
 * or, under `auto`, until another release may have been swapped in between two calls, unseen:
 * an answer that does not fit the dialect in use (DAEMON_PROTOCOL), or a new session whose
 * X-Transmission-Rpc-Version differs from the one the choice was made with. Then the dialect
 * is asked again before the next call; a misfit call is sent once more if the dialect changed
 * (if not, its error stands).
 */
import { z } from 'zod';
import { SmartnodeError } from '../shared/index.js';
import type { DaemonProtocol, DaemonVersion } from './port.js';
import { createRpcHttp, type RpcHttpOptions } from './rpc-http.js';
import { createJsonRpc } from './rpc-jsonrpc.js';
import { createLegacyRpc } from './rpc-legacy.js';
import type { RpcArguments, RpcCall, RpcMethod } from './rpc-methods.js';

export type DaemonProtocolChoice = 'auto' | DaemonProtocol;

export interface Connection {
  readonly safeUrl: string;
  /** The dialect and version, negotiated on the first call. */
  ready(): Promise<{ call: RpcCall; version: DaemonVersion }>;
  /** What the last negotiation found, if it finished. */
  known(): { version: DaemonVersion } | undefined;
  /** Asks the daemon (the first time, the negotiation's own answer serves). */
  readVersion(): Promise<DaemonVersion>;
}

const VERSION_FIELDS = ['version', 'rpc-version', 'rpc-version-semver'];
const SessionAnswer = z.object({
  version: z.string(),
  'rpc-version': z.number().int(),
  // 2.x and older have no semver; 3.00 has 5.2.0.
  'rpc-version-semver': z.string().optional(),
});

/** An RPC feature: the rpc-version-semver that brought it, and the integer for daemons without a semver. */
export interface RpcFeature {
  semver: readonly [number, number, number];
  rpcVersion: number;
}

/** `labels` in torrent-add, bandwidth groups and the torrent field `group`: 4.0 (semver 5.3.0, rpc-version 17). */
export const SINCE_4_0: RpcFeature = { semver: [5, 3, 0], rpcVersion: 17 };

/**
 * Whether a daemon has a feature: by its rpc-version-semver where it sends one (the integer is
 * deprecated), by the integer only for daemons too old to send a semver.
 */
export function hasRpcFeature(version: { rpcVersion: number; rpcVersionSemver?: string | null }, feature: RpcFeature): boolean {
  const parts = /^(\d+)\.(\d+)\.(\d+)/.exec(version.rpcVersionSemver?.trim() ?? '');
  if (parts === null) return version.rpcVersion >= feature.rpcVersion;
  const have = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0;
    const b = feature.semver[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** Whether an rpc-version-semver ("6.0.1") is JSON-RPC 2.0's (6.0.0 or newer). */
export function speaksJsonRpc(semver: string | undefined | null): boolean {
  const major = semver === undefined || semver === null ? NaN : Number(/^(\d+)\./.exec(semver.trim())?.[1]);
  return Number.isInteger(major) && major >= 6;
}

export function openConnection(options: RpcHttpOptions, choice: DaemonProtocolChoice): Connection {
  const http = createRpcHttp(options);
  const legacy = createLegacyRpc(http);
  const jsonRpc = createJsonRpc(http);
  let pending: Promise<{ call: RpcCall; version: DaemonVersion }> | undefined;
  let settled: { call: RpcCall; version: DaemonVersion } | undefined;

  const readVersion = async (call: RpcCall, protocol: DaemonProtocol): Promise<DaemonVersion> => {
    const parsed = SessionAnswer.safeParse(await call('session-get', { fields: VERSION_FIELDS }));
    if (!parsed.success) {
      throw new SmartnodeError(
        'DAEMON_PROTOCOL',
        `transmission-daemon at ${http.safeUrl} answered session-get (${protocol}) without version / rpc-version`,
        {
          retryable: true,
          hint: 'is this a transmission-daemon RPC endpoint? smartnode is tested with Transmission 3.00, 4.1.0-beta.2 and 4.1.x',
          details: { url: http.safeUrl },
        },
      );
    }
    const semver = parsed.data['rpc-version-semver'] ?? null;
    return { version: parsed.data.version, rpcVersion: parsed.data['rpc-version'], rpcVersionSemver: semver, protocol };
  };

  const negotiate = async (): Promise<{ call: RpcCall; version: DaemonVersion }> => {
    if (choice === 'json-rpc') return { call: jsonRpc, version: await readVersion(jsonRpc, 'json-rpc') };
    let version: DaemonVersion;
    try {
      version = await readVersion(legacy, 'legacy');
    } catch (error) {
      const refusedOldProtocol = error instanceof SmartnodeError && (error.code === 'DAEMON_RPC' || error.code === 'DAEMON_PROTOCOL');
      if (choice === 'auto' && refusedOldProtocol && speaksJsonRpc(http.rpcVersionHeader())) {
        return { call: jsonRpc, version: await readVersion(jsonRpc, 'json-rpc') };
      }
      throw error;
    }
    if (choice === 'legacy' || !speaksJsonRpc(http.rpcVersionHeader() ?? version.rpcVersionSemver)) return { call: legacy, version };
    return { call: jsonRpc, version: { ...version, protocol: 'json-rpc' } };
  };

  const forgetWhenGone = (error: unknown): never => {
    if (error instanceof SmartnodeError && error.code === 'DAEMON_UNREACHABLE') {
      pending = undefined;
      settled = undefined;
    }
    throw error;
  };

  const redetect = async (used: DaemonProtocol, method: RpcMethod, args: RpcArguments, error: unknown): Promise<RpcArguments> => {
    if (!(error instanceof SmartnodeError && error.code === 'DAEMON_PROTOCOL') || choice !== 'auto') forgetWhenGone(error);
    pending = undefined;
    settled = undefined;
    const again = await connection.ready();
    if (again.version.protocol === used) throw error;
    // Sent once more in the new dialect, past this handler: a second misfit is an error, not another swap.
    const raw = again.version.protocol === 'json-rpc' ? jsonRpc : legacy;
    return raw(method, args).catch(forgetWhenGone);
  };

  let fresh = false;
  const connection: Connection = {
    safeUrl: http.safeUrl,
    known: () => settled,
    async readVersion() {
      const found = await connection.ready();
      if (fresh) {
        fresh = false;
        return found.version;
      }
      const version = await readVersion(found.call, found.version.protocol);
      found.version = version;
      return version;
    },
    ready() {
      pending ??= negotiate().then(
        (found) => {
          const header = http.rpcVersionHeader();
          const call: RpcCall = async (method, args) => {
            const answer = await found.call(method, args).catch((error: unknown) => redetect(found.version.protocol, method, args, error));
            if (choice === 'auto' && settled?.call === call && http.rpcVersionHeader() !== header) {
              pending = undefined;
              settled = undefined;
            }
            return answer;
          };
          settled = { call, version: found.version };
          fresh = true;
          return settled;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
      return pending;
    },
  };
  return connection;
}
