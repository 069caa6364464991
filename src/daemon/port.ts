import type { InfoHash } from '../shared/index.js';

/**
 * What the agent needs from a BitTorrent daemon. Everything is keyed by info-hash (numeric ids
 * change across daemon restarts). Implementations: the Transmission adapter, the qBittorrent
 * adapter and the in-memory fake; one contract suite (daemon/contract.suite.ts) runs against
 * all, and states where qBittorrent cannot behave the same.
 *
 * Every method throws SmartnodeError with code DAEMON_UNREACHABLE (retryable), DAEMON_AUTH,
 * DAEMON_FORBIDDEN, DAEMON_RPC or DAEMON_PROTOCOL.
 */
export interface DaemonPort {
  /** Version and RPC version; also proves the connection and credentials work. */
  readVersion(): Promise<DaemonVersion>;
  /**
   * Every torrent in the daemon (ours and not), only the fields a poll needs. trackerStats is
   * most of the answer (on 3.00 ~80%: every tracker's 26 sub-fields, no sub-selection), so a
   * frequent poll may leave it out and ask for it less often; left out, it reads [].
   */
  listTorrents(options?: ListTorrentsOptions): Promise<DaemonTorrent[]>;
  /**
   * Adds a torrent from its metainfo (never a URL: the agent fetches .torrent files itself so
   * "hosted by" passkeys are kept). Labels are applied in the same call where the daemon
   * supports it and with a follow-up set otherwise. A duplicate is not an error.
   */
  addTorrent(request: AddTorrentRequest): Promise<AddTorrentResult>;
  /** Replaces a torrent's labels. Missing torrent: DAEMON_RPC. */
  setLabels(infoHash: InfoHash, labels: readonly string[]): Promise<void>;
  /**
   * Points a torrent at another download directory WITHOUT moving any files (the daemon
   * re-checks the data there). Used to put back an owned torrent that a daemon crash
   * reloaded into its default directory; never touches files outside. Missing torrent: DAEMON_RPC.
   */
  setLocation(infoHash: InfoHash, downloadDir: string): Promise<void>;
  /**
   * Asks the daemon to re-check a torrent's data against its piece hashes (torrent-verify). The
   * check runs in the background: the torrent reads `check-wait`/`checking`, then pieces found
   * bad are missing again and a running torrent downloads them. Data gone entirely ends with
   * error 3 "No data found" and the torrent stopped. Missing torrent: DAEMON_RPC.
   */
  verifyTorrent(infoHash: InfoHash): Promise<void>;
  /**
   * Stops a torrent (torrent-stop): no uploads or downloads until it is started again; its
   * data stays. Starting (torrent-start) resumes it. Both are idempotent. Missing torrent: DAEMON_RPC.
   */
  stopTorrent(infoHash: InfoHash): Promise<void>;
  startTorrent(infoHash: InfoHash): Promise<void>;
  /** Removes a torrent if present (absent is success); deleteData also removes its files. */
  removeTorrent(infoHash: InfoHash, options: { deleteData: boolean }): Promise<void>;
  /** Free bytes on the filesystem holding `path`, as the daemon sees it. */
  readFreeSpace(path: string): Promise<number>;
  /** Every torrent's own speed limits (torrent-get uploadLimit..honorsSessionLimits). */
  listTorrentLimits(): Promise<TorrentLimitsEntry[]>;
  /**
   * Sets the same speed limits on these torrents in one call; hashes the daemon does not hold
   * are ignored. Rates are bytes/s, sent as whole kB/s (1000 bytes): 0 stops that direction,
   * a positive rate is at least 1 kB/s, null lifts the limit.
   */
  setTorrentLimits(infoHashes: readonly InfoHash[], limits: SpeedLimits): Promise<void>;
  /**
   * Bandwidth groups (Transmission 4.0+, rpc-version 17): the torrents in a group share its
   * limits as one total. Rates as in setTorrentLimits. On a daemon without groups (3.00) these
   * fail with DAEMON_RPC; listTorrentLimits tells which daemon this is (group null).
   */
  setBandwidthGroup(name: string, limits: RateLimits): Promise<void>;
  /** A group's limits; null when the daemon has no group of that name. */
  readBandwidthGroup(name: string): Promise<RateLimits | null>;
  /** Puts these torrents in the group; hashes the daemon does not hold are ignored. */
  setTorrentGroup(infoHashes: readonly InfoHash[], name: string): Promise<void>;
  /** The daemon's session (global) speed limits. */
  readSessionLimits(): Promise<RateLimits>;
  setSessionLimits(limits: RateLimits): Promise<void>;
  /** Session-wide transfer counters (session-stats): since first start, and since this start. */
  readSessionStats(): Promise<SessionStats>;
  /**
   * The connected peers of these torrents only (torrent-get `peers`). A peer list is large, so
   * a poll asks for the few torrents whose geography or download speed it scores, never for
   * all. Hashes the daemon does not hold are left out of the answer; [] asks for nothing.
   */
  listPeers(infoHashes: readonly InfoHash[]): Promise<TorrentPeers[]>;
}

