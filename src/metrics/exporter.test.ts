import { describe, expect, it } from 'vitest';
import type { AgentEvent, FeedHealthView, MirrorView, OwnedTorrentView } from '../agent/index.js';
import { toInfoHash } from '../shared/index.js';
import { createMetricsExporter } from './exporter.js';

const T0 = Date.UTC(2026, 0, 1);
const FEEDS = ['f1', 'f2', 'f3', 'f4', 'f5'];

function anOwned(n: number, feedId: string): OwnedTorrentView {
  return {
    infoHash: toInfoHash(n.toString(16).padStart(40, '0')),
    name: `dataset-${n}`,
    feedId,
    sizeBytes: 1000 + n,
    percentDone: 1,
    status: n % 10 === 0 ? 'downloading' : 'seeding',
    seeders: n % 9,
    leechers: 0,
    countsSource: 'scrape',
    countsObservedAtMs: T0,
    countries: [],
    uploadRateBytesPerSec: 0,
    downloadRateBytesPerSec: 0,
    uploadedEverBytes: 10,
    ratio: null,
    score: 0,
    need: 0,
    scarcity: 0,
    demand: 0,
    pinned: false,
    factors: null,
    action: 'keep',
    reason: { code: 'KEPT', text: 'kept' },
  };
}

function aMirror(torrents: number): MirrorView {
  const owned = Array.from({ length: torrents }, (_, i) => anOwned(i, FEEDS[i % FEEDS.length] ?? 'f1'));
  const health: FeedHealthView[] = FEEDS.map((feedId) => ({
    feedId,
    targetSeeders: 5,
    torrents: torrents / 5,
    bytes: 1e12,
    atTargetTorrents: 10,
    atTargetBytes: 4e11,
    zeroSeederTorrents: 3,
    unknownTorrents: 1,
  }));
  return {
    nowMs: T0,
    owned,
    candidates: [],
    candidateTotal: 0,
    capacityBytes: 5e12,
    committedBytes: 4e12,
    maxBytes: 6e12,
    limitedBy: 'disk',
    diskFreeBytes: 2e12,
    minFreeBytes: 1e11,
    uploadRateBytesPerSec: 1234,
    downloadRateBytesPerSec: 56,
    feeds: [],
    health,
  };
}

/** The sample lines (not comments) of an exposition, by series name prefix. */
function samples(text: string, prefix = 'smartnode_'): string[] {
  return text.split('\n').filter((line) => line.startsWith(prefix));
}

function anExporter(perTorrent = { enabled: false, max: 100 }, maxTrackerHosts?: number) {
  return createMetricsExporter({
    version: '9.9.9',
    nodeId: 'node-1',
    perTorrent: () => perTorrent,
    processMetrics: false,
    ...(maxTrackerHosts === undefined ? {} : { maxTrackerHosts }),
  });
}

const error = { code: 'X', message: 'm', retryable: true };

