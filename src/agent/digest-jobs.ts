/**
 * Content checks in the background (IO): hashing a large dataset at the read budget takes
 * hours, so a tick only starts a check and a later tick reads its result. One check runs at a
 * time, the rest wait in order; each is cancellable, and `close` cancels all (a stopping agent
 * does not wait for a hash). A result stays until the tick that took it into the records
 * settles it, so a tick that fails in between loses nothing.
 */
import { parseTorrentFile, type TorrentMeta } from '../feeds/index.js';
import { hashContent, MAX_PRESENCE_FILES, type HashFile, type IntegrityRecord } from '../integrity/index.js';
import { type InfoHash, toErrorView } from '../shared/index.js';
import type { TorrentSource } from './sources.js';
import type { DigestJobRequest, DigestJobView } from './tick-types.js';

export interface DigestJobs {
  /** Queues a check unless one for this torrent is queued, running or unsettled. */
  start(request: DigestJobRequest): void;
  /** Every check not yet settled, as plain data. */
  views(): DigestJobView[];
  /** Forgets a finished check once its result is recorded (another job id is left alone). */
  settle(infoHash: InfoHash, jobId: number): void;
  /** Cancels the running check and drops the queue; resolves once nothing reads the disk. */
  close(): Promise<void>;
}

interface Job {
  view: DigestJobView;
  request: DigestJobRequest;
}

export function createDigestJobs(options: { torrents: Pick<TorrentSource, 'readTorrent'>; hash?: typeof hashContent }): DigestJobs {
  const hash = options.hash ?? hashContent;
  const jobs = new Map<InfoHash, Job>();
  const controller = new AbortController();
  let nextId = 1;
  let running: Promise<void> | null = null;

  const runOne = async (job: Job): Promise<void> => {
    const { request } = job;
    job.view = { jobId: job.view.jobId, infoHash: request.infoHash, state: 'running' };
    try {
      const file = await options.torrents.readTorrent(request.source.item, request.source.feedId);
      const meta = parseTorrentFile(file.metainfo);
      const actual = await hash(filesToHash(meta, request.downloadDir), request.algorithms, {
        readRateBytesPerSec: request.readRateBytesPerSec,
        signal: controller.signal,
      });
      job.view = {
        jobId: job.view.jobId,
        infoHash: request.infoHash,
        state: 'done',
        expected: request.expected,
        content: actual.content,
        files: actual.files,
        fileList: fileListOf(meta),
      };
    } catch (error) {
      job.view = { jobId: job.view.jobId, infoHash: request.infoHash, state: 'failed', error: toErrorView(error) };
    }
  };
  const pump = (): void => {
    if (running !== null || controller.signal.aborted) return;
    const next = [...jobs.values()].find((j) => j.view.state === 'queued');
    if (next === undefined) return;
    running = runOne(next).finally(() => {
      running = null;
      pump();
    });
  };

  return {
    start(request) {
      if (controller.signal.aborted || jobs.has(request.infoHash)) return;
      jobs.set(request.infoHash, { request, view: { jobId: nextId++, infoHash: request.infoHash, state: 'queued' } });
      pump();
    },
    views: () => [...jobs.values()].map((j) => j.view),
    settle(infoHash, jobId) {
      const job = jobs.get(infoHash);
      if (job !== undefined && job.view.jobId === jobId && (job.view.state === 'done' || job.view.state === 'failed'))
        jobs.delete(infoHash);
    },
    async close() {
      controller.abort();
      for (const [hash, job] of jobs) if (job.view.state === 'queued') jobs.delete(hash);
      await running;
    },
  };
}

/** A single-file torrent's data is `<dir>/<name>`; a multi-file one's `<dir>/<name>/<path>`. */
function filesToHash(meta: TorrentMeta, downloadDir: string): HashFile[] {
  const single = meta.files.length === 1 && meta.files[0]!.path.length === 1 && meta.files[0]!.path[0] === meta.name;
  return meta.files.map((f) => ({
    absolutePath: single ? `${downloadDir}/${meta.name}` : `${downloadDir}/${meta.name}/${f.path.join('/')}`,
    key: f.path.join('/'),
    lengthBytes: f.lengthBytes,
  }));
}

export function fileListOf(meta: TorrentMeta): IntegrityRecord['files'] {
  if (meta.files.length > MAX_PRESENCE_FILES) return null;
  return meta.files.map((f) => ({ path: f.path.join('/'), lengthBytes: f.lengthBytes }));
}
