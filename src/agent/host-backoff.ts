/**
 * Per-host backoff for servers that fail (feeds, .torrent hosts): after n failures in a row the
 * host is left alone for min(max, base x 2^(n-1)); one success forgets its failures. Pure: the
 * caller passes the time.
 */
export interface HostBackoff {
  /** Records a failure; returns when the host may be tried again (ms since epoch). */
  failed(host: string, nowMs: number): number;
  succeeded(host: string): void;
  failures(host: string): number;
  /** When the host may be tried again; 0 when it is not backing off. */
  retryAtMs(host: string): number;
}

export function createHostBackoff(baseMs: number, maxMs: number): HostBackoff {
  const hosts = new Map<string, { failures: number; retryAtMs: number }>();
  return {
    failed(host, nowMs) {
      const failures = (hosts.get(host)?.failures ?? 0) + 1;
      const retryAtMs = nowMs + Math.min(maxMs, baseMs * 2 ** Math.min(failures - 1, 30));
      hosts.set(host, { failures, retryAtMs });
      return retryAtMs;
    },
    succeeded(host) {
      hosts.delete(host);
    },
    failures: (host) => hosts.get(host)?.failures ?? 0,
    retryAtMs: (host) => hosts.get(host)?.retryAtMs ?? 0,
  };
}

/** host[:port] of a URL, or the text itself when it is not one (then it is its own host). */
export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