describe('the exporter', () => {
  it('folds events into the series an operator needs', async () => {
    const exporter = anExporter();
    const events: AgentEvent[] = [
      { type: 'daemon-connected', atMs: T0, version: '4.1.4', rpcVersion: 18 },
      { type: 'feed-fetched', atMs: T0, feedId: 'f1', items: 40, notModified: false, warnings: 0 },
      { type: 'feed-failed', atMs: T0, feedId: 'f2', error, keptItems: 3 },
      { type: 'scrape-requested', atMs: T0, trackerHosts: ['t.example:443', 'u.example:6969'] },
      { type: 'scrape-failed', atMs: T0, tracker: 'https://t.example/PASSKEY123/announce', error, httpStatus: 429 },
      { type: 'integrity', atMs: T0, infoHash: toInfoHash('ab'.repeat(20)), name: 'x', code: 'CORRUPT', text: 't' },
      {
        type: 'action',
        atMs: T0,
        kind: 'add',
        infoHash: toInfoHash('cd'.repeat(20)),
        name: 'y',
        sizeBytes: 1,
        reason: { code: 'SCARCE', text: 's' },
        dryRun: false,
      },
      { type: 'tick-finished', atMs: T0, tick: 1, durationMs: 2500, adds: 1, removes: 0, failed: 0, dryRun: false },
      { type: 'mirror', atMs: T0, view: aMirror(10) },
    ];
    for (const event of events) exporter.observe(event);
    const text = await exporter.render();
    expect(samples(text)).toEqual(
      expect.arrayContaining([
        'smartnode_build_info{version="9.9.9",node_id="node-1"} 1',
        'smartnode_daemon_up 1',
        'smartnode_daemon_info{version="4.1.4",rpc_version="18"} 1',
        'smartnode_feed_fetches_total{feed="f1",result="ok"} 1',
        'smartnode_feed_fetches_total{feed="f2",result="failed"} 1',
        'smartnode_feed_fetch_failures_total{feed="f2"} 1',
        'smartnode_feed_items{feed="f1"} 40',
        'smartnode_scrape_requests_total{tracker_host="t.example:443"} 1',
        'smartnode_scrape_failures_total{tracker_host="t.example"} 1',
        'smartnode_scrape_rate_limited_total{tracker_host="t.example"} 1',
        'smartnode_integrity_checks_total{verdict="CORRUPT"} 1',
        'smartnode_decisions_total{action="add",reason="SCARCE"} 1',
        'smartnode_ticks_total{result="ok"} 1',
        'smartnode_tick_duration_seconds_sum 2.5',
        'smartnode_owned_torrents{state="seeding"} 9',
        'smartnode_owned_torrents{state="downloading"} 1',
        'smartnode_owned_torrents{state="stopped"} 0',
        'smartnode_budget_bytes 5000000000000',
        'smartnode_disk_free_bytes 2000000000000',
        'smartnode_upload_rate_bytes_per_second 1234',
        'smartnode_collection_at_target_bytes{feed="f3"} 400000000000',
        'smartnode_collection_zero_seeder_torrents{feed="f5"} 3',
        'smartnode_collection_target_seeders 5',
      ]),
    );
    expect(text).not.toContain('PASSKEY123');
    expect(text).not.toMatch(/dataset-/);
  });

  it("counts the bytes its own torrents move, from the daemon's counters, never backwards", async () => {
    const exporter = anExporter();
    const view = (up: number, down: number, torrents = 2): MirrorView => {
      const m = aMirror(torrents);
      return { ...m, owned: m.owned.map((o) => ({ ...o, uploadedEverBytes: up, downloadedEverBytes: down })) };
    };
    const totals = async (): Promise<string[]> =>
      samples(await exporter.render()).filter((l) => /^smartnode_(up|down)loaded_bytes_total /.test(l));
    exporter.observe({ type: 'mirror', atMs: T0, view: view(1000, 5000) });
    // First sight only sets the marks: bytes from before this agent are not counted.
    expect(await totals()).toEqual(['smartnode_uploaded_bytes_total 0', 'smartnode_downloaded_bytes_total 0']);
    exporter.observe({ type: 'mirror', atMs: T0 + 1, view: view(1500, 5200) });
    expect(await totals()).toEqual(['smartnode_uploaded_bytes_total 1000', 'smartnode_downloaded_bytes_total 400']);
    // One torrent gone, the other's counter reset (re-added): the totals stay.
    exporter.observe({ type: 'mirror', atMs: T0 + 2, view: view(0, 0, 1) });
    expect(await totals()).toEqual(['smartnode_uploaded_bytes_total 1000', 'smartnode_downloaded_bytes_total 400']);
  });

  it('has no per-torrent series by default: the count of series does not grow with the mirror', async () => {
    const countFor = async (torrents: number): Promise<number> => {
      const exporter = anExporter();
      exporter.observe({ type: 'mirror', atMs: T0, view: aMirror(torrents) });
      const text = await exporter.render();
      expect(samples(text)).toContain(`smartnode_torrent_series_omitted ${torrents}`);
      expect(samples(text, 'smartnode_torrent_size_bytes')).toEqual([]);
      return samples(text).length;
    };
    const small = await countFor(10);
    expect(await countFor(1000)).toBe(small);
  });

  it('in per-torrent mode, exports at most max torrents by info hash, and says how many it left out', async () => {
    const exporter = anExporter({ enabled: true, max: 25 });
    exporter.observe({ type: 'mirror', atMs: T0, view: aMirror(1000) });
    const text = await exporter.render();
    const hashes = new Set(samples(text, 'smartnode_torrent_').flatMap((line) => /info_hash="([0-9a-f]+)"/.exec(line)?.slice(1) ?? []));
    expect(hashes.size).toBe(25);
    expect(samples(text, 'smartnode_torrent_size_bytes')).toHaveLength(25);
    expect(samples(text)).toContain('smartnode_torrent_series_omitted 975');
  });

  it('counts tracker hosts past the cap as other', async () => {
    const exporter = anExporter(undefined, 3);
    const hosts = Array.from({ length: 200 }, (_, i) => `t${i}.example:80`);
    exporter.observe({ type: 'scrape-requested', atMs: T0, trackerHosts: hosts });
    const lines = samples(await exporter.render(), 'smartnode_scrape_requests_total');
    expect(lines).toEqual([
      'smartnode_scrape_requests_total{tracker_host="t0.example:80"} 1',
      'smartnode_scrape_requests_total{tracker_host="t1.example:80"} 1',
      'smartnode_scrape_requests_total{tracker_host="t2.example:80"} 1',
      'smartnode_scrape_requests_total{tracker_host="other"} 197',
    ]);
  });

  it('marks the daemon down when a tick fails to reach it', async () => {
    const exporter = anExporter();
    exporter.observe({ type: 'daemon-connected', atMs: T0, version: '3.00', rpcVersion: 17 });
    exporter.observe({ type: 'tick-failed', atMs: T0, tick: 2, error: { ...error, code: 'DAEMON_UNREACHABLE' }, retryInMs: 1000 });
    const text = await exporter.render();
    expect(samples(text)).toEqual(expect.arrayContaining(['smartnode_daemon_up 0', 'smartnode_ticks_total{result="failed"} 1']));
  });
});
