/**
 * The feed a publishing node serves: RSS 2.0 (`feed.xml`) with a BEP 36 enclosure, the
 * Academic Torrents item fields `infohash` and `size`, and the content's `sha256`; and the
 * same as a JSON list (`feed.json`, `{"torrents": [...]}`), both readable by smartnode's own
 * feed parsers. Rendering is pure; writing is atomic (a temporary file renamed over the old).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SmartnodeError } from '../shared/index.js';
import type { PublishedRecord } from './record.js';

export const FEED_XML = 'feed.xml';
export const FEED_JSON = 'feed.json';
export const TORRENTS_DIR = 'torrents';

export interface FeedMeta {
  title: string;
  /** Where the feed directory is served; null: links relative to the feed file. */
  baseUrl: string | null;
}

export function torrentLink(meta: FeedMeta, infoHash: string): string {
  const relative = `${TORRENTS_DIR}/${infoHash}.torrent`;
  return meta.baseUrl === null ? relative : new URL(relative, meta.baseUrl.endsWith('/') ? meta.baseUrl : `${meta.baseUrl}/`).toString();
}

export function renderRssFeed(records: readonly PublishedRecord[], meta: FeedMeta, nowMs: number): string {
  const items = sorted(records).map((r) => {
    const url = torrentLink(meta, r.infoHash);
    return `    <item>
      <title>${xml(r.name)}</title>
      <guid isPermaLink="false">${r.infoHash}</guid>
      <pubDate>${new Date(r.publishedAtMs).toUTCString()}</pubDate>
      <description>${xml(`${r.fileCount} file${r.fileCount === 1 ? '' : 's'}, ${r.sizeBytes} bytes`)}</description>
      <link>${xml(url)}</link>
      <enclosure url="${xml(url)}" length="${r.torrentBytes}" type="application/x-bittorrent"/>
      <infohash>${r.infoHash}</infohash>
      <size>${r.sizeBytes}</size>
      <sha256>${r.sha256}</sha256>
    </item>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>${xml(meta.title)}</title>
    <link>${xml(meta.baseUrl ?? '.')}</link>
    <description>${xml(
      `${records.length} dataset${records.length === 1 ? '' : 's'} published with smartnode; ` +
        `each item's sha256 is of the content (its files concatenated in the torrent's order)`,
    )}</description>
    <lastBuildDate>${new Date(nowMs).toUTCString()}</lastBuildDate>
${items.join('\n')}
  </channel>
</rss>
`;
}

export function renderJsonFeed(records: readonly PublishedRecord[], meta: FeedMeta): string {
  const torrents = sorted(records).map((r) => ({
    infohash: r.infoHash,
    name: r.name,
    size: r.sizeBytes,
    url: torrentLink(meta, r.infoHash),
    sha256: r.sha256,
    trackers: r.trackers,
    published_at: new Date(r.publishedAtMs).toISOString(),
  }));
  return `${JSON.stringify({ title: meta.title, torrents }, null, 2)}\n`;
}

export async function writeFeedFiles(dir: string, records: readonly PublishedRecord[], meta: FeedMeta, nowMs: number): Promise<void> {
  await writeAtomic(join(dir, FEED_XML), renderRssFeed(records, meta, nowMs));
  await writeAtomic(join(dir, FEED_JSON), renderJsonFeed(records, meta));
}

/** Writes beside the target and renames over it: a reader sees the old file or the new, never half. */
export async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dir, { recursive: true });
    await writeFile(temp, data, { mode: 0o644 });
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw new SmartnodeError('PUBLISH_IO', `cannot write ${path}: ${(error as Error).message}`, {
      hint: 'check that the publish directory exists, is writable by this user and has free space',
      cause: error,
    });
  }
}

function sorted(records: readonly PublishedRecord[]): PublishedRecord[] {
  return [...records].sort((a, b) => b.publishedAtMs - a.publishedAtMs || a.infoHash.localeCompare(b.infoHash));
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
