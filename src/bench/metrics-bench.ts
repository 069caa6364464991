/**
 * Metrics benchmark: a node holding 1,000 torrents over 5 feeds, every event kind folded in.
 * Figures: samples per scrape (smartnode_ and all, process metrics included), the median time
 * to render the exposition, and the same with per-torrent series for all 1,000. Targets: the
 * default sample count does not grow with the mirror (the same for 10 torrents as for 1,000),
 * and a render takes <= 20 ms.
 *
 * Run alone: `npm run build && node dist/bench/metrics-bench.js`.
 */
import type { AgentEvent, MirrorView } from '../agent/index.js';
import { createMetricsExporter } from '../metrics/index.js';
import { aMirrorView, anOwnedView, T0_MS } from '../status/testing.js';
import { isMainModule, runBenchMain, type Figures } from './entry.js';

const FEEDS = ['f1', 'f2', 'f3', 'f4', 'f5'];
const RENDERS = 50;
const RENDER_TARGET_MS = 20;

function mirrorOf(torrents: number): MirrorView {
  const owned = Array.from({ length: torrents }, (_, i) => anOwnedView(i, { feedId: FEEDS[i % FEEDS.length] ?? 'f1' }));
  const health = FEEDS.map((feedId) => ({
    feedId,
    targetSeeders: 5,
    torrents: torrents / FEEDS.length,
    bytes: 1e12,
    atTargetTorrents: 10,
    atTargetBytes: 1e11,
    zeroSeederTorrents: 2,
    unknownTorrents: 1,
  }));
  return aMirrorView({ owned: 0 }, { owned, health });
}

const error = { code: 'X', message: 'm', retryable: true };
const EVENTS: AgentEvent[] = [
  { type: 'daemon-connected', atMs: T0_MS, version: '4.1.4', rpcVersion: 18 },
  ...FEEDS.map((feedId): AgentEvent => ({ type: 'feed-fetched', atMs: T0_MS, feedId, items: 200, notModified: false, warnings: 0 })),
  ...FEEDS.map((feedId): AgentEvent => ({ type: 'feed-failed', atMs: T0_MS, feedId, error, keptItems: 200 })),
  { type: 'scrape-requested', atMs: T0_MS, trackerHosts: ['a.example:80', 'b.example:443', 'c.example:6969'] },
  { type: 'scrape-failed', atMs: T0_MS, tracker: 'https://a.example/announce', error, httpStatus: 429 },
  { type: 'tick-finished', atMs: T0_MS, tick: 1, durationMs: 900, adds: 0, removes: 0, failed: 0, dryRun: false },
  { type: 'tick-failed', atMs: T0_MS, tick: 2, error, retryInMs: 1000 },
];

async function measure(torrents: number, perTorrent: boolean): Promise<{ all: number; own: number; medianMs: number }> {
  const exporter = createMetricsExporter({ version: '0.1.0', nodeId: 'bench', perTorrent: () => ({ enabled: perTorrent, max: torrents }) });
  for (const event of EVENTS) exporter.observe(event);
  exporter.observe({ type: 'mirror', atMs: T0_MS, view: mirrorOf(torrents) });
  const times: number[] = [];
  let text = '';
  for (let i = 0; i < RENDERS; i++) {
    const started = performance.now();
    text = await exporter.render();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const samples = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return {
    all: samples.length,
    own: samples.filter((l) => l.startsWith('smartnode_')).length,
    medianMs: times[Math.floor(RENDERS / 2)] ?? 0,
  };
}

export async function benchMetrics(): Promise<Figures> {
  const small = await measure(10, false);
  const large = await measure(1000, false);
  const perTorrent = await measure(1000, true);
  const verdict = small.own === large.own && large.medianMs <= RENDER_TARGET_MS ? 'within target' : 'MISSED';
  return {
    samplesWith1000Torrents: `${large.own} smartnode_, ${large.all} in all`,
    samplesWith10Torrents: `${small.own} smartnode_`,
    renderMedianMs: Number(large.medianMs.toFixed(2)),
    perTorrentSamples: `${perTorrent.own} smartnode_ (all 1,000 torrents)`,
    perTorrentRenderMedianMs: Number(perTorrent.medianMs.toFixed(2)),
    metricsVerdict: verdict,
  };
}

if (isMainModule(import.meta.url)) runBenchMain(benchMetrics, (f) => f['metricsVerdict'] === 'within target');
