/**
 * An in-memory DaemonPort that behaves like transmission-daemon for everything the port
 * promises (the contract suite in contract.suite.ts runs against both), plus controls for tests:
 * seed torrents that are not ours, move progress, take the daemon down, fail the next call.
 *
 * Model: a tiny filesystem of directories and data files (path -> bytes written). A torrent's
 * data lives at `<downloadDir>/<name>`; adding a torrent whose data is already complete there
 * makes it seed at 100% (the real daemon verifies it first). Free space is the capacity minus
 * every data file's written bytes, like the daemon's free-space, which does not count what
 * added torrents have yet to write.
 */
import { SmartnodeError, type ErrorCode, type InfoHash } from '../shared/index.js';
import { readMetainfoSummary } from './metainfo.js';
import type { AddTorrentRequest, DaemonPeer, DaemonPort, DaemonTorrent, RateLimits, SpeedLimits, TrackerCounts } from './port.js';
import { toKBps } from './transmission-limits.js';

export interface MemoryDaemonOptions {
  version?: string;
  rpcVersion?: number;
  /** Size of the one simulated filesystem. Default 1 TB. */
  capacityBytes?: number;
  /** Directories that exist at start (free-space answers only for existing paths). */
  directories?: readonly string[];
  /** The password the daemon expects; the returned port uses it. */
  password?: string;
  /** Unix seconds. */
  nowSeconds?: () => number;
}

export interface SeedTorrent {
  infoHash: InfoHash;
  name: string;
  sizeWhenDoneBytes: number;
  downloadDir: string;
  labels?: string[];
  percentDone?: number;
  trackerStats?: TrackerCounts[];
}

export interface MemoryDaemonControl {
  /** A torrent someone else added (or ours from an earlier run); its data is written. */
  seed(torrent: SeedTorrent): void;
  /** Moves a torrent's progress (0..1): writes its data file and updates status. */
  setProgress(infoHash: InfoHash, percentDone: number): void;
  setTrackerStats(infoHash: InfoHash, trackerStats: TrackerCounts[]): void;
  /** The peers listPeers reports for a torrent (the daemon's peers[]). */
  setPeers(infoHash: InfoHash, peers: DaemonPeer[]): void;
  setRates(infoHash: InfoHash, rates: { downloadBytesPerSec?: number; uploadBytesPerSec?: number }): void;
  /** Bytes moved for a torrent: its uploadedEver/downloadedEver and the session stats grow. */
  addTransfer(infoHash: InfoHash, bytes: { uploadedBytes?: number; downloadedBytes?: number }): void;
  /** A daemon restart for the counters: current-stats and secondsActive start again at 0 (torrents keep theirs). */
  restartStats(): void;
  /** Puts data on the simulated disk (e.g. before adding a torrent whose data exists). */
  writeFile(path: string, sizeBytes: number): void;
  fileExists(path: string): boolean;
  /** Damages bytes of a data file in place (its size stays): a verify finds those pieces bad. */
  corruptFile(path: string, bytes: number): void;
  /** Deletes a data file under the daemon, as an owner's `rm` or a lost disk would. */
  deleteFile(path: string): void;
  addDirectory(path: string): void;
  /** Every call throws DAEMON_UNREACHABLE until up(). */
  down(): void;
  up(): void;
  /** The next call to `method` throws this code (once). */
  failNext(method: keyof DaemonPort, code: ErrorCode, retryable?: boolean): void;
  /** A client of the same daemon with other credentials. */
  connect(credentials: { password: string }): DaemonPort;
  /** Methods called so far, in order, by every client. */
  readonly calls: readonly string[];
}

interface Torrent extends DaemonTorrent {
  paused: boolean;
  limits: SpeedLimits;
  peers: DaemonPeer[];
}

/** Like the daemon: limits are stored as whole kB/s, so they read back rounded. */
function roundTrip(bytesPerSec: number | null): number | null {
  return bytesPerSec === null ? null : toKBps(bytesPerSec) * 1000;
}

