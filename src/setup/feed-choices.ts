/**
 * The feeds `smartnode init` offers, and what the owner types at its feed step: an Academic
 * Torrents collection name or any feed URL. Pure.
 *
 * Academic Torrents' "hosted by" credit needs the volunteer's API key (`uid=N;pass=HEX`) as the
 * cookie of every feed and .torrent request. The key is a credential: the policy names only the
 * environment variable holding it (AT_COOKIE_ENV), and only on feeds whose URL is https on an
 * Academic Torrents host, so it can never be sent anywhere else.
 */
import { feedFormatFromUrl, feedIdFromUrl, type FeedChoice } from './policy-text.js';

export const AT_SITE = 'https://academictorrents.com';
/** The variable the written policy names as `cookieEnv` on Academic Torrents feeds. */
export const AT_COOKIE_ENV = 'SMARTNODE_AT_COOKIE';

/**
 * A built-in snapshot of well-known feeds, not read from the site: Academic Torrents' recent
 * uploads and whole catalogue, and the collection CSVs its own managed nodes mirror
 * (academictorrents/smartnode-transmission, collections_urls.txt, 2026-12). Any other collection
 * is typed by name; the site's live list is `/collections.php`.
 */
export const AT_FEEDS: readonly FeedChoice[] = [
  { id: 'at-recent', url: `${AT_SITE}/rss.xml`, format: 'rss', title: 'Academic Torrents: recent uploads (rss.xml)' },
  { id: 'at-all', url: `${AT_SITE}/database.xml`, format: 'rss', title: 'Academic Torrents: the whole catalogue (database.xml)' },
  ...['medical', 'deep-learning', 'computer-vision', 'video-lectures', 'joes-small-mirror-list'].map((name) => atCollection(name)),
];

export const SCIOP_FEEDS: readonly FeedChoice[] = [
  {
    id: 'sciop-unseeded',
    url: 'https://sciop.net/rss/seeds/unseeded.rss',
    format: 'rss',
    title: 'SciOp: torrents with no seeder (need-based RSS)',
  },
  {
    id: 'sciop-1-10',
    url: 'https://sciop.net/rss/seeds/1-10.rss',
    format: 'rss',
    title: 'SciOp: torrents with 1-10 seeders (need-based RSS)',
  },
];

/** What `init --yes` offers and defaults to (its first), then the Academic Torrents snapshot. */
export const SUGGESTED_FEEDS: readonly FeedChoice[] = [...SCIOP_FEEDS, ...AT_FEEDS];

/** The feeds with `cookieEnv` set to `name` on those on an Academic Torrents host over https, and on no other (none without a name). */
export function withAtCookieEnv(feeds: readonly FeedChoice[], name: string | undefined): FeedChoice[] {
  return feeds.map((feed) => {
    const { cookieEnv: _unused, ...rest } = feed;
    return name !== undefined && isAcademicTorrentsUrl(feed.url) ? { ...rest, cookieEnv: name } : rest;
  });
}

function atCollection(name: string): FeedChoice {
  return {
    id: `at-${name.toLowerCase().slice(0, 61)}`,
    url: `${AT_SITE}/collection/${name}.csv`,
    format: 'at-csv',
    title: `Academic Torrents collection: ${name}`,
  };
}

/** True for an https URL on academictorrents.com or one of its subdomains: the only place its API key may go. */
export function isAcademicTorrentsUrl(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const parsed = new URL(url);
  const host = parsed.hostname.toLowerCase();
  return parsed.protocol === 'https:' && (host === 'academictorrents.com' || host.endsWith('.academictorrents.com'));
}

/** Two URLs name the same feed when they differ only in case of scheme and host or a trailing slash. */
function sameFeedUrl(a: string, b: string): boolean {
  const norm = (u: string): string => (URL.canParse(u) ? new URL(u).href.replace(/\/$/, '') : u);
  return norm(a) === norm(b);
}

export type FeedInput =
  | { readonly kind: 'new'; readonly feed: FeedChoice }
  | { readonly kind: 'known'; readonly feed: FeedChoice }
  | { readonly kind: 'invalid'; readonly message: string };

/**
 * What the owner typed, against the feeds already listed: a collection name becomes its CSV
 * URL, an http Academic Torrents URL its https one (the site serves https; the key travels only
 * over it), and a feed already listed is named as such rather than added twice.
 */
export function readFeedInput(text: string, listed: readonly FeedChoice[]): FeedInput {
  const typed = text.trim();
  if (/^[a-z0-9][a-z0-9_-]*$/i.test(typed)) return withListed(atCollection(typed), listed);
  if (!URL.canParse(typed) || !/^https?:$/.test(new URL(typed).protocol)) {
    return {
      kind: 'invalid',
      message: `expected an Academic Torrents collection name (like "medical") or a feed URL (http or https), got ${JSON.stringify(typed)}`,
    };
  }
  let url = new URL(typed).href;
  if (url.startsWith('http:') && isAcademicTorrentsUrl(url.replace(/^http:/, 'https:'))) url = url.replace(/^http:/, 'https:');
  const base = feedIdFromUrl(url);
  const id = isAcademicTorrentsUrl(url) && !base.startsWith('at-') ? `at-${base}`.slice(0, 64) : base;
  return withListed({ id, url, format: feedFormatFromUrl(url), title: url }, listed);
}

function withListed(feed: FeedChoice, listed: readonly FeedChoice[]): FeedInput {
  const known = listed.find((f) => sameFeedUrl(f.url, feed.url));
  if (known !== undefined) return { kind: 'known', feed: known };
  let id = feed.id;
  for (let n = 2; listed.some((f) => f.id === id); n++) id = `${feed.id}-${n}`;
  return { kind: 'new', feed: { ...feed, id } };
}

/**
 * The feeds given as `--feed` flags, each once: a URL given twice (or a collection named twice)
 * is one feed, never two entries with one id.
 */
export function feedsFromFlags(values: readonly string[]): { feeds: FeedChoice[]; problems: string[] } {
  const feeds: FeedChoice[] = [];
  const problems: string[] = [];
  for (const value of values) {
    const input = readFeedInput(value, feeds);
    if (input.kind === 'new') feeds.push(input.feed);
    else if (input.kind === 'invalid') problems.push(`--feed: ${input.message}`);
  }
  return { feeds, problems };
}

/** The shape of an Academic Torrents API key, `uid=N;pass=HEX`: undefined when it fits, else what is wrong (never the key). */
export function checkAtApiKey(text: string): string | undefined {
  if (/^uid=\d+;\s?pass=[0-9a-f]{16,128}$/i.test(text.trim())) return undefined;
  return 'expected the key as Academic Torrents shows it, uid=NUMBER;pass=HEX (the text typed is not shown)';
}

/**
 * An environment file (systemd's EnvironmentFile= syntax) with `name` set to `value`: the
 * line for `name` replaced, every other line kept as it was. The value is double-quoted, so a
 * `;` in it is not read as the start of a comment by a shell that sources the file.
 */
export function withEnvironmentVariable(existing: string, name: string, value: string): string {
  const lines = existing === '' ? [] : existing.replace(/\n$/, '').split('\n');
  const kept = lines.filter((line) => !new RegExp(`^\\s*(export\\s+)?${name}=`).test(line));
  return [...kept, `${name}=${JSON.stringify(value)}`, ''].join('\n');
}
