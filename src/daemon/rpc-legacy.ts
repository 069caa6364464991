/**
 * The Transmission RPC envelope spoken by 2.x, 3.00 (rpc-version 16) and 4.0 (17):
 * request `{"method": "...", "arguments": {...}}`, answer `{"result": "...", "arguments": {...}}`
 * with HTTP 200 even on failure: every result but "success" is an error (RPC spec 2.2).
 *
 * 4.1 still answers it, translating to and from its JSON-RPC 2.0 names; the spec calls it
 * deprecated. The JSON-RPC dialect is rpc-jsonrpc.ts; the methods both serve, rpc-methods.ts.
 */
import { z } from 'zod';
import { SmartnodeError } from '../shared/index.js';
import type { RpcHttp } from './rpc-http.js';

import type { RpcCall } from './rpc-methods.js';

export type { RpcArguments, RpcCall, RpcMethod } from './rpc-methods.js';

const Envelope = z.object({
  result: z.string(),
  arguments: z.record(z.string(), z.unknown()).optional(),
});

export function createLegacyRpc(http: RpcHttp): RpcCall {
  return async (method, args) => {
    const text = await http.post(JSON.stringify({ method, arguments: args }), method);
    const parsed = Envelope.safeParse(parseAnswer(http, method, text));
    if (!parsed.success) {
      throw new SmartnodeError(
        'DAEMON_PROTOCOL',
        `${http.safeUrl} answered ${method} without a "result" string: ${JSON.stringify(text.slice(0, 80))}`,
        {
          retryable: true,
          hint: 'this does not look like Transmission RPC; check the URL and the daemon version',
          details: { url: http.safeUrl, method },
        },
      );
    }
    const { result, arguments: answer = {} } = parsed.data;
    if (result !== 'success') {
      throw new SmartnodeError('DAEMON_RPC', `transmission-daemon refused ${method}: "${result}"`, {
        hint: "the daemon's own words are quoted; its log (journalctl -u transmission-daemon) may say more",
        details: { url: http.safeUrl, method, result, arguments: answer },
      });
    }
    return answer;
  };
}

/** An answer's JSON, or DAEMON_PROTOCOL saying it is none (both dialects). */
export function parseAnswer(http: RpcHttp, method: string, text: string, dialect = ''): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SmartnodeError(
      'DAEMON_PROTOCOL',
      `${http.safeUrl} answered ${method}${dialect} with something that is not JSON: ${JSON.stringify(text.slice(0, 80))}`,
      {
        cause: error,
        retryable: true,
        hint: "check that the URL points at transmission-daemon's RPC endpoint (…/transmission/rpc), not a web page or proxy",
        details: { url: http.safeUrl, method },
      },
    );
  }
}
