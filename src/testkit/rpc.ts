/**
 * A minimal Transmission RPC client for the test harness only (the product's adapter lives in
 * src/daemon). Plain fetch, the 409 session handshake retried once per call, a timeout on
 * every request, and `result` checked (RPC failures come back as HTTP 200).
 */
export interface RpcTarget {
  readonly rpcUrl: string;
  readonly username: string;
  readonly password: string;
}

export type RpcArguments = Record<string, unknown>;

const sessionIds = new Map<string, string>();

export async function rpcCall(
  target: RpcTarget,
  method: string,
  args: RpcArguments = {},
  options: { timeoutMs?: number } = {},
): Promise<RpcArguments> {
  if (method === 'port-test' || method === 'blocklist-update') {
    throw new Error(`RPC ${method} reaches the internet and is never called by tests`);
  }
  const body = JSON.stringify({ method, arguments: args });
  const auth = `Basic ${Buffer.from(`${target.username}:${target.password}`).toString('base64')}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const headers: Record<string, string> = { authorization: auth, 'content-type': 'application/json' };
    const sessionId = sessionIds.get(target.rpcUrl);
    if (sessionId !== undefined) headers['x-transmission-session-id'] = sessionId;
    let res: Response;
    try {
      res = await fetch(target.rpcUrl, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new Error(`RPC ${method} to ${target.rpcUrl} failed: ${describe(error)}`, { cause: error });
    }
    if (res.status === 409) {
      await res.arrayBuffer();
      const fresh = res.headers.get('x-transmission-session-id');
      if (fresh === null) throw new Error(`RPC ${method} to ${target.rpcUrl}: 409 without a session id`);
      sessionIds.set(target.rpcUrl, fresh);
      continue;
    }
    const text = await res.text();
    if (res.status !== 200) {
      throw new Error(`RPC ${method} to ${target.rpcUrl}: HTTP ${res.status} ${text.slice(0, 200)}`);
    }
    const parsed: unknown = JSON.parse(text);
    if (!isRecord(parsed)) throw new Error(`RPC ${method}: answer is not an object: ${text.slice(0, 200)}`);
    if (parsed['result'] !== 'success') {
      throw new Error(`RPC ${method} to ${target.rpcUrl} failed: ${String(parsed['result'])}`);
    }
    const answer = parsed['arguments'];
    return isRecord(answer) ? answer : {};
  }
  throw new Error(`RPC ${method} to ${target.rpcUrl}: still 409 after a fresh session id`);
}

export interface AddedTorrent {
  id: number;
  hashString: string;
  name: string;
  duplicate: boolean;
}

/** torrent-add with metainfo (never a URL) into an explicit download dir. */
export async function addTorrent(
  target: RpcTarget,
  options: { metainfo: Uint8Array; downloadDir: string; paused?: boolean },
): Promise<AddedTorrent> {
  const answer = await rpcCall(target, 'torrent-add', {
    metainfo: Buffer.from(options.metainfo).toString('base64'),
    'download-dir': options.downloadDir,
    paused: options.paused ?? false,
  });
  const added = answer['torrent-added'] ?? answer['torrent-duplicate'];
  if (!isRecord(added)) throw new Error(`torrent-add answered without torrent-added: ${JSON.stringify(answer)}`);
  return {
    id: Number(added['id']),
    hashString: String(added['hashString']),
    name: String(added['name']),
    duplicate: answer['torrent-added'] === undefined,
  };
}

/** One torrent by info-hash with the requested fields, or undefined if the daemon lacks it. */
export async function getTorrent(target: RpcTarget, infoHash: string, fields: string[]): Promise<RpcArguments | undefined> {
  const answer = await rpcCall(target, 'torrent-get', { ids: [infoHash], fields: ['hashString', ...fields] });
  const torrents = answer['torrents'];
  if (!Array.isArray(torrents)) throw new Error(`torrent-get answered without torrents: ${JSON.stringify(answer)}`);
  const found: unknown = torrents.find((t: unknown) => isRecord(t) && t['hashString'] === infoHash);
  return isRecord(found) ? found : undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
