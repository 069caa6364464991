/**
 * The JSON-RPC 2.0 dialect of Transmission 4.1+ (rpc-version-semver 6.0.0; RPC spec section 2
 * at 4.1.x, libtransmission/rpcimpl.cc): request `{"jsonrpc": "2.0", "method", "params",
 * "id"}` with snake_case names, answer `{"jsonrpc": "2.0", "result": {...}, "id"}` or
 * `{"error": {"code", "message", "data": {"error_string", "result"}}}`. A request without an
 * id is a notification: the daemon answers HTTP 204 with no body.
 *
 * The adapter above speaks the old names; this file renames both ways (rpc-methods.ts), so
 * the same RpcCall serves either dialect.
 */
import { z } from 'zod';
import { SmartnodeError } from '../shared/index.js';
import type { RpcHttp } from './rpc-http.js';
import { parseAnswer } from './rpc-legacy.js';
import { oldNamesFor, renameKeys, renameTableHeader, toSnakeCase, type RpcArguments, type RpcCall, type RpcMethod } from './rpc-methods.js';

const ErrorObject = z.object({
  code: z.number().int(),
  message: z.string(),
  data: z
    .object({ error_string: z.string().optional(), result: z.record(z.string(), z.unknown()).optional() })
    .loose()
    .optional(),
});
const Response = z.union([
  z.object({ jsonrpc: z.literal('2.0'), result: z.record(z.string(), z.unknown()), id: z.unknown() }),
  z.object({ jsonrpc: z.literal('2.0'), error: ErrorObject, id: z.unknown() }),
]);

export function createJsonRpc(http: RpcHttp): RpcCall & { notify(method: RpcMethod, args: RpcArguments): Promise<void> } {
  let nextId = 1;
  const body = (method: RpcMethod, args: RpcArguments, id?: number): string =>
    JSON.stringify({
      jsonrpc: '2.0',
      method: toSnakeCase(method),
      params: renameKeys(args, toSnakeCase, true),
      ...(id === undefined ? {} : { id }),
    });

  const call = async (method: RpcMethod, args: RpcArguments): Promise<RpcArguments> => {
    const id = nextId++;
    const text = await http.post(body(method, args, id), method);
    const parsed = Response.safeParse(parseAnswer(http, method, text, ' (JSON-RPC)'));
    if (!parsed.success) {
      throw new SmartnodeError(
        'DAEMON_PROTOCOL',
        `${http.safeUrl} answered ${method} without a JSON-RPC 2.0 result or error: ${JSON.stringify(text.slice(0, 80))}`,
        {
          retryable: true,
          hint:
            'the daemon may not speak JSON-RPC 2.0 (Transmission 4.1.0 or newer does); ' +
            'set daemon.protocol: legacy in the policy, or auto',
          details: { url: http.safeUrl, method },
        },
      );
    }
    if (parsed.data.id !== id) {
      throw new SmartnodeError(
        'DAEMON_PROTOCOL',
        `${http.safeUrl} answered ${method} with id ${JSON.stringify(parsed.data.id)}, not ${id}`,
        {
          retryable: true,
          hint: 'a proxy between smartnode and the daemon may be mixing up answers',
          details: { url: http.safeUrl, method },
        },
      );
    }
    const names = oldNamesFor(method, args);
    const back = (key: string): string => names.get(key) ?? key;
    if ('error' in parsed.data) {
      const { code, message, data } = parsed.data.error;
      // The old protocol's `result` text is error_string when there is one, else the message.
      const result = data?.error_string ?? message;
      throw new SmartnodeError('DAEMON_RPC', `transmission-daemon refused ${method}: "${result}" (JSON-RPC error ${code})`, {
        hint: "the daemon's own words are quoted; its log (journalctl -u transmission-daemon) may say more",
        details: { url: http.safeUrl, method, result, code, arguments: renameKeys(data?.result ?? {}, back) },
      });
    }
    const answer = renameKeys(parsed.data.result, back) as RpcArguments;
    if ('torrents' in answer) answer['torrents'] = renameTableHeader(answer['torrents'], back);
    return answer;
  };

  return Object.assign(call, {
    /** A notification: no id, no answer but HTTP 204 (spec 2.2). */
    async notify(method: RpcMethod, args: RpcArguments): Promise<void> {
      await http.post(body(method, args), method);
    },
  });
}
