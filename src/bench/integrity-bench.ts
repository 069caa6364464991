/**
 * Data you can trust and give, at 2 GB: the content digest (streamed SHA-256, as the agent
 * checks a feed's digest) against coreutils' `sha256sum` on the same file, and making a v1
 * .torrent (`smartnode publish`'s hashing) against `transmission-create` on the same data
 * with the same piece size, and the publish path (the .torrent and the content's SHA-256 the
 * feed states, computed in one pass over the data) against transmission-create, and against
 * transmission-create plus sha256sum, the two reads a publisher would otherwise make. Median of 3 runs each, interleaved so the page cache treats both
 * alike (the file is read once first: both then read from memory, as on a server that has the
 * RAM; cold disks slow both the same).
 * Targets: digest time <= 1.2 x sha256sum's; .torrent time <= transmission-create's; publish
 * time <= transmission-create's plus sha256sum's.
 *
 * Run alone after `npm run build`: node dist/bench/integrity-bench.js
 */
import { execFile } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseTorrentFile } from '../feeds/index.js';
import { hashContent } from '../integrity/index.js';
import { makeTorrent, scanDataset } from '../publish/index.js';
import { isMainModule, runBenchMain, type Figures } from './entry.js';

const run = promisify(execFile);
const SIZE_BYTES = 2_000_000_000;
const RUNS = 3;

export async function benchIntegrity(): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), 'smartnode-bench-integrity-'));
  try {
    const file = join(dir, 'dataset.bin');
    await writeRandomFile(file, SIZE_BYTES);
    await run('sha256sum', [file], { maxBuffer: 1 << 20 }); // warm the page cache
    const dataset = await scanDataset(file, { ownDownloadDir: null });

    const oursDigest: number[] = [];
    const coreutils: number[] = [];
    let digestOk = true;
    let sha256 = '';
    for (let i = 0; i < RUNS; i++) {
      let t = performance.now();
      const { stdout } = await run('sha256sum', [file], { maxBuffer: 1 << 20 });
      coreutils.push(performance.now() - t);
      t = performance.now();
      const ours = await hashContent([{ absolutePath: file, key: 'dataset.bin', lengthBytes: SIZE_BYTES }], ['sha256']);
      oursDigest.push(performance.now() - t);
      digestOk &&= stdout.startsWith(ours.content.sha256 ?? '-');
      sha256 = stdout.slice(0, 64);
    }

    const pieceLength = 2 * 1024 * 1024;
    const oursTorrent: number[] = [];
    const oursPublish: number[] = [];
    const tc: number[] = [];
    let sameHash = true;
    let publishDigestOk = true;
    for (let i = 0; i < RUNS; i++) {
      const out = join(dir, `tc-${i}.torrent`);
      const t = performance.now();
      await run('transmission-create', ['-o', out, '-s', String(pieceLength / 1024), '-t', 'http://127.0.0.1:1/announce', file], {
        maxBuffer: 16 << 20,
      });
      tc.push(performance.now() - t);
      // The .torrent alone, then as publish makes it: with the content's SHA-256 from the same reads.
      const timed = async (contentSha256: boolean, into: number[]) => {
        const started = performance.now();
        const result = await makeTorrent(dataset, {
          trackers: ['http://127.0.0.1:1/announce'],
          webSeeds: [],
          pieceLengthBytes: pieceLength,
          creationDate: 0,
          contentSha256,
        });
        into.push(performance.now() - started);
        return result;
      };
      const made = await timed(false, oursTorrent);
      const published = await timed(true, oursPublish);
      // Same data, same piece size: the same pieces, so the same info-hash.
      const theirs = parseTorrentFile(new Uint8Array(await readFile(out))).infoHash;
      sameHash &&= theirs === made.infoHash && theirs === published.infoHash;
      publishDigestOk &&= published.contentSha256 === sha256;
    }
    const md = median(oursDigest);
    const mc = median(coreutils);
    const mt = median(oursTorrent);
    const mtc = median(tc);
    const mp = median(oursPublish);
    const mbps = (ms: number): string => `${(SIZE_BYTES / 1e6 / (ms / 1000)).toFixed(0)} MB/s`;
    return {
      dataset: `${SIZE_BYTES / 1e9} GB, one file, page cache warm`,
      'content digest (sha256)': `${(md / 1000).toFixed(2)} s, ${mbps(md)}`,
      sha256sum: `${(mc / 1000).toFixed(2)} s, ${mbps(mc)}`,
      'digest / sha256sum': Number((md / mc).toFixed(3)),
      'digests agree': String(digestOk),
      '.torrent (2 MiB pieces)': `${(mt / 1000).toFixed(2)} s, ${mbps(mt)}`,
      'transmission-create': `${(mtc / 1000).toFixed(2)} s, ${mbps(mtc)}`,
      '.torrent / transmission-create': Number((mt / mtc).toFixed(3)),
      'same info-hash': String(sameHash),
      'publish: .torrent + sha256, one pass': `${(mp / 1000).toFixed(2)} s, ${mbps(mp)}`,
      'publish / transmission-create': Number((mp / mtc).toFixed(3)),
      'publish / (transmission-create + sha256sum)': Number((mp / (mtc + mc)).toFixed(3)),
      'publish digest agrees': String(publishDigestOk),
      target: 'digest / sha256sum <= 1.2, .torrent / transmission-create <= 1.0, publish / (transmission-create + sha256sum) <= 1.0',
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function writeRandomFile(path: string, sizeBytes: number): Promise<void> {
  // Random bytes: incompressible, so no filesystem or cache shortcut favours either side.
  const handle = await open(path, 'w');
  try {
    const chunk = Buffer.allocUnsafe(16 * 1024 * 1024);
    for (let written = 0; written < sizeBytes; ) {
      randomFillSync(chunk);
      const n = Math.min(chunk.length, sizeBytes - written);
      await handle.write(chunk, 0, n, written);
      written += n;
    }
  } finally {
    await handle.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

if (isMainModule(import.meta.url)) {
  runBenchMain(
    benchIntegrity,
    (f) =>
      Number(f['digest / sha256sum']) <= 1.2 &&
      Number(f['.torrent / transmission-create']) <= 1.0 &&
      Number(f['publish / (transmission-create + sha256sum)']) <= 1.0 &&
      f['digests agree'] === 'true' &&
      f['publish digest agrees'] === 'true' &&
      f['same info-hash'] === 'true',
  );
}
