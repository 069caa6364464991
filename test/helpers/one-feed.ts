/**
 * The smallest world an agent test needs: one Academic Torrents CSV feed of generated torrents
 * on a real feed server, and a policy with one daemon and that feed, written to a file.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { aTorrentFile, expectedInfoHash } from '../../src/feeds/testing.js';
import type { FeedServer } from '../../src/testkit/feed-server.js';

const HEADER = 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED';

/**
 * Lists torrents named `names` (each `sizeBytes` plus its index, so every info-hash differs) in
 * /c.csv, serving each .torrent at /download/<infohash>.torrent after `torrentDelayMs`.
 * Returns the info-hashes in order.
 */
export function publishCsvFeed(
  feeds: FeedServer,
  names: readonly string[],
  options: { sizeBytes: number; torrentDelayMs?: number },
): string[] {
  const rows: string[] = [];
  const hashes = names.map((name, i) => {
    const spec = { name, length: options.sizeBytes + i, announce: 'http://127.0.0.1:1/announce' };
    const hash = expectedInfoHash(spec);
    feeds.setRoute(`/download/${hash}.torrent`, {
      body: aTorrentFile(spec),
      contentType: 'application/x-bittorrent',
      ...(options.torrentDelayMs === undefined ? {} : { delayMs: options.torrentDelayMs }),
    });
    rows.push(`Dataset,${name},${hash},${spec.length},0,2,3,1700000000,1700000000`);
    return hash;
  });
  feeds.setRoute('/c.csv', { contentType: 'text/csv', body: `${HEADER}\n${rows.join('\n')}\n` });
  return hashes;
}

/** Writes <workDir>/policy.yaml: state and mirror under workDir, the daemon, the feed; `extra` is appended YAML. */
export async function writeOneFeedPolicy(o: {
  workDir: string;
  daemonUrl: string;
  username: string;
  passwordEnv: string;
  feedUrl: string;
  extra?: string;
}): Promise<string> {
  const path = join(o.workDir, 'policy.yaml');
  await writeFile(
    path,
    `version: 1
node:
  stateDir: ${join(o.workDir, 'state')}
daemon:
  url: ${o.daemonUrl}
  username: ${o.username}
  passwordEnv: ${o.passwordEnv}
storage:
  downloadDir: ${join(o.workDir, 'mirror')}
  maxBytes: 10 MB
  minFreeBytes: 0
feeds:
  - id: main
    url: ${o.feedUrl}
scoring:
  minSeedTime: 0s
scrape:
  enabled: false
${o.extra ?? ''}`,
  );
  return path;
}