export function createMemoryDaemon(options: MemoryDaemonOptions = {}): DaemonPort & { control: MemoryDaemonControl } {
  const version = options.version ?? '3.00 (memory)';
  const rpcVersion = options.rpcVersion ?? 16;
  const capacityBytes = options.capacityBytes ?? 1e12;
  const password = options.password ?? 'memory-secret';
  const nowSeconds = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const directories = new Set((options.directories ?? ['/']).map(normalize));
  const files = new Map<string, number>();
  /** Bytes damaged in place per data file; a verify counts the pieces holding them as missing. */
  const damaged = new Map<string, number>();
  const torrents = new Map<InfoHash, Torrent>();
  const calls: string[] = [];
  const pendingFailures = new Map<string, SmartnodeError>();
  let isDown = false;
  let sessionLimits: RateLimits = { uploadBytesPerSec: null, downloadBytesPerSec: null };
  // Bandwidth groups, as Transmission 4.0+ has them (rpc-version 17); 3.00 knows no such method.
  const hasGroups = rpcVersion >= 17;
  const groupLimits = new Map<string, RateLimits>();
  const groupOf = new Map<InfoHash, string>();
  const requireGroups = (method: string): void => {
    if (!hasGroups)
      throw new SmartnodeError('DAEMON_RPC', `memory daemon refused ${method}: "method name not recognized"`, { details: { method } });
  };
  const cumulative = { uploadedBytes: 0, downloadedBytes: 0 };
  let current = { uploadedBytes: 0, downloadedBytes: 0 };
  let startedAtSec = nowSeconds();

  const dataPath = (t: { downloadDir: string; name: string }): string => joinPath(t.downloadDir, t.name);

  const applyProgress = (t: Torrent, percentDone: number): void => {
    t.percentDone = Math.min(1, Math.max(0, percentDone));
    t.leftUntilDoneBytes = Math.round(t.sizeWhenDoneBytes * (1 - t.percentDone));
    const written = t.sizeWhenDoneBytes - t.leftUntilDoneBytes;
    if (written > 0) files.set(dataPath(t), written);
    if (t.percentDone >= 1) {
      if (t.doneDate === 0) t.doneDate = nowSeconds();
      t.status = t.paused ? 'stopped' : 'seeding';
    } else {
      t.status = t.paused ? 'stopped' : 'downloading';
    }
  };

  /** Like the daemon's verify: what is already on disk at the torrent's path counts as downloaded. */
  const verifyFromDisk = (t: Torrent): void => {
    const path = dataPath(t);
    const bad = damaged.get(path) ?? 0;
    damaged.delete(path);
    // Damage costs whole pieces (16 KiB here), as a piece hash fails as a whole.
    const present = Math.max(0, (files.get(path) ?? 0) - Math.ceil(bad / PIECE_BYTES) * PIECE_BYTES);
    applyProgress(t, t.sizeWhenDoneBytes === 0 ? 1 : Math.min(present, t.sizeWhenDoneBytes) / t.sizeWhenDoneBytes);
  };

  /** The torrent an RPC call names, or the error the daemon gives for an unknown one. */
  const knownTorrent = (infoHash: InfoHash, cannot: string): Torrent => {
    const t = torrents.get(infoHash);
    if (t === undefined) throw rpcError(`cannot ${cannot} ${infoHash}: transmission-daemon has no such torrent`, { infoHash });
    return t;
  };

  const need = (t: Torrent | undefined, infoHash: InfoHash): Torrent => {
    if (t === undefined) throw new Error(`memory daemon: no torrent ${infoHash}`);
    return t;
  };

  const makeTorrent = (init: SeedTorrent & { paused?: boolean }): Torrent => ({
    infoHash: init.infoHash,
    name: init.name,
    status: 'stopped',
    percentDone: 0,
    sizeWhenDoneBytes: init.sizeWhenDoneBytes,
    leftUntilDoneBytes: init.sizeWhenDoneBytes,
    rateDownloadBytesPerSec: 0,
    rateUploadBytesPerSec: 0,
    uploadedEverBytes: 0,
    downloadedEverBytes: 0,
    peersConnected: 0,
    labels: [...(init.labels ?? [])],
    downloadDir: init.downloadDir,
    addedDate: nowSeconds(),
    doneDate: 0,
    secondsSeeding: 0,
    error: 0,
    errorString: '',
    trackerStats: (init.trackerStats ?? []).map((s) => ({ ...s })),
    paused: init.paused ?? false,
    limits: { uploadBytesPerSec: null, downloadBytesPerSec: null, honorsSessionLimits: true },
    peers: [],
  });

  const enter = (method: string, clientPassword: string): void => {
    calls.push(method);
    if (isDown) {
      throw new SmartnodeError('DAEMON_UNREACHABLE', `memory daemon is down (${method})`, {
        retryable: true,
        hint: 'the test took it down with control.down()',
      });
    }
    if (clientPassword !== password) {
      throw new SmartnodeError('DAEMON_AUTH', 'memory daemon refused the RPC username or password (HTTP 401)', {
        hint: 'check the username and the password',
      });
    }
    const failure = pendingFailures.get(method);
    if (failure !== undefined) {
      pendingFailures.delete(method);
      throw failure;
    }
  };

  const rpcError = (message: string, details: Record<string, unknown> = {}): SmartnodeError =>
    new SmartnodeError('DAEMON_RPC', message, { details });

  const makePort = (clientPassword: string): DaemonPort => ({
    async readVersion() {
      enter('readVersion', clientPassword);
      return { version, rpcVersion, rpcVersionSemver: rpcVersion >= 17 ? '5.3.0' : '5.2.0', protocol: 'legacy' };
    },
    async listTorrents(listOptions) {
      enter('listTorrents', clientPassword);
      const withTrackers = listOptions?.trackerStats ?? true;
      return [...torrents.values()].map(({ paused: _paused, limits: _limits, peers: _peers, ...t }) => ({
        ...t,
        labels: [...t.labels],
        trackerStats: withTrackers ? t.trackerStats.map((s) => ({ ...s })) : [],
      }));
    },
    async addTorrent(request: AddTorrentRequest) {
      enter('addTorrent', clientPassword);
      let summary: ReturnType<typeof readMetainfoSummary>;
      try {
        summary = readMetainfoSummary(request.metainfo);
      } catch (error) {
        throw rpcError('transmission-daemon refused torrent-add: "invalid or corrupt torrent file"', {
          method: 'torrent-add',
          result: 'invalid or corrupt torrent file',
          reason: error instanceof Error ? error.message : String(error),
        });
      }
      const existing = torrents.get(summary.infoHash);
      if (existing !== undefined) return { infoHash: existing.infoHash, name: existing.name, duplicate: true };
      const t = makeTorrent({
        infoHash: summary.infoHash,
        name: summary.name,
        sizeWhenDoneBytes: summary.sizeBytes,
        downloadDir: request.downloadDir,
        labels: [...request.labels],
        paused: request.paused ?? false,
        // Like the daemon: one entry per tracker, counts unknown (-1) until scraped.
        trackerStats: summary.announceUrls.map((announce) => ({
          announce,
          seederCount: -1,
          leecherCount: -1,
          downloadCount: -1,
          lastScrapeTime: 0,
        })),
      });
      directories.add(normalize(request.downloadDir));
      // Like the daemon's verify on add: data already on disk counts as downloaded.
      verifyFromDisk(t);
      torrents.set(t.infoHash, t);
      return { infoHash: t.infoHash, name: t.name, duplicate: false };
    },
    async setLabels(infoHash, labels) {
      enter('setLabels', clientPassword);
      const t = knownTorrent(infoHash, 'label');
      t.labels = [...labels];
    },
    async setLocation(infoHash, downloadDir) {
      enter('setLocation', clientPassword);
      const t = knownTorrent(infoHash, 'relocate');
      // Like torrent-set-location with move: false: no file moves; progress is re-checked there.
      t.downloadDir = downloadDir;
      directories.add(normalize(downloadDir));
      verifyFromDisk(t);
    },
    async moveData(infoHash, downloadDir) {
      enter('moveData', clientPassword);
      const t = knownTorrent(infoHash, 'move');
      // Like torrent-set-location with move: true: the data file goes with it.
      const bytes = files.get(dataPath(t));
      files.delete(dataPath(t));
      t.downloadDir = downloadDir;
      directories.add(normalize(downloadDir));
      if (bytes !== undefined) files.set(dataPath(t), bytes);
      verifyFromDisk(t);
    },
    async verifyTorrent(infoHash) {
      enter('verifyTorrent', clientPassword);
      const t = knownTorrent(infoHash, 'verify');
      if (t.percentDone > 0 && !files.has(dataPath(t))) {
        // Like 3.00: a torrent that had data and finds none stops with a local error, unverified.
        t.error = 3;
        t.errorString = NO_DATA_FOUND;
        t.paused = true;
        t.status = 'stopped';
        return;
      }
      // The real check runs in the background; here it is done before the next call.
      verifyFromDisk(t);
    },
    async stopTorrent(infoHash) {
      enter('stopTorrent', clientPassword);
      const t = knownTorrent(infoHash, 'stop');
      t.paused = true;
      t.status = 'stopped';
    },
    async startTorrent(infoHash) {
      enter('startTorrent', clientPassword);
      const t = knownTorrent(infoHash, 'start');
      t.paused = false;
      t.status = t.percentDone >= 1 ? 'seeding' : 'downloading';
    },
    async removeTorrent(infoHash, { deleteData }) {
      enter('removeTorrent', clientPassword);
      const t = torrents.get(infoHash);
      if (t === undefined) return;
      torrents.delete(infoHash);
      if (deleteData) files.delete(dataPath(t));
    },
    async readFreeSpace(path) {
      enter('readFreeSpace', clientPassword);
      if (!directories.has(normalize(path))) {
        throw rpcError(`transmission-daemon cannot read free space of ${JSON.stringify(path)}: No such file or directory`, { path });
      }
      let used = 0;
      for (const bytes of files.values()) used += bytes;
      return Math.max(0, capacityBytes - used);
    },
    async listTorrentLimits() {
      enter('listTorrentLimits', clientPassword);
      return [...torrents.values()].map((t) => ({
        infoHash: t.infoHash,
        ...t.limits,
        group: hasGroups ? (groupOf.get(t.infoHash) ?? '') : null,
      }));
    },
    async setBandwidthGroup(name, limits) {
      enter('setBandwidthGroup', clientPassword);
      requireGroups('group-set');
      groupLimits.set(name, {
        uploadBytesPerSec: roundTrip(limits.uploadBytesPerSec),
        downloadBytesPerSec: roundTrip(limits.downloadBytesPerSec),
      });
    },
    async readBandwidthGroup(name) {
      enter('readBandwidthGroup', clientPassword);
      requireGroups('group-get');
      const limits = groupLimits.get(name);
      return limits === undefined ? null : { ...limits };
    },
    async setTorrentGroup(infoHashes, name) {
      enter('setTorrentGroup', clientPassword);
      requireGroups('torrent-set group');
      for (const hash of infoHashes) if (torrents.has(hash)) groupOf.set(hash, name);
    },
    async setTorrentLimits(infoHashes, limits) {
      enter('setTorrentLimits', clientPassword);
      for (const hash of infoHashes) {
        const t = torrents.get(hash);
        if (t === undefined) continue;
        t.limits = {
          uploadBytesPerSec: roundTrip(limits.uploadBytesPerSec),
          downloadBytesPerSec: roundTrip(limits.downloadBytesPerSec),
          honorsSessionLimits: limits.honorsSessionLimits,
        };
      }
    },
    async readSessionLimits() {
      enter('readSessionLimits', clientPassword);
      return { ...sessionLimits };
    },
    async setSessionLimits(limits) {
      enter('setSessionLimits', clientPassword);
      sessionLimits = {
        uploadBytesPerSec: roundTrip(limits.uploadBytesPerSec),
        downloadBytesPerSec: roundTrip(limits.downloadBytesPerSec),
      };
    },
    async readSessionStats() {
      enter('readSessionStats', clientPassword);
      return { cumulative: { ...cumulative }, current: { ...current }, secondsActive: Math.max(0, nowSeconds() - startedAtSec) };
    },
    async listPeers(infoHashes) {
      if (infoHashes.length === 0) return [];
      enter('listPeers', clientPassword);
      const out = [];
      for (const hash of new Set(infoHashes)) {
        const t = torrents.get(hash);
        if (t !== undefined) out.push({ infoHash: t.infoHash, peers: t.peers.map((p) => ({ ...p })) });
      }
      return out;
    },
  });

  const control: MemoryDaemonControl = {
    seed(init) {
      const t = makeTorrent(init);
      directories.add(normalize(init.downloadDir));
      torrents.set(t.infoHash, t);
      applyProgress(t, init.percentDone ?? 1);
    },
    setProgress(infoHash, percentDone) {
      applyProgress(need(torrents.get(infoHash), infoHash), percentDone);
    },
    setTrackerStats(infoHash, trackerStats) {
      need(torrents.get(infoHash), infoHash).trackerStats = trackerStats.map((s) => ({ ...s }));
    },
    setPeers(infoHash, peers) {
      need(torrents.get(infoHash), infoHash).peers = peers.map((p) => ({ ...p }));
    },
    setRates(infoHash, rates) {
      const t = need(torrents.get(infoHash), infoHash);
      t.rateDownloadBytesPerSec = rates.downloadBytesPerSec ?? t.rateDownloadBytesPerSec;
      t.rateUploadBytesPerSec = rates.uploadBytesPerSec ?? t.rateUploadBytesPerSec;
    },
    addTransfer(infoHash, bytes) {
      const t = need(torrents.get(infoHash), infoHash);
      const up = bytes.uploadedBytes ?? 0;
      const down = bytes.downloadedBytes ?? 0;
      t.uploadedEverBytes += up;
      t.downloadedEverBytes += down;
      cumulative.uploadedBytes += up;
      cumulative.downloadedBytes += down;
      current.uploadedBytes += up;
      current.downloadedBytes += down;
    },
    restartStats() {
      current = { uploadedBytes: 0, downloadedBytes: 0 };
      startedAtSec = nowSeconds();
    },
    writeFile(path, sizeBytes) {
      files.set(normalize(path), sizeBytes);
    },
    fileExists: (path) => files.has(normalize(path)),
    corruptFile(path, bytes) {
      const key = normalize(path);
      if (!files.has(key)) throw new Error(`memory daemon: no data file ${path}`);
      damaged.set(key, (damaged.get(key) ?? 0) + bytes);
    },
    deleteFile(path) {
      files.delete(normalize(path));
      damaged.delete(normalize(path));
    },
    addDirectory(path) {
      directories.add(normalize(path));
    },
    down() {
      isDown = true;
    },
    up() {
      isDown = false;
    },
    failNext(method, code, retryable = false) {
      pendingFailures.set(method, new SmartnodeError(code, `memory daemon: injected ${code} for ${method}`, { retryable }));
    },
    connect: (credentials) => makePort(credentials.password),
    calls,
  };

  return { ...makePort(password), control };
}

const PIECE_BYTES = 16 * 1024;
/** Transmission 3.00's words for a torrent whose data is gone (error 3, a local error). */
const NO_DATA_FOUND =
  'No data found! Ensure your drives are connected or use "Set Location". To re-download, remove the torrent and re-add it.';

function joinPath(dir: string, name: string): string {
  const base = normalize(dir);
  return base === '/' ? `/${name}` : `${base}/${name}`;
}

function normalize(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed;
}
