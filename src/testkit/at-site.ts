/**
 * A real HTTP server that behaves like Academic Torrents as a volunteer's node meets it, for
 * tests and benchmarks. One host serves everything, as the real site does:
 *
 * - `/database.xml`: the whole catalogue in the site's RSS shape (title, category, infohash,
 *   guid, link, description, size; no counts, no dates, `https://` namespace, unprefixed
 *   elements), items not in date order;
 * - `/download/<hash>.torrent`: the metainfo; a passkeyed one only with the API key as Cookie
 *   (401 without it);
 * - `/announce.php` and `/scrape.php`: a tracker whose counts the test sets. Its scrape answers a
 *   multi-hash request with the first hash only (the real tracker silently ignores the rest);
 * - a rate limit over the whole site: a request sooner than `1/ratePerSecond` after the previous
 *   one from the same client kind gets 429 with Retry-After, and is counted as a violation.
 *
 * Every request is logged with its time, path and whether it was refused. Requests from a
 * Transmission daemon (its own announces, which smartnode does not pace) are logged apart.
 *
 * The catalogue is synthetic (made-up names and hashes in the real shape); tests that need the
 * real captured documents read them from test/fixtures/academictorrents/.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeBencode, encodeBencode, infoHashFromBytes, type BDict, type BValue, type InfoHash } from '../shared/index.js';

export interface AtTorrent {
  infoHash: InfoHash;
  name: string;
  category: string;
  description: string;
  sizeBytes: number;
  /** Served only with the API key cookie. */
  passkeyed?: boolean;
  metainfo?: Uint8Array;
}

export interface AtSwarm {
  seeders: number;
  leechers: number;
  completed: number;
}

export interface AtRequest {
  atMs: number;
  path: string;
  status: number;
  /** A Transmission daemon's own request (not paced by smartnode). */
  daemon: boolean;
  /** Hashes a scrape asked for. */
  scrapeHashes: number;
  cookie: string | undefined;
}

export interface AtSite {
  readonly url: string;
  readonly announceUrl: string;
  readonly databaseUrl: string;
  readonly requests: AtRequest[];
  setSwarm(infoHash: InfoHash, swarm: AtSwarm): void;
  setCatalogue(torrents: readonly AtTorrent[]): void;
  /** Requests refused with 429 (smartnode's, not the daemon's). */
  violations(): number;
  close(): Promise<void>;
}

export interface AtSiteOptions {
  host: string;
  torrents: readonly AtTorrent[];
  /** The site's limit; a gap of `slack` x 1/rate between two requests is accepted (default 1: strict). */
  ratePerSecond: number;
  slack?: number;
  retryAfterSeconds?: number;
  /** The API key cookie (`uid=N;pass=HEX`) passkeyed .torrents need. */
  apiKey?: string;
  clock?: () => number;
}

