/**
 * The RPC methods smartnode calls, one line each, and the name mapping between the two
 * dialects. Pure.
 *
 * The adapter speaks the old names everywhere (kebab-case methods, the old mix of camelCase
 * and kebab-case fields: RPC spec 4.0.6). JSON-RPC 2.0 (4.1+, rpc-version-semver 6.0.0) uses
 * snake_case for every method and field; the old names map to the new mechanically
 * (`torrent-get` -> `torrent_get`, `hashString` -> `hash_string`). The way back is not
 * mechanical (was `size_bytes` written `size-bytes` or `sizeBytes`?), so it is a lookup over
 * the names the request used plus the answer keys listed here.
 *
 * Adding a method: one line below with the answer keys the adapter reads (nested ones too).
 * torrent-get and session-get answer with the fields asked for: those come from the request.
 */
export const RPC_METHODS = {
  'session-get': [],
  'session-set': [],
  'session-stats': ['cumulative-stats', 'current-stats', 'uploadedBytes', 'downloadedBytes', 'secondsActive', 'filesAdded', 'sessionCount'],
  'torrent-get': [
    'torrents',
    'removed',
    'announce',
    'seederCount',
    'leecherCount',
    'downloadCount',
    'lastScrapeTime',
    'address',
    'port',
    'progress',
    'rateToClient',
    'rateToPeer',
  ],
  'torrent-add': ['torrent-added', 'torrent-duplicate', 'hashString', 'name', 'id'],
  'torrent-set': [],
  'torrent-set-location': [],
  'torrent-remove': [],
  'torrent-verify': [],
  'torrent-stop': [],
  'torrent-start': [],
  'free-space': ['path', 'size-bytes', 'total_size'],
  'group-set': [],
  'group-get': [
    'group',
    'name',
    'honorsSessionLimits',
    'speed-limit-up',
    'speed-limit-up-enabled',
    'speed-limit-down',
    'speed-limit-down-enabled',
  ],
} as const satisfies Record<string, readonly string[]>;

export type RpcMethod = keyof typeof RPC_METHODS;
export type RpcArguments = Record<string, unknown>;
/** Calls one RPC method; resolves with the answer's arguments (old names), throws on anything else. */
export type RpcCall = (method: RpcMethod, args: RpcArguments) => Promise<RpcArguments>;

/** `hashString` / `download-dir` / `torrent-get` -> `hash_string` / `download_dir` / `torrent_get`. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/-/g, '_')
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** The old names a request and its answer may use, keyed by their snake_case form. */
export function oldNamesFor(method: RpcMethod, args: RpcArguments): Map<string, string> {
  const names = new Map<string, string>();
  const add = (name: string): void => {
    names.set(toSnakeCase(name), name);
  };
  for (const name of RPC_METHODS[method]) add(name);
  for (const key of Object.keys(args)) add(key);
  const fields = args['fields'];
  if (Array.isArray(fields)) for (const f of fields) if (typeof f === 'string') add(f);
  return names;
}

/**
 * Renames the keys of a JSON value (deeply), leaving values alone; `fields` lists are names
 * too. Used both ways: old -> snake_case for requests, snake_case -> old for answers.
 */
export function renameKeys(value: unknown, rename: (key: string) => string, fieldsAreNames = false): unknown {
  if (Array.isArray(value)) return value.map((v) => renameKeys(v, rename, fieldsAreNames));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[rename(key)] =
      fieldsAreNames && key === 'fields' && Array.isArray(v)
        ? v.map((f) => (typeof f === 'string' ? rename(f) : f))
        : renameKeys(v, rename, fieldsAreNames);
  }
  return out;
}

/** A torrent-get table's header row is field names, not values: rename it too. */
export function renameTableHeader(torrents: unknown, rename: (key: string) => string): unknown {
  if (!Array.isArray(torrents) || torrents.length === 0 || !Array.isArray(torrents[0])) return torrents;
  const [head, ...rows] = torrents as unknown[][];
  return [head?.map((f) => (typeof f === 'string' ? rename(f) : f)), ...rows];
}
