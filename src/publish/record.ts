/**
 * A dataset this node published (`smartnode publish`), as kept in agent state. Published
 * torrents are not owned mirror torrents: they are never evicted, never counted against the
 * budget, and their data (the owner's, seeded in place) is never deleted by smartnode.
 */
import { z } from 'zod';

export const publishedRecordSchema = z.object({
  infoHash: z.string(),
  name: z.string(),
  /** Absolute path of the dataset (file or directory), seeded in place. */
  path: z.string(),
  /** The download-dir the daemon was given: the dataset's parent directory. */
  downloadDir: z.string(),
  sizeBytes: z.number().nonnegative(),
  fileCount: z.number().int().positive(),
  /** Absolute path of the .torrent written for the feed, and its size (the enclosure length). */
  torrentFile: z.string(),
  torrentBytes: z.number().int().positive(),
  /** sha256 of the content (the files concatenated in the torrent's order). */
  sha256: z.string(),
  trackers: z.array(z.string()),
  webSeeds: z.array(z.string()),
  publishedAtMs: z.number(),
});

export type PublishedRecord = z.infer<typeof publishedRecordSchema>;
