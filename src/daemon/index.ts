export type * from './port.js';
export { createTransmissionDaemon, type TransmissionDaemonOptions } from './transmission.js';
export { createQbittorrentDaemon, type QbittorrentDaemonOptions } from './qbittorrent.js';
export { createDaemonClient, type DaemonClient, type DaemonClientOptions } from './client.js';
export { lockedOut } from './rpc-http.js';
export { describeRelease, type DaemonRelease } from './releases.js';
export { speaksJsonRpc, type DaemonProtocolChoice } from './connection.js';
export {
  createMemoryDaemon,
  type MemoryDaemonControl,
  type MemoryDaemonOptions,
  type SeedTorrent,
} from './memory.js';
export { readMetainfoSummary, buildMetainfo, type MetainfoSummary, type BuiltMetainfo } from './metainfo.js';
export { createRpcHttp } from './rpc-http.js';