/** One connected peer as the daemon reports it (Transmission `peers[]`). */
export interface DaemonPeer {
  /** As the daemon wrote it; not checked here (the geo resolver treats garbage as unknown). */
  address: string;
  port: number;
  /** 0..1: how much of the torrent the peer has. */
  progress: number;
  /** Bytes/s the peer sends us. */
  rateToClientBytesPerSec: number;
  /** Bytes/s we send the peer. */
  rateToPeerBytesPerSec: number;
  /** ISO 3166 alpha-2, where the client resolves it itself (qBittorrent); absent otherwise. */
  countryCode?: string;
}

export interface TorrentPeers {
  infoHash: InfoHash;
  peers: DaemonPeer[];
}

/** Bytes per second, or null for no limit. */
export interface RateLimits {
  uploadBytesPerSec: number | null;
  downloadBytesPerSec: number | null;
}

export interface SpeedLimits extends RateLimits {
  /** Whether the session limits also apply to the torrent (Transmission's default: true). */
  honorsSessionLimits: boolean;
}

export interface TorrentLimitsEntry extends SpeedLimits {
  infoHash: InfoHash;
  /** Its bandwidth group ('' for none); null on a daemon without groups (before 4.0). */
  group: string | null;
}

export interface TransferCounters {
  uploadedBytes: number;
  downloadedBytes: number;
}

export interface SessionStats {
  cumulative: TransferCounters;
  current: TransferCounters;
  /** Seconds this daemon process has been running (current-stats.secondsActive). */
  secondsActive: number;
}

export interface ListTorrentsOptions {
  /** Default true. False: trackerStats is [] for every torrent (not asked for). */
  trackerStats?: boolean;
}

export interface DaemonVersion {
  /** e.g. "3.00 (bb6b5a062e)", "4.1.4 (a6d907d9ea)". */
  version: string;
  /** The integer RPC version (deprecated in 4.1: read rpcVersionSemver where there is one). */
  rpcVersion: number;
  /** e.g. "5.2.0" (3.00), "6.0.1" (4.1.1+); null where the daemon has none. */
  rpcVersionSemver: string | null;
  /** The dialect this connection speaks to it. */
  protocol: DaemonProtocol;
}

/**
 * The old Transmission RPC protocol, JSON-RPC 2.0 (4.1.0+, rpc-version-semver 6.0.0), or
 * qBittorrent's WebUI API v2 (rpcVersion 0, rpcVersionSemver the WebAPI version).
 */
export type DaemonProtocol = 'legacy' | 'json-rpc' | 'webui-v2';

/** Transmission's status codes (RPC spec 3.3). */
export type TorrentStatus = 'stopped' | 'check-wait' | 'checking' | 'download-wait' | 'downloading' | 'seed-wait' | 'seeding';

export interface TrackerCounts {
  announce: string;
  /** -1 while unknown, as Transmission reports it. */
  seederCount: number;
  leecherCount: number;
  downloadCount: number;
  /** Unix seconds; 0 when never scraped. */
  lastScrapeTime: number;
}

export interface DaemonTorrent {
  infoHash: InfoHash;
  name: string;
  status: TorrentStatus;
  /** 0..1 */
  percentDone: number;
  sizeWhenDoneBytes: number;
  leftUntilDoneBytes: number;
  rateDownloadBytesPerSec: number;
  rateUploadBytesPerSec: number;
  uploadedEverBytes: number;
  downloadedEverBytes: number;
  peersConnected: number;
  labels: string[];
  downloadDir: string;
  /** Unix seconds. */
  addedDate: number;
  /** Unix seconds; 0 while incomplete. */
  doneDate: number;
  /** Unix seconds of seeding so far. */
  secondsSeeding: number;
  /** 0 = ok; see errorString. */
  error: number;
  errorString: string;
  trackerStats: TrackerCounts[];
}

export interface AddTorrentRequest {
  metainfo: Uint8Array;
  /** Absolute; always passed explicitly (never the daemon's default). */
  downloadDir: string;
  labels: readonly string[];
  paused?: boolean;
}

export interface AddTorrentResult {
  infoHash: InfoHash;
  name: string;
  /** True when the daemon already had it (Transmission answers `torrent-duplicate`). */
  duplicate: boolean;
}
