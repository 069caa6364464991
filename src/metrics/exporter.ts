/**
 * The metrics as prom-client keeps them, folded from the agent's events: the exporter is one
 * more subscriber of the event bus, like the logs and `status`, and never calls into the agent.
 * Counters count events; gauges are set from the last `mirror` view, which each tick rebuilds
 * whole, so a feed or a state that is gone loses its series rather than keeping a stale one.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AgentEvent, MirrorView } from '../agent/index.js';
import { METRICS, createLabelCap, selectPerTorrent, stateLabel, trackerHostOf } from './catalog.js';

export interface MetricsExporterOptions {
  version: string;
  nodeId: string;
  /** Read at each `mirror` event: live policy edits turn per-torrent series on and off. */
  perTorrent: () => { enabled: boolean; max: number };
  /** Distinct tracker hosts with their own series; the rest count as `other`. */
  maxTrackerHosts?: number;
  /** Process and Node.js runtime metrics (process_*, nodejs_*), the client library's defaults. */
  processMetrics?: boolean;
}

export interface MetricsExporter {
  readonly registry: Registry;
  readonly contentType: string;
  observe(event: AgentEvent): void;
  /** The exposition text. */
  render(): Promise<string>;
}

const DAEMON_STATES = ['stopped', 'check_wait', 'checking', 'download_wait', 'downloading', 'seed_wait', 'seeding', 'added'];
export const DEFAULT_MAX_TRACKER_HOSTS = 50;

