/**
 * `smartnode publish`: make a torrent of a dataset, check it by reading it back, write it for
 * the feed, add it to the daemon seeding in place (the dataset's parent is the download dir:
 * nothing is copied or moved), record it as published, and list it in the feed files. The
 * record is written before the daemon call, like every ownership intent.
 */
import { readFile, rm, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { DaemonPort, DaemonTorrent } from '../daemon/index.js';
import { parseTorrentFile } from '../feeds/index.js';
import { SmartnodeError, parseInfoHash, type InfoHash } from '../shared/index.js';
import { TORRENTS_DIR, writeAtomic, writeFeedFiles, type FeedMeta } from './feed-file.js';
import { choosePieceLength, estimateTorrentBytes, makeTorrent } from './make-torrent.js';
import type { PublishedRecord } from './record.js';
import { scanDataset, type ScannedDataset } from './scan.js';

export interface PublishStore {
  published(): PublishedRecord[];
  putPublished(record: PublishedRecord): void;
  deletePublished(hash: InfoHash): void;
}

export interface PublishDeps {
  daemon: DaemonPort;
  store: PublishStore;
  clock: () => number;
  /** Free bytes on the filesystem holding `dir` (statfs by default). */
  freeBytes?: (dir: string) => Promise<number>;
}

export interface PublishSettings {
  /** Where feed.xml, feed.json and torrents/ are written. */
  outDir: string;
  feed: FeedMeta;
  trackers: readonly string[];
  webSeeds: readonly string[];
  /** The daemon label of published torrents (not the mirror's label: never adopted, never evicted). */
  label: string;
  /** smartnode's own download dir: nothing inside it may be published. */
  ownDownloadDir: string | null;
  /** How long the daemon may take to check the data before publishing fails; default scales with size. */
  verifyTimeoutMs?: number;
}

export async function publishDataset(deps: PublishDeps, settings: PublishSettings, path: string): Promise<PublishedRecord> {
  const dataset = await scanDataset(path, { ownDownloadDir: settings.ownDownloadDir });
  const already = deps.store.published().find((r) => r.path === dataset.root);
  if (already !== undefined) {
    throw new SmartnodeError('PUBLISH_INVALID', `${dataset.root} is already published as ${already.infoHash}`, {
      hint: `withdraw it first (smartnode publish --withdraw ${already.infoHash}) to publish it anew`,
    });
  }
  const pieceLength = choosePieceLength(dataset.totalBytes);
  await checkRoom(deps, settings, dataset, pieceLength);

  const made = await makeTorrent(dataset, {
    trackers: settings.trackers,
    webSeeds: settings.webSeeds,
    pieceLengthBytes: pieceLength,
    creationDate: Math.floor(deps.clock() / 1000),
    contentSha256: true,
  });
  const torrentFile = join(settings.outDir, TORRENTS_DIR, `${made.infoHash}.torrent`);
  await writeAtomic(torrentFile, made.metainfo);
  const bytes = await readBack(torrentFile, made.infoHash, dataset);

  const record: PublishedRecord = {
    infoHash: made.infoHash,
    name: dataset.name,
    path: dataset.root,
    downloadDir: dirname(dataset.root),
    sizeBytes: dataset.totalBytes,
    fileCount: dataset.files.length,
    torrentFile,
    torrentBytes: bytes.length,
    sha256: made.contentSha256 ?? '',
    trackers: [...settings.trackers],
    webSeeds: [...settings.webSeeds],
    publishedAtMs: deps.clock(),
  };
  deps.store.putPublished(record);
  try {
    const added = await deps.daemon.addTorrent({ metainfo: bytes, downloadDir: record.downloadDir, labels: [settings.label] });
    if (added.duplicate) {
      throw new SmartnodeError('PUBLISH_INVALID', `the daemon already holds ${dataset.name} (${made.infoHash}), added outside smartnode`, {
        hint: 'it is seeding already; smartnode leaves torrents it did not add alone',
      });
    }
    await waitSeeding(deps.daemon, made.infoHash, settings.verifyTimeoutMs ?? 60_000 + dataset.totalBytes / 50_000);
  } catch (error) {
    // Undo: the daemon forgets it (the data stays, it is the owner's), and so does the state.
    if (!(error instanceof SmartnodeError && error.code === 'PUBLISH_INVALID')) {
      await deps.daemon.removeTorrent(made.infoHash, { deleteData: false }).catch(() => undefined);
    }
    deps.store.deletePublished(made.infoHash);
    await rm(torrentFile, { force: true });
    throw error;
  }
  await writeFeedFiles(settings.outDir, deps.store.published(), settings.feed, deps.clock());
  return record;
}

/** Stops seeding a published dataset, keeps its data, and drops it from the feed files. */
export async function withdrawDataset(
  deps: PublishDeps,
  settings: Pick<PublishSettings, 'outDir' | 'feed'>,
  infoHashText: string,
): Promise<PublishedRecord> {
  const hash = parseInfoHash(infoHashText);
  const record = hash === null ? undefined : deps.store.published().find((r) => r.infoHash === hash);
  if (hash === null || record === undefined) {
    throw new SmartnodeError('PUBLISH_INVALID', `${JSON.stringify(infoHashText)} is not a dataset this node published`, {
      hint: 'see `smartnode publish --list` for the info-hashes',
    });
  }
  await deps.daemon.removeTorrent(hash, { deleteData: false });
  deps.store.deletePublished(hash);
  await rm(record.torrentFile, { force: true });
  await writeFeedFiles(settings.outDir, deps.store.published(), settings.feed, deps.clock());
  return record;
}

async function checkRoom(deps: PublishDeps, settings: PublishSettings, dataset: ScannedDataset, pieceLength: number): Promise<void> {
  const needed = estimateTorrentBytes(dataset, pieceLength, 64 * 1024);
  const free = await (deps.freeBytes ?? statfsFree)(settings.outDir);
  if (free < needed) {
    throw new SmartnodeError(
      'PUBLISH_IO',
      `${settings.outDir} has ${free} bytes free; the .torrent of ${dataset.name} (${dataset.files.length} files, ` +
        `${dataset.totalBytes} bytes) and the feed need about ${needed}`,
      {
        hint: 'free space there, or choose another publish directory (publish.dir or --out-dir)',
      },
    );
  }
}

async function statfsFree(dir: string): Promise<number> {
  // The directory may not exist yet: ask the nearest existing ancestor.
  for (let at = dir; ; at = dirname(at)) {
    try {
      const s = await statfs(at);
      return s.bavail * s.bsize;
    } catch (error) {
      if (at === '/' || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
}

/** Reads the written .torrent back and checks it describes exactly the dataset scanned. */
async function readBack(torrentFile: string, infoHash: InfoHash, dataset: ScannedDataset): Promise<Uint8Array> {
  const bytes = new Uint8Array(await readFile(torrentFile));
  const meta = parseTorrentFile(bytes);
  const same =
    meta.infoHash === infoHash &&
    meta.name === dataset.name &&
    meta.totalSizeBytes === dataset.totalBytes &&
    meta.files.length === dataset.files.length &&
    meta.files.every((f, i) => f.lengthBytes === dataset.files[i]?.lengthBytes && f.path.join('/') === dataset.files[i]?.path.join('/'));
  if (!same) {
    throw new SmartnodeError(
      'PUBLISH_IO',
      `${torrentFile} does not read back as the torrent just made (info-hash ${meta.infoHash}, ${meta.files.length} files)`,
      {
        hint: "the disk returned other bytes than were written; check the publish directory's filesystem",
      },
    );
  }
  return bytes;
}

/** The daemon checks every piece of the data in place: published means it verified to 100 %. */
/** The daemon's own error, or how much of the data its verify matched. */
function describeVerify(t: DaemonTorrent): string {
  return t.errorString || `${Math.floor(t.percentDone * 100)} % of the pieces match, status ${t.status}`;
}

async function waitSeeding(daemon: DaemonPort, infoHash: InfoHash, timeoutMs: number): Promise<DaemonTorrent> {
  const deadline = Date.now() + timeoutMs;
  let last: DaemonTorrent | undefined;
  let sawCheck = false;
  for (;;) {
    last = (await daemon.listTorrents({ trackerStats: false })).find((t) => t.infoHash === infoHash);
    if (last !== undefined && last.percentDone >= 1 && last.status === 'seeding') return last;
    const checking = last?.status === 'checking' || last?.status === 'check-wait';
    sawCheck ||= checking;
    // Incomplete once its check is over (or at the deadline): the data is not what was hashed.
    const settled = last !== undefined && (last.error !== 0 || (sawCheck && !checking && last.percentDone < 1));
    if (settled || last === undefined || Date.now() > deadline) {
      throw new SmartnodeError(
        'PUBLISH_IO',
        `the daemon could not verify the data in place: ${last === undefined ? 'the torrent is gone' : describeVerify(last)}`,
        {
          hint:
            'the daemon reads the dataset where it is: its user must be able to read every file (and, ' +
            'for a daemon on another machine, the path must be the same there)',
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
