// One node driven by smartnode's own decision function, in a model of your own:
//   npm install smartnode && node decide-one-node.mjs
// Each tick the node sees the feed's items with what a scrape says of them, and the torrents
// it holds; planTick says what to add and remove and why, and what to remember for next tick.
import { DEFAULT_SIGNALS, initialDecideMemory, observationOf, planTick, toInfoHash } from 'smartnode/decide';

const GB = 1e9;
const HOUR = 3_600_000;
const config = {
  label: 'smartnode', downloadDir: '/srv/smartnode', maxCountAgeMs: 2 * HOUR, maxTorrentProbesPerTick: 0, trackerStatsIntervalMs: HOUR,
  planPolicy: {
    maxBytes: 40 * GB, minFreeBytes: 0, maxAddsPerTick: 10, feeds: [{ id: 'datasets', maxBytes: null, maxTorrents: null }],
    scoring: { targetSeeders: 5, leecherWeight: 0.5, replaceMargin: 0.2, minSeedTimeMs: 72 * HOUR, signals: DEFAULT_SIGNALS },
  },
};

// The model: three datasets, their size and external seeders and leechers.
const swarm = [
  { n: 1, gb: 10, seeders: 0, leechers: 4 },
  { n: 2, gb: 25, seeders: 3, leechers: 1 },
  { n: 3, gb: 5, seeders: 6, leechers: 0 },
];
const start = Date.UTC(2026, 0, 1);
let memory = initialDecideMemory();
const held = new Map();

for (let tick = 0; tick < 3; tick++) {
  const nowMs = start + tick * HOUR;
  const items = swarm.map((t) => ({
    infoHash: toInfoHash(String(t.n).repeat(40)), name: `dataset-${t.n}`, sizeBytes: t.gb * GB,
    torrentUrl: `https://example.org/${t.n}.torrent`, magnetUri: null, trackers: [], publishedAtMs: null,
    counts: { seeders: t.seeders + (held.has(t.n) ? 1 : 0), leechers: t.leechers, completed: null, source: 'scrape', observedAtMs: nowMs, origin: 'model' },
  }));
  const observation = observationOf({
    nodeId: 'node-1', nowMs, downloadDir: config.downloadDir, label: config.label, maxCountAgeMs: config.maxCountAgeMs,
    feeds: [{ feedId: 'datasets', items }], held: [...held.values()], diskFreeBytes: 1e12,
  });
  const { plan, next } = planTick(memory, observation, config, nowMs);
  memory = next;
  for (const { action } of plan.removes) {
    held.delete(Number(action.infoHash[0]));
    console.log(`tick ${tick}: remove ${action.name}: ${action.reason.text}`);
  }
  for (const { action, feedIds } of plan.adds) {
    // In this model a copy is complete at once.
    held.set(Number(action.infoHash[0]), { infoHash: action.infoHash, name: action.name, sizeBytes: action.sizeBytes, leftBytes: 0, addedAtMs: nowMs, feedIds });
    console.log(`tick ${tick}: add ${action.name}: ${action.reason.text}`);
  }
  if (plan.actions.length === 0) console.log(`tick ${tick}: nothing to do (${plan.plan.desired.length} held)`);
}
