/**
 * The test kit: real parts for end-to-end tests, benchmarks and the demo world. A private
 * namespace network (netns), a real tracker, real transmission-daemons in a swarm, datasets
 * and .torrent files, and an HTTP feed server. Test-harness code: the product never imports it.
 */
export {
  startDaemonProcess,
  buildDaemonSettings,
  type DaemonProcess,
  type DaemonProcessOptions,
} from './daemon-process.js';
export {
  QBITTORRENT_LINES,
  buildQbittorrentConf,
  qbittorrentPasswordHash,
  resolveQbittorrentLine,
  startQbittorrentProcess,
  type QbittorrentLine,
  type QbittorrentProcess,
  type QbittorrentProcessOptions,
} from './qbittorrent-process.js';
export { DAEMON_LINES, resolveDaemonLine, daemonLinesDir, type DaemonLine, type DaemonLineCommand } from './daemon-lines.js';
export {
  createNetwork,
  checkPrerequisites,
  leftoversOf,
  listNamespaces,
  listLinks,
  namespacePids,
  killNamespaceProcesses,
  type NetworkOptions,
  type NetworkHost,
  type TestNetwork,
} from './netns.js';
export { waitComplete } from './complete.js';
export { startTracker, type RunningTracker, type TrackerOptions } from './tracker.js';
export {
  startSwarm,
  waitFor,
  waitForSeeding,
  installTeardownOnSignals,
  DAEMON_RPC_PORT,
  DAEMON_PEER_PORT,
  type Swarm,
  type SwarmOptions,
  type SwarmDaemon,
  type SeededTorrent,
  type WaitOptions,
} from './swarm.js';
export { installRechokeKicker, type RechokeKicker } from './rechoke.js';
export { rpcCall, addTorrent, getTorrent, type RpcTarget, type RpcArguments, type AddedTorrent } from './rpc.js';
export {
  makeDataset,
  createTorrentFile,
  infoHashOfMetainfo,
  infoDictRange,
  sha256Tree,
  sha256File,
  datasetTree,
  type Dataset,
  type DatasetFile,
  type DatasetFileSpec,
  type CreatedTorrent,
} from './torrents.js';
export { startFeedServer, type FeedServer, type FeedRoute, type FeedRequest } from './feed-server.js';
export { announcePeer } from './tracker.js';
export { type MirrorWorld, startMirrorWorld, type WorldDatasetSpec, writeWorldPolicy } from './world.js';
export { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver } from './webhook-receiver.js';
export { findFreePort } from './ports.js';
export { startPrometheus, type PrometheusTarget, type PromSample, type RunningPrometheus } from './prometheus.js';
export {
  startAtSite,
  syntheticCatalogue,
  syntheticMetainfo,
  databaseXml,
  type AtSite,
  type AtSiteOptions,
  type AtTorrent,
  type AtSwarm,
  type AtRequest,
} from './at-site.js';