export async function startAtSite(options: AtSiteOptions): Promise<AtSite> {
  const clock = options.clock ?? Date.now;
  let torrents = new Map(options.torrents.map((t) => [t.infoHash, t]));
  const swarms = new Map<InfoHash, AtSwarm>();
  const requests: AtRequest[] = [];
  const lastAt = { smartnode: Number.NEGATIVE_INFINITY, daemon: Number.NEGATIVE_INFINITY };
  const minGapMs = (1000 / options.ratePerSecond) * (options.slack ?? 1);
  let base = '';

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    const url = new URL(path, 'http://x');
    const daemon = /^Transmission/i.test(req.headers['user-agent'] ?? '');
    const nowMs = clock();
    const hashes = url.pathname === '/scrape.php' ? infoHashesOf(url) : [];
    const log = (status: number): void => {
      requests.push({ atMs: nowMs, path: url.pathname, status, daemon, scrapeHashes: hashes.length, cookie: req.headers.cookie });
    };
    const kind = daemon ? 'daemon' : 'smartnode';
    const tooSoon = nowMs - lastAt[kind] < minGapMs;
    lastAt[kind] = nowMs;
    if (tooSoon) {
      log(429);
      res.writeHead(429, { 'retry-after': String(options.retryAfterSeconds ?? 2), 'content-type': 'text/plain' });
      res.end('Too Many Requests');
      return;
    }
    if (url.pathname === '/database.xml') {
      log(200);
      res.writeHead(200, { 'content-type': 'application/rss+xml' });
      res.end(databaseXml([...torrents.values()], base));
      return;
    }
    const download = /^\/download\/([0-9a-f]{40})\.torrent$/.exec(url.pathname);
    if (download !== null) {
      const t = torrents.get(download[1] as InfoHash);
      if (t === undefined) {
        answer(res, log, 404, 'text/plain', 'no such torrent');
        return;
      }
      if (t.passkeyed === true && (options.apiKey === undefined || req.headers.cookie !== options.apiKey)) {
        answer(res, log, 401, 'text/plain', 'log in (send your API key as the cookie) for a passkeyed .torrent');
        return;
      }
      answer(res, log, 200, 'application/x-bittorrent', t.metainfo ?? syntheticMetainfo(t, `${base}/announce.php`).metainfo);
      return;
    }
    if (url.pathname === '/scrape.php') {
      // Only the first hash is answered, however many were asked.
      const entries = new Map<string, BValue>();
      const first = hashes[0];
      if (first !== undefined) {
        const s = swarms.get(first) ?? { seeders: 0, leechers: 0, completed: 0 };
        const counts = decodeBencode(encodeBencode({ complete: s.seeders, incomplete: s.leechers, downloaded: s.completed }));
        entries.set(Buffer.from(first, 'hex').toString('binary'), counts);
      }
      const files: BDict = { type: 'dict', entries, start: 0, end: 0 };
      answer(res, log, 200, 'text/plain', encodeBencode({ files }));
      return;
    }
    if (url.pathname === '/announce.php') {
      const hash = infoHashesOf(url)[0];
      const s = (hash === undefined ? undefined : swarms.get(hash)) ?? { seeders: 0, leechers: 0, completed: 0 };
      answer(
        res,
        log,
        200,
        'text/plain',
        encodeBencode({ interval: 1800, complete: s.seeders, incomplete: s.leechers, peers: new Uint8Array(0) }),
      );
      return;
    }
    answer(res, log, 404, 'text/plain', 'not found');
  };

  const server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, options.host, resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://${options.host}:${port}`;
  return {
    url: base,
    announceUrl: `${base}/announce.php`,
    databaseUrl: `${base}/database.xml`,
    requests,
    setSwarm: (hash, swarm) => swarms.set(hash, swarm),
    setCatalogue: (next) => {
      torrents = new Map(next.map((t) => [t.infoHash, t]));
    },
    violations: () => requests.filter((r) => r.status === 429 && !r.daemon).length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(res: ServerResponse, log: (status: number) => void, status: number, type: string, body: string | Uint8Array): void {
  log(status);
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

/** Every info_hash parameter of a tracker request, as hex (the query holds 20 raw bytes each). */
function infoHashesOf(url: URL): InfoHash[] {
  const raw = url.search.slice(1).split('&');
  const out: InfoHash[] = [];
  for (const pair of raw) {
    const [key, value] = pair.split('=');
    if (key !== 'info_hash' || value === undefined) continue;
    const bytes = percentDecodeBytes(value);
    if (bytes.length === 20) out.push(infoHashFromBytes(bytes));
  }
  return out;
}

function percentDecodeBytes(text: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '%') {
      out.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else out.push(text.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The catalogue as the site's database.xml: no counts, no dates, the live namespace. */
export function databaseXml(torrents: readonly AtTorrent[], base: string): string {
  const items = torrents.map(
    (t) =>
      `<item>\n<title>${xmlEscape(t.name)}</title>\n<category>${xmlEscape(t.category)}</category>\n<infohash>${t.infoHash}</infohash>\n` +
      `<guid>${base}/details/${t.infoHash}</guid>\n<link>${base}/details/${t.infoHash}</link>\n` +
      `<description>${xmlEscape(t.description)}</description>\n<size>${t.sizeBytes}</size>\n</item>`,
  );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:academictorrents="https://academictorrents.com" version="2.0">\n<channel>\n' +
    `<title>Academic Torrents</title>\n<description>All Torrents</description>\n<link>${base}/</link>\n${items.join('\n')}\n</channel>\n</rss>\n`
  );
}

/** A small valid .torrent for a catalogue entry (one file of its size; pieces are not real). */
export function syntheticMetainfo(
  t: Pick<AtTorrent, 'name' | 'sizeBytes'>,
  announce: string,
): { metainfo: Uint8Array; infoHash: InfoHash } {
  // Big torrents get big pieces (as real ones do), so no file holds more than ~4,000 piece hashes.
  let pieceLength = 256 * 1024;
  while (t.sizeBytes / pieceLength > 4096) pieceLength *= 2;
  const pieces = Math.max(1, Math.ceil(t.sizeBytes / pieceLength));
  const info = { length: t.sizeBytes, name: t.name, 'piece length': pieceLength, pieces: new Uint8Array(20 * pieces) };
  const infoBytes = encodeBencode(info);
  const infoHash = infoHashFromBytes(createHash('sha1').update(infoBytes).digest());
  return { metainfo: encodeBencode({ announce, 'creation date': 1_700_000_000, info }), infoHash };
}

const CATEGORIES = ['Dataset', 'Course', 'Paper'] as const;

/**
 * A synthetic catalogue of `count` entries in the real one's shape: categories in the site's
 * proportions (mostly datasets), sizes from a few MB to terabytes, one in ten passkeyed.
 * Hashes are the SHA-1 of their synthetic .torrent's info dictionary, so they are real hashes.
 */
export function syntheticCatalogue(count: number): AtTorrent[] {
  const out: AtTorrent[] = [];
  for (let i = 0; i < count; i++) {
    const category = CATEGORIES[i % 7 === 0 ? 1 : i % 11 === 0 ? 2 : 0] as string;
    const sizeBytes = 4_000_000 * (1 + ((i * 7919) % 250_000));
    const name = `synthetic-${category.toLowerCase()}-${String(i).padStart(4, '0')}`;
    // The info-hash does not depend on the announce URL: the site fills its own in when serving.
    const { infoHash } = syntheticMetainfo({ name, sizeBytes }, 'http://unused/announce.php');
    out.push({ infoHash, name, category, description: `Synthetic ${category} number ${i}`, sizeBytes, passkeyed: i % 10 === 0 });
  }
  return out;
}
