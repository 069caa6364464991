/**
 * `npm run bench`: every benchmark in its own child process (so peak RSS is its own), one
 * after the other (two cores: running them together would distort the times). Prints each
 * benchmark's figures; exits non-zero if any benchmark failed to run or missed its target.
 */
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const BENCHES = [
  { file: 'plan-bench.js', title: 'Planning 100,000 candidates across 20 feeds (target: median <= 250 ms, peak RSS <= 300 MB)' },
  {
    file: 'score-bench.js',
    title:
      'Scoring 100,000 candidates with 50 peers each, geography on (target: median <= 500 ms); ' +
      'agent peak RSS with 10,000 candidates, geography on (target: <= 200 MB)',
  },
  { file: 'feeds-bench.js', title: 'Parsing a 50,000-item RSS feed (target: <= 2 s)' },
  {
    file: 'ui-bench.js',
    title:
      'Dashboard with 1,000 owned torrents and 10,000 candidates (target: <= 16 ms a frame; idle <= 2 % of a core at one update a second)',
  },
  {
    file: 'sim-bench.js',
    title:
      "Simulator: smartnode's decision for 1,000 nodes x 10,000 torrents x 30 days, the whole run " +
      '(SIM_BENCH_DAYS=N: the first N days, projected) (target: <= 10 min)',
  },
  {
    file: 'matrix-bench.js',
    title:
      'Simulator matrix: every world x every strategy at 200 nodes x 2,000 torrents, the first ' +
      '2 days projected to 14 (SIM_MATRIX_DAYS=N: N days) (target: <= 15 min, shadow run 0 decisions changed)',
  },
  { file: 'budget-bench.js', title: 'Budget accounting in a tick with 2,000 owned torrents (target: overhead <= 20 ms)' },
  {
    file: 'metrics-bench.js',
    title: '/metrics of a node holding 1,000 torrents over 5 feeds (target: samples independent of the torrent count; render <= 20 ms)',
  },
  {
    file: 'memory-bench.js',
    title:
      "Memory under the service unit's 256 MB heap: a feed at the default cap in each format (fetch, " +
      'and reload from the last good copy), an endless RPC answer, ' +
      'an endless CSV feed (target: each case finishes as it should within the heap; peak RSS reported)',
  },
  {
    file: 'integrity-bench.js',
    title:
      'Content digest, .torrent, and the publish path (.torrent + SHA-256 in one pass) of a 2 GB dataset ' +
      '(targets: <= 1.2x sha256sum; no slower than transmission-create; publish no slower than transmission-create + sha256sum)',
  },
  {
    file: 'daemon-poll-bench.js',
    title: 'One daemon poll with 2,000 torrents in a real transmission-daemon (target: >= 5x fewer bytes than getAllData)',
  },
];

const only = process.argv.slice(2);
let failed = 0;
for (const bench of BENCHES) {
  if (only.length > 0 && !only.some((o) => bench.file.startsWith(o))) continue;
  process.stdout.write(`\n== ${bench.title}\n`);
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--expose-gc', join(here, bench.file)], { stdio: 'inherit' });
  process.stdout.write(`(${bench.file}: ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${result.status ?? result.signal})\n`);
  if (result.status !== 0) failed++;
}
process.stdout.write(
  failed === 0 ? '\nall benchmarks ran and met their targets\n' : `\n${failed} benchmark(s) failed or missed a target\n`,
);
process.exitCode = failed === 0 ? 0 : 1;