export function createMetricsExporter(options: MetricsExporterOptions): MetricsExporter {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const gauge = <L extends string>([name, help]: readonly [string, string], labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const counter = <L extends string>([name, help]: readonly [string, string], labelNames: readonly L[] = []) =>
    new Counter<L>({ name, help, labelNames, registers });

  gauge(METRICS.buildInfo, ['version', 'node_id']).set({ version: options.version, node_id: options.nodeId }, 1);
  const m = {
    ownedTorrents: gauge(METRICS.ownedTorrents, ['state']),
    ownedBytes: gauge(METRICS.ownedBytes, ['state']),
    ownedUploaded: gauge(METRICS.ownedUploaded),
    uploadedTotal: counter(METRICS.uploadedTotal),
    downloadedTotal: counter(METRICS.downloadedTotal),
    budget: gauge(METRICS.budget),
    maxBytes: gauge(METRICS.maxBytes),
    committed: gauge(METRICS.committed),
    diskFree: gauge(METRICS.diskFree),
    diskReserve: gauge(METRICS.diskReserve),
    uploadRate: gauge(METRICS.uploadRate),
    downloadRate: gauge(METRICS.downloadRate),
    ticks: counter(METRICS.ticks, ['result']),
    tickDuration: new Histogram({
      name: METRICS.tickDuration[0],
      help: METRICS.tickDuration[1],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    }),
    decisions: counter(METRICS.decisions, ['action', 'reason']),
    actionFailures: counter(METRICS.actionFailures, ['kind']),
    feedFetches: counter(METRICS.feedFetches, ['feed', 'result']),
    feedFailures: counter(METRICS.feedFailures, ['feed']),
    feedItems: gauge(METRICS.feedItems, ['feed']),
    scrapeRequests: counter(METRICS.scrapeRequests, ['tracker_host']),
    scrapeFailures: counter(METRICS.scrapeFailures, ['tracker_host']),
    scrapeRateLimited: counter(METRICS.scrapeRateLimited, ['tracker_host']),
    integrity: counter(METRICS.integrity, ['verdict']),
    daemonUp: gauge(METRICS.daemonUp),
    daemonInfo: gauge(METRICS.daemonInfo, ['version', 'rpc_version']),
    collectionTorrents: gauge(METRICS.collectionTorrents, ['feed']),
    collectionBytes: gauge(METRICS.collectionBytes, ['feed']),
    collectionTarget: gauge(METRICS.collectionTarget),
    collectionAtTargetTorrents: gauge(METRICS.collectionAtTargetTorrents, ['feed']),
    collectionAtTargetBytes: gauge(METRICS.collectionAtTargetBytes, ['feed']),
    collectionZero: gauge(METRICS.collectionZero, ['feed']),
    collectionUnknown: gauge(METRICS.collectionUnknown, ['feed']),
    torrentSeeders: gauge(METRICS.torrentSeeders, ['info_hash', 'feed']),
    torrentSize: gauge(METRICS.torrentSize, ['info_hash', 'feed']),
    torrentUploaded: gauge(METRICS.torrentUploaded, ['info_hash', 'feed']),
    torrentOmitted: gauge(METRICS.torrentOmitted),
  };
  const trackerHost = createLabelCap(options.maxTrackerHosts ?? DEFAULT_MAX_TRACKER_HOSTS);

  // The daemon's per-torrent counters at the last look: the counters add what each grew by since
  // (a torrent first seen only sets its mark, so a restart never counts old bytes twice; a
  // counter that went down, a torrent re-added, adds nothing).
  let lastCounters = new Map<string, { up: number; down: number }>();
  const countTransfer = (owned: MirrorView['owned']): void => {
    const next = new Map<string, { up: number; down: number }>();
    for (const o of owned) {
      const now = { up: o.uploadedEverBytes, down: o.downloadedEverBytes ?? 0 };
      const was = lastCounters.get(o.infoHash);
      if (was !== undefined) {
        m.uploadedTotal.inc(Math.max(0, now.up - was.up));
        m.downloadedTotal.inc(Math.max(0, now.down - was.down));
      }
      next.set(o.infoHash, now);
    }
    lastCounters = next;
  };

  const observeMirror = (view: MirrorView): void => {
    countTransfer(view.owned);
    m.ownedTorrents.reset();
    m.ownedBytes.reset();
    for (const state of DAEMON_STATES) {
      m.ownedTorrents.set({ state }, 0);
      m.ownedBytes.set({ state }, 0);
    }
    let uploaded = 0;
    for (const o of view.owned) {
      const state = stateLabel(o.status);
      m.ownedTorrents.inc({ state });
      m.ownedBytes.inc({ state }, o.sizeBytes);
      uploaded += o.uploadedEverBytes;
    }
    m.ownedUploaded.set(uploaded);
    m.budget.set(view.capacityBytes);
    m.maxBytes.set(view.maxBytes);
    m.committed.set(view.committedBytes);
    // Unknown free space (the daemon did not say) keeps the last known value.
    if (view.diskFreeBytes !== null) m.diskFree.set(view.diskFreeBytes);
    m.diskReserve.set(view.minFreeBytes);
    m.uploadRate.set(view.uploadRateBytesPerSec);
    m.downloadRate.set(view.downloadRateBytesPerSec);

    const health = view.health ?? [];
    for (const g of [
      m.collectionTorrents,
      m.collectionBytes,
      m.collectionAtTargetTorrents,
      m.collectionAtTargetBytes,
      m.collectionZero,
      m.collectionUnknown,
    ])
      g.reset();
    for (const h of health) {
      const feed = { feed: h.feedId };
      m.collectionTorrents.set(feed, h.torrents);
      m.collectionBytes.set(feed, h.bytes);
      m.collectionAtTargetTorrents.set(feed, h.atTargetTorrents);
      m.collectionAtTargetBytes.set(feed, h.atTargetBytes);
      m.collectionZero.set(feed, h.zeroSeederTorrents);
      m.collectionUnknown.set(feed, h.unknownTorrents);
      m.collectionTarget.set(h.targetSeeders);
    }

    for (const g of [m.torrentSeeders, m.torrentSize, m.torrentUploaded]) g.reset();
    const perTorrent = options.perTorrent();
    if (!perTorrent.enabled) {
      m.torrentOmitted.set(view.owned.length);
      return;
    }
    const { rows, omitted } = selectPerTorrent(view.owned, perTorrent.max);
    for (const o of rows) {
      const labels = { info_hash: o.infoHash, feed: o.feedId ?? '' };
      if (o.seeders !== null) m.torrentSeeders.set(labels, o.seeders);
      m.torrentSize.set(labels, o.sizeBytes);
      m.torrentUploaded.set(labels, o.uploadedEverBytes);
    }
    m.torrentOmitted.set(omitted);
  };

  const observe = (event: AgentEvent): void => {
    switch (event.type) {
      case 'mirror':
        observeMirror(event.view);
        break;
      case 'tick-finished':
        m.ticks.inc({ result: 'ok' });
        m.tickDuration.observe(event.durationMs / 1000);
        if (!event.dryRun) m.daemonUp.set(1);
        break;
      case 'tick-failed':
        m.ticks.inc({ result: 'failed' });
        if (event.error.code.startsWith('DAEMON_')) m.daemonUp.set(0);
        break;
      case 'daemon-connected':
        m.daemonUp.set(1);
        m.daemonInfo.reset();
        m.daemonInfo.set({ version: event.version, rpc_version: String(event.rpcVersion) }, 1);
        break;
      case 'action':
        if (!event.dryRun) m.decisions.inc({ action: event.kind, reason: event.reason.code });
        break;
      case 'action-failed':
        m.actionFailures.inc({ kind: event.kind });
        break;
      case 'feed-fetched':
        m.feedFetches.inc({ feed: event.feedId, result: event.notModified ? 'not_modified' : 'ok' });
        m.feedItems.set({ feed: event.feedId }, event.items);
        break;
      case 'feed-failed':
        m.feedFetches.inc({ feed: event.feedId, result: 'failed' });
        m.feedFailures.inc({ feed: event.feedId });
        break;
      case 'scrape-requested':
        for (const host of event.trackerHosts) m.scrapeRequests.inc({ tracker_host: trackerHost(host) });
        break;
      case 'scrape-failed': {
        const host = { tracker_host: trackerHost(trackerHostOf(event.tracker)) };
        m.scrapeFailures.inc(host);
        if (event.httpStatus === 429) m.scrapeRateLimited.inc(host);
        break;
      }
      case 'integrity':
        m.integrity.inc({ verdict: event.code });
        break;
      default:
        break;
    }
  };

  return { registry, contentType: registry.contentType, observe, render: () => registry.metrics() };
}
