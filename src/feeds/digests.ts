/**
 * Content digests from feed items, validated at the boundary. Pure. A feed may state `md5`,
 * `sha1` or `sha256` for the whole content and per file; owmeta names a single-file dataset's
 * .torrent by the MD5 of that file (`d9da5ce947c6f1c127dfcdc2ede63320.torrent`), which counts
 * as a content MD5. Academic Torrents' own `/download/<infohash>.torrent` (40 hex) is not one.
 */
import type { ContentDigests, DigestAlgorithm, DigestSet } from './types.js';

export const DIGEST_HEX_LENGTH: Readonly<Record<DigestAlgorithm, number>> = { md5: 32, sha1: 40, sha256: 64 };
export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha1', 'md5'];

/** Digests as a feed wrote them, before validation. */
export interface DigestCandidate {
  content: Partial<Record<DigestAlgorithm, string | null | undefined>>;
  files: { path: string | null | undefined; digests: Partial<Record<DigestAlgorithm, string | null | undefined>> }[];
}

export type DigestParse = { digests: ContentDigests | null; problems: string[] };

/** Validates what a feed stated; a malformed digest is dropped with a problem, the rest is kept. */
export function readDigests(candidate: DigestCandidate | null, torrentUrl: string | null): DigestParse {
  const problems: string[] = [];
  const content = candidate === null ? {} : validSet(candidate.content, 'content', problems);
  const files: ContentDigests['files'] = [];
  for (const [i, file] of (candidate?.files ?? []).entries()) {
    const path = normalizePath(file.path);
    if (path === null) {
      problems.push(`file digest ${i}: path ${JSON.stringify(file.path ?? '')} is not a relative path inside the torrent`);
      continue;
    }
    const digests = validSet(file.digests, `file ${path}`, problems);
    if (Object.keys(digests).length > 0) files.push({ path, digests });
  }
  if (Object.keys(content).length > 0 || files.length > 0) return { digests: { content, files, source: 'feed' }, problems };
  const md5 = md5FromTorrentName(torrentUrl);
  return { digests: md5 === null ? null : { content: { md5 }, files: [], source: 'torrent-name' }, problems };
}

/** owmeta: `<md5 of the single file>.torrent` as the URL's last path segment. */
export function md5FromTorrentName(torrentUrl: string | null): string | null {
  if (torrentUrl === null) return null;
  let path: string;
  try {
    path = new URL(torrentUrl).pathname;
  } catch {
    return null;
  }
  const match = /(?:^|\/)([0-9a-fA-F]{32})\.torrent$/.exec(path);
  return match?.[1]?.toLowerCase() ?? null;
}

function validSet(raw: DigestCandidate['content'], what: string, problems: string[]): DigestSet {
  const out: DigestSet = {};
  for (const algorithm of DIGEST_ALGORITHMS) {
    const text = raw[algorithm]?.trim().toLowerCase() ?? '';
    if (text === '') continue;
    const hex = text.replace(/^(md5|sha1|sha-1|sha256|sha-256):/, '');
    if (hex.length === DIGEST_HEX_LENGTH[algorithm] && /^[0-9a-f]+$/.test(hex)) out[algorithm] = hex;
    else
      problems.push(
        `${what}: ${algorithm} ${JSON.stringify(text.slice(0, 80))} is not ${DIGEST_HEX_LENGTH[algorithm]} hex digits; ignored`,
      );
  }
  return out;
}

function normalizePath(raw: string | null | undefined): string | null {
  const parts = (raw ?? '').split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0 || parts.some((p) => p === '..' || p.includes('\0'))) return null;
  return parts.join('/');
}
