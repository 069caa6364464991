/**
 * The last good copy of each feed, on disk, so a restart during a feed outage still knows what
 * the feed listed. Per feed: `<id>.json` (validators, format, when fetched) naming one body file
 * `<id>.<n>.body` (the answer's bytes as the server sent them, after content decoding).
 *
 * Invariants:
 * - atomic: the body is written and synced under a fresh name, then the meta file is replaced
 *   by rename; a crash at any point leaves the previous copy or the new one, never a mix. A body
 *   whose size differs from what its meta says is ignored;
 * - bounded: a body is at most the fetch's byte cap, one per feed;
 * - no secrets: no headers, no cookie, not even the URL (a query may hold a key: only its
 *   SHA-256 is kept, to tell that the policy still names the same feed); a body in which the
 *   feed's cookie appears is not kept at all.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const MetaSchema = z.object({
  version: z.literal(1),
  urlSha256: z.string(),
  format: z.enum(['rss', 'at-csv', 'json']),
  contentType: z.string().nullable(),
  etag: z.string().nullable(),
  lastModified: z.string().nullable(),
  fetchedAtMs: z.number(),
  bodyFile: z.string().regex(/^[a-z0-9_-]+\.[0-9a-f]+\.body$/),
  bodyBytes: z.number().int().nonnegative(),
});
export type StoredFeedMeta = z.infer<typeof MetaSchema>;

export interface StoredFeed {
  meta: StoredFeedMeta;
  /** The body, chunk by chunk, from disk. */
  chunks(): AsyncIterable<Uint8Array>;
}

export interface FeedBodyWriter {
  write(chunk: Uint8Array): Promise<void>;
  /** Makes this body the feed's last good copy; false when it was not kept (a secret in it). */
  commit(meta: Omit<StoredFeedMeta, 'version' | 'urlSha256' | 'bodyFile' | 'bodyBytes'>): Promise<boolean>;
  abort(): Promise<void>;
}

export function urlSha256(url: string): string {
  return createHash('sha256').update(url).digest('hex');
}

export class FeedStore {
  constructor(private readonly dir: string) {}

  /** The feed's stored copy when it is whole and was fetched from `url`; null otherwise. */
  async read(feedId: string, url: string): Promise<StoredFeed | null> {
    let meta: StoredFeedMeta;
    try {
      const parsed = MetaSchema.safeParse(JSON.parse(await readFile(this.metaPath(feedId), 'utf8')));
      if (!parsed.success) return null;
      meta = parsed.data;
    } catch {
      return null;
    }
    if (meta.urlSha256 !== urlSha256(url) || !meta.bodyFile.startsWith(`${feedId}.`)) return null;
    const bodyPath = join(this.dir, meta.bodyFile);
    try {
      if ((await stat(bodyPath)).size !== meta.bodyBytes) return null;
    } catch {
      return null;
    }
    return { meta, chunks: () => createReadStream(bodyPath, { highWaterMark: 256 * 1024 }) };
  }

  /** A writer for a new body; `secrets` (the cookie's parts) must not appear in what is kept. */
  async begin(feedId: string, url: string, secrets: readonly string[]): Promise<FeedBodyWriter> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const bodyFile = `${feedId}.${Date.now().toString(16)}${randomBytes(4).toString('hex')}.body`;
    const bodyPath = join(this.dir, bodyFile);
    const file: FileHandle = await open(bodyPath, 'w', 0o600);
    const needles = secrets.filter((s) => s.length >= 3).map((s) => Buffer.from(s, 'utf8'));
    const overlap = Math.max(0, ...needles.map((n) => n.length)) - 1;
    let tail = Buffer.alloc(0);
    let bytes = 0;
    let tainted = false;
    let closed = false;
    const close = async (): Promise<void> => {
      if (closed) return;
      closed = true;
      await file.close();
    };
    const discard = async (): Promise<void> => {
      await close().catch(() => undefined);
      await unlink(bodyPath).catch(() => undefined);
    };
    return {
      write: async (chunk) => {
        if (needles.length > 0 && !tainted) {
          // Look across the chunk boundary too: a secret may be split between two chunks.
          const window = Buffer.concat([tail, chunk]);
          tainted = needles.some((n) => window.includes(n));
          tail = window.subarray(Math.max(0, window.length - overlap));
        }
        if (tainted) return;
        await file.write(chunk);
        bytes += chunk.byteLength;
      },
      commit: async (fields) => {
        if (tainted) {
          await discard();
          return false;
        }
        await file.sync();
        await close();
        const previous = await this.currentBodyFile(feedId);
        const meta: StoredFeedMeta = { version: 1, urlSha256: urlSha256(url), bodyFile, bodyBytes: bytes, ...fields };
        const tmp = `${this.metaPath(feedId)}.${process.pid}.tmp`;
        await writeFile(tmp, JSON.stringify(meta), { mode: 0o600 });
        await rename(tmp, this.metaPath(feedId));
        if (previous !== null && previous !== bodyFile) await unlink(join(this.dir, previous)).catch(() => undefined);
        return true;
      },
      abort: discard,
    };
  }

  private metaPath(feedId: string): string {
    return join(this.dir, `${feedId}.json`);
  }

  private async currentBodyFile(feedId: string): Promise<string | null> {
    try {
      const parsed = MetaSchema.safeParse(JSON.parse(await readFile(this.metaPath(feedId), 'utf8')));
      return parsed.success && parsed.data.bodyFile.startsWith(`${feedId}.`) ? parsed.data.bodyFile : null;
    } catch {
      return null;
    }
  }
}
