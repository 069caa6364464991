import { redactUrl } from '../shared/index.js';

/**
 * Private trackers put passkeys in the query (`?passkey=...`, handled by redactUrl) or as a
 * path segment (`/<32 hex>/announce`). This also masks any path segment that looks like a
 * token: 16 or more characters of letters, digits, '-' or '_'.
 */
export function redactTrackerUrl(raw: string): string {
  const redacted = redactUrl(raw);
  if (redacted === '<invalid url>') return redacted;
  const url = new URL(redacted);
  const segments = url.pathname.split('/');
  const masked = segments.map((s) => (/^[A-Za-z0-9_-]{16,}$/.test(s) ? '***' : s));
  url.pathname = masked.join('/');
  return url.toString();
}

export type TrackerProtocol = 'http' | 'udp';

/** The protocol a tracker URL speaks for scraping, or null for ones we cannot scrape (wss, dht...). */
export function trackerProtocol(raw: string): TrackerProtocol | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return 'http';
  if (url.protocol === 'udp:') return 'udp';
  return null;
}

/** The host a tracker lives on (rate limits are per host). */
export function trackerHost(raw: string): string {
  try {
    return new URL(raw).host.toLowerCase();
  } catch {
    return raw;
  }
}
