/**
 * Test helpers for the feeds domain: a .torrent builder over the shared bencode encoder, and an
 * Academic Torrents-shaped rss.xml of any length.
 * Used by tests and benchmarks only; never by production code.
 */
import { createHash } from 'node:crypto';
import { encodeBencode, type BencodeInput } from '../shared/index.js';

export { encodeBencode };
export type BInput = BencodeInput;

export interface TorrentSpec {
  name?: string;
  pieceLength?: number;
  /** Single-file length; ignored when `files` is given. */
  length?: number;
  files?: Array<{ path: string[]; length: number }>;
  announce?: string;
  announceList?: string[][];
  isPrivate?: boolean;
  /** Override or add raw info keys (for hostile cases). */
  infoExtra?: Record<string, BInput>;
  /** Override the pieces string (for hostile cases). */
  pieces?: Uint8Array;
}

/** The info dict a spec describes, with the right number of (zero) piece hashes. */
export function anInfoDict(spec: TorrentSpec = {}): Record<string, BInput> {
  const pieceLength = spec.pieceLength ?? 16384;
  const total = spec.files === undefined ? (spec.length ?? 100_000) : spec.files.reduce((n, f) => n + f.length, 0);
  const info: Record<string, BInput> = {
    name: spec.name ?? 'dataset',
    'piece length': pieceLength,
    pieces: spec.pieces ?? new Uint8Array(20 * Math.max(1, Math.ceil(total / pieceLength))),
  };
  if (spec.files === undefined) info.length = spec.length ?? 100_000;
  else info.files = spec.files.map((f) => ({ length: f.length, path: f.path }));
  if (spec.isPrivate === true) info.private = 1;
  return { ...info, ...(spec.infoExtra ?? {}) };
}

/** A whole .torrent file's bytes. */
export function aTorrentFile(spec: TorrentSpec = {}): Uint8Array {
  const root: Record<string, BInput> = { info: anInfoDict(spec) };
  root.announce = spec.announce ?? 'http://127.0.0.1:6969/announce';
  if (spec.announceList !== undefined) root['announce-list'] = spec.announceList;
  return encodeBencode(root);
}

/** The info-hash a spec's torrent must have, computed independently of the decoder. */
export function expectedInfoHash(spec: TorrentSpec = {}): string {
  return createHash('sha1')
    .update(encodeBencode(anInfoDict(spec)))
    .digest('hex');
}

/** An rss.xml shaped like Academic Torrents' (unprefixed infohash/size, no enclosure). */
export function generateAtRss(count: number): string {
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:academictorrents="http://academictorrents.com/" version="2.0">\n<channel>\n',
    '<title>Academic Torrents</title><link>https://academictorrents.com/</link><description>database</description>\n',
  ];
  for (let i = 0; i < count; i++) {
    const hash = createHash('sha1').update(`item-${i}`).digest('hex');
    const day = String(1 + (i % 28)).padStart(2, '0');
    parts.push(
      `<item><title>Dataset ${i}: sensor recordings &amp; labels (part ${i % 17})</title><category>Dataset</category>`,
      `<infohash>${hash}</infohash><guid>${hash}</guid><link>https://academictorrents.com/details/${hash}</link>`,
      `<description><![CDATA[<p>Recordings from site ${i % 311}, with labels. See the paper for details.</p>]]></description>`,
      `<size>${(i * 7919 + 1) * 1024}</size><pubDate>Mon, ${day} Jan 2024 10:00:00 +0000</pubDate></item>\n`,
    );
  }
  parts.push('</channel>\n</rss>\n');
  return parts.join('');
}
