/**
 * The DaemonPort contract: one vitest suite run against the in-memory fake and a real
 * transmission-daemon (contract.test.ts), so the fake cannot drift from the daemon.
 * Test-only: it imports vitest, so it is named *.suite.ts, which the build (tsconfig.build.json)
 * leaves out; nothing in production imports it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartnodeError, toInfoHash, type ErrorCode, type InfoHash } from '../shared/index.js';
import type { DaemonPort, DaemonProtocol, DaemonTorrent } from './port.js';

export interface ContractTorrent {
  metainfo: Uint8Array;
  infoHash: InfoHash;
  name: string;
  sizeBytes: number;
}

export interface DaemonContractFixture {
  port: DaemonPort;
  /** withData (default false): the torrent's complete data is already in downloadDir. */
  makeTorrent(options?: { withData?: boolean }): Promise<ContractTorrent>;
  /** An existing absolute directory the daemon can write to. */
  downloadDir: string;
  /** Whether the torrent's data file exists in downloadDir (the real filesystem for a daemon). */
  dataExists(name: string): Promise<boolean>;
  /** Overwrites bytes in the middle of the data file, keeping its size (bit rot). */
  corruptData(name: string): Promise<void>;
  /** Deletes the data file under the daemon. */
  deleteData(name: string): Promise<void>;
  /** A client of the same daemon with other credentials. */
  connect(credentials: { password: string }): DaemonPort;
  /** Whether the daemon has bandwidth groups (Transmission 4.0+). */
  bandwidthGroups: boolean;
  /** What readVersion must say of this daemon: its release and the dialect chosen for it. */
  expectedVersion?: { version: RegExp; protocol: DaemonProtocol };
  /**
   * Where a client cannot behave as Transmission does (qBittorrent, daemon/qbittorrent.ts): each
   * named difference is asserted in place of the Transmission behaviour, never skipped.
   */
  differences?: ContractDifferences;
  /**
   * Whether the daemon has stored the torrent where a restart reloads it; absent where the add
   * returns only once it is stored (Transmission writes the .torrent before answering).
   * qBittorrent stores it a moment after acknowledging the add, and a stop before that loses it.
   */
  isStored?(infoHash: InfoHash): Promise<boolean>;
  /** Takes the daemon down and brings it back (its stored torrents survive). */
  stopDaemon(): Promise<void>;
  startDaemon(): Promise<void>;
  teardown(): Promise<void>;
}

export interface ContractDifferences {
  /** Labels are a set (qBittorrent tags), answered in the client's own sorted order. */
  labelsAreSortedSet: true;
  /** A torrent always honours the session limits: honorsSessionLimits reads true whatever was set. */
  alwaysHonorsSessionLimits: true;
  /**
   * Data gone entirely: the check finds no piece and a running torrent simply downloads again
   * from nothing, with no error (Transmission stops it with error 3 "No data found").
   */
  vanishedDataRedownloads: true;
}

const LABELS = ['smartnode', 'feed:contract'];

export function describeDaemonContract(name: string, setup: () => Promise<DaemonContractFixture>): void {
  describe(`DaemonPort contract: ${name}`, () => {
    let f: DaemonContractFixture;
    beforeAll(async () => {
      f = await setup();
    });
    afterAll(async () => {
      await f?.teardown();
    });

    const find = async (infoHash: InfoHash): Promise<DaemonTorrent | undefined> =>
      (await f.port.listTorrents()).find((t) => t.infoHash === infoHash);
    /** The labels as this daemon answers them: as set, or sorted where labels are a set. */
    const asListed = (labels: readonly string[]): string[] =>
      f.differences?.labelsAreSortedSet === true ? [...labels].sort() : [...labels];
    /** A torrent whose data is already in downloadDir, added and verified complete (seeding). */
    const addComplete = async () => {
      const t = await f.makeTorrent({ withData: true });
      await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS });
      await pollUntil(
        () => find(t.infoHash),
        (x) => x?.percentDone === 1 && x.status === 'seeding',
        'verified complete',
      );
      return t;
    };

    it('reads the version', async () => {
      const v = await f.port.readVersion();
      expect(v.version).toMatch(/^\d+\.\d+/);
      if (v.protocol === 'webui-v2') {
        // qBittorrent: no RPC integer; the WebAPI version stands in the semver.
        expect(v.rpcVersion).toBe(0);
        expect(v.rpcVersionSemver).toMatch(/^2\.\d+\.\d+$/);
      } else {
        expect(Number.isInteger(v.rpcVersion) && v.rpcVersion >= 15).toBe(true);
      }
      if (f.expectedVersion !== undefined) {
        expect(v.version).toMatch(f.expectedVersion.version);
        expect(v.protocol).toBe(f.expectedVersion.protocol);
      }
    });

    it('adds a torrent that then lists with our labels, downloadDir and size', async () => {
      const t = await f.makeTorrent();
      const added = await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS });
      expect(added).toEqual({ infoHash: t.infoHash, name: t.name, duplicate: false });
      const listed = await find(t.infoHash);
      expect(listed).toMatchObject({ name: t.name, labels: asListed(LABELS), downloadDir: f.downloadDir, sizeWhenDoneBytes: t.sizeBytes });
      expect(listed?.percentDone).toBeLessThan(1);
      expect(listed?.leftUntilDoneBytes).toBeGreaterThan(0);
      expect(listed?.addedDate).toBeGreaterThan(1_600_000_000);
      expect(listed?.trackerStats.map((s) => s.announce)).toEqual(['http://127.0.0.1:1/announce']);
      expect(listed?.trackerStats[0]?.lastScrapeTime).toBe(0);
    });

    it('leaves trackerStats out of a listing when asked, and nothing else', async () => {
      const t = await f.makeTorrent();
      await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS, paused: true });
      const full = await find(t.infoHash);
      const lean = (await f.port.listTorrents({ trackerStats: false })).find((x) => x.infoHash === t.infoHash);
      expect(full?.trackerStats.length).toBe(1);
      expect(lean).toMatchObject({ trackerStats: [], labels: asListed(LABELS), name: t.name, sizeWhenDoneBytes: t.sizeBytes });
    });

    it('lists peers for the asked torrents only: unknown hashes left out, [] asks nothing', async () => {
      const t = await f.makeTorrent();
      await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS, paused: true });
      const unknown = toInfoHash('ab'.repeat(20));
      const answer = await f.port.listPeers([t.infoHash, unknown]);
      // No swarm here: the torrent is listed with no peers.
      expect(answer).toEqual([{ infoHash: t.infoHash, peers: [] }]);
      expect(await f.port.listPeers([])).toEqual([]);
    });

    it('adds paused when asked', async () => {
      const t = await f.makeTorrent();
      await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS, paused: true });
      // The daemon checks a new torrent's files first (even paused), then stops; it never starts.
      const seen = new Set<string>();
      await pollUntil(
        async () => (await find(t.infoHash))?.status,
        (status) => {
          if (status !== undefined) seen.add(status);
          return status === 'stopped';
        },
        'status stopped',
      );
      expect([...seen].filter((s) => s !== 'stopped' && s !== 'check-wait' && s !== 'checking')).toEqual([]);
    });

    it('answers a duplicate add with duplicate: true and leaves its labels alone', async () => {
      const t = await f.makeTorrent();
      await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: ['someone-else'] });
      const again = await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS });
      expect(again).toEqual({ infoHash: t.infoHash, name: t.name, duplicate: true });
      expect((await find(t.infoHash))?.labels).toEqual(['someone-else']);
    });

    it('rejects metainfo that is not a torrent with DAEMON_RPC', async () => {
      const garbage = new TextEncoder().encode('this is not bencode');
      await expectCode(f.port.addTorrent({ metainfo: garbage, downloadDir: f.downloadDir, labels: LABELS }), 'DAEMON_RPC');
    });

    it('replaces labels, and refuses to label a torrent it does not have', async () => {
      const t = await f.makeTorrent();
      await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS });
      await f.port.setLabels(t.infoHash, ['smartnode', 'feed:other']);
      expect((await find(t.infoHash))?.labels).toEqual(asListed(['smartnode', 'feed:other']));
      await f.port.setLabels(t.infoHash, []);
      expect((await find(t.infoHash))?.labels).toEqual([]);
      await expectCode(f.port.setLabels(toInfoHash('00'.repeat(20)), LABELS), 'DAEMON_RPC');
    });

    it('points a torrent at another directory without moving files, and refuses a missing one', async () => {
      const t = await f.makeTorrent();
      await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS });
      const elsewhere = `${f.downloadDir}/relocated`;
      await f.port.setLocation(t.infoHash, elsewhere);
      expect((await find(t.infoHash))?.downloadDir).toBe(elsewhere);
      expect((await find(t.infoHash))?.labels).toEqual(asListed(LABELS));
      await expectCode(f.port.setLocation(toInfoHash('00'.repeat(20)), elsewhere), 'DAEMON_RPC');
    });

    it("moves a complete torrent's data to another directory, where it stays complete", async () => {
      const t = await addComplete();
      const elsewhere = `${f.downloadDir}/moved-${t.infoHash.slice(0, 8)}`;
      await f.port.moveData(t.infoHash, elsewhere);
      expect(await find(t.infoHash)).toMatchObject({ downloadDir: elsewhere, percentDone: 1, error: 0 });
      expect(await f.dataExists(t.name)).toBe(false);
      await expectCode(f.port.moveData(toInfoHash('00'.repeat(20)), elsewhere), 'DAEMON_RPC');
    });

    it('verifies data already in downloadDir up to 100% and reports the sizes', async () => {
      const t = await f.makeTorrent({ withData: true });
      await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS });
      // percentDone can read 1 while the check is still finishing: wait for seeding too.
      const done = await pollUntil(
        () => find(t.infoHash),
        (x) => x?.percentDone === 1 && x.status === 'seeding',
        'percentDone 1 and seeding',
      );
      expect(done).toMatchObject({ sizeWhenDoneBytes: t.sizeBytes, leftUntilDoneBytes: 0, status: 'seeding', error: 0 });
    });

    it('verify finds damaged pieces: the torrent is no longer complete, with no error', async () => {
      const t = await addComplete();
      await f.corruptData(t.name);
      await f.port.verifyTorrent(t.infoHash);
      const after = await pollUntil(
        () => find(t.infoHash),
        (x) => x !== undefined && x.status !== 'check-wait' && x.status !== 'checking' && x.percentDone < 1,
        'the verify to find the damage',
      );
      expect(after).toMatchObject({ error: 0 });
      expect(after?.leftUntilDoneBytes).toBeGreaterThan(0);
      expect(after?.leftUntilDoneBytes).toBeLessThan(t.sizeBytes);
    });

    it('verify of a torrent whose data vanished stops it with "No data found"', async () => {
      const t = await addComplete();
      await f.deleteData(t.name);
      await f.port.verifyTorrent(t.infoHash);
      if (f.differences?.vanishedDataRedownloads === true) {
        const again = await pollUntil(
          () => find(t.infoHash),
          (x) => x !== undefined && x.status !== 'check-wait' && x.status !== 'checking' && x.leftUntilDoneBytes === t.sizeBytes,
          'the check to find nothing',
        );
        expect(again).toMatchObject({ error: 0, errorString: '', percentDone: 0, status: 'downloading' });
        return;
      }
      // The error and the stop land a moment apart: wait for both.
      const after = await pollUntil(
        () => find(t.infoHash),
        (x) => x?.error === 3 && x.status === 'stopped',
        'a local error, and stopped',
      );
      // 3.00 says "No data found!", 4.1 "Paused torrent as no data was found!".
      expect(after?.errorString).toMatch(/no data (was )?found/i);
    });

    it('stops a torrent and starts it again, each idempotent; an unknown one is refused', async () => {
      const t = await addComplete();
      await f.port.stopTorrent(t.infoHash);
      await f.port.stopTorrent(t.infoHash);
      await pollUntil(
        () => find(t.infoHash),
        (x) => x?.status === 'stopped',
        'stopped',
      );
      await f.port.startTorrent(t.infoHash);
      await f.port.startTorrent(t.infoHash);
      const started = await pollUntil(
        () => find(t.infoHash),
        (x) => x?.status === 'seeding',
        'seeding again',
      );
      expect(started).toMatchObject({ percentDone: 1, error: 0 });
      await expectCode(f.port.stopTorrent(toInfoHash('34'.repeat(20))), 'DAEMON_RPC');
    });

    it('refuses to verify a torrent it does not have', async () => {
      await expectCode(f.port.verifyTorrent(toInfoHash('33'.repeat(20))), 'DAEMON_RPC');
    });

    it('removes a torrent with its data when asked, and only then', async () => {
      const kept = await f.makeTorrent({ withData: true });
      const gone = await f.makeTorrent({ withData: true });
      for (const t of [kept, gone]) {
        await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS });
        await pollUntil(
          () => find(t.infoHash),
          (x) => x?.percentDone === 1,
          'verify',
        );
      }
      await f.port.removeTorrent(kept.infoHash, { deleteData: false });
      await f.port.removeTorrent(gone.infoHash, { deleteData: true });
      expect(await find(kept.infoHash)).toBeUndefined();
      expect(await find(gone.infoHash)).toBeUndefined();
      await pollUntil(
        () => f.dataExists(gone.name),
        (exists) => !exists,
        'data file deleted',
      );
      expect(await f.dataExists(kept.name)).toBe(true);
    });

    it('treats removing an absent torrent as success', async () => {
      await expect(f.port.removeTorrent(toInfoHash('11'.repeat(20)), { deleteData: true })).resolves.toBeUndefined();
    });

    it('reads free space of an existing path and refuses a missing one with DAEMON_RPC', async () => {
      expect(await f.port.readFreeSpace(f.downloadDir)).toBeGreaterThan(0);
      const missing = `${f.downloadDir}/no-such-dir`;
      const error = await expectCode(f.port.readFreeSpace(missing), 'DAEMON_RPC');
      expect(error.message).toContain(missing);
    });

    it('sets per-torrent speed limits in kB/s of 1000 bytes, on these torrents only', async () => {
      const a = await f.makeTorrent();
      const b = await f.makeTorrent();
      for (const t of [a, b]) await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS, paused: true });
      const limitsOf = async (h: InfoHash) => (await f.port.listTorrentLimits()).find((x) => x.infoHash === h);
      expect(await limitsOf(a.infoHash)).toMatchObject({
        infoHash: a.infoHash,
        uploadBytesPerSec: null,
        downloadBytesPerSec: null,
        honorsSessionLimits: true,
      });
      await f.port.setTorrentLimits([a.infoHash, toInfoHash('22'.repeat(20))], {
        uploadBytesPerSec: 1_000_000,
        downloadBytesPerSec: 2_500,
        honorsSessionLimits: false,
      });
      // 2,500 B/s is sent as 2 kB/s and reads back so.
      expect(await limitsOf(a.infoHash)).toMatchObject({
        infoHash: a.infoHash,
        uploadBytesPerSec: 1_000_000,
        downloadBytesPerSec: 2_000,
        // qBittorrent has no per-torrent switch: the global limits always apply too.
        honorsSessionLimits: f.differences?.alwaysHonorsSessionLimits === true,
      });
      expect(await limitsOf(b.infoHash)).toMatchObject({ uploadBytesPerSec: null, downloadBytesPerSec: null, honorsSessionLimits: true });
      await f.port.setTorrentLimits([a.infoHash], { uploadBytesPerSec: 0, downloadBytesPerSec: null, honorsSessionLimits: true });
      expect(await limitsOf(a.infoHash)).toMatchObject({ uploadBytesPerSec: 0, downloadBytesPerSec: null, honorsSessionLimits: true });
      await f.port.setTorrentLimits([a.infoHash], { uploadBytesPerSec: null, downloadBytesPerSec: null, honorsSessionLimits: true });
      expect(await limitsOf(a.infoHash)).toMatchObject({ uploadBytesPerSec: null, downloadBytesPerSec: null });
    });

    it('puts torrents in a bandwidth group with one shared limit (4.0+), and refuses groups where the daemon has none', async () => {
      const a = await f.makeTorrent();
      await f.port.addTorrent({ metainfo: a.metainfo, downloadDir: f.downloadDir, labels: LABELS, paused: true });
      const groupOf = async () => (await f.port.listTorrentLimits()).find((x) => x.infoHash === a.infoHash)?.group;
      const name = 'smartnode-contract';
      if (!f.bandwidthGroups) {
        expect(await groupOf()).toBeNull();
        await expectCode(f.port.setBandwidthGroup(name, { uploadBytesPerSec: 1_000_000, downloadBytesPerSec: null }), 'DAEMON_RPC');
        return;
      }
      expect(await groupOf()).toBe('');
      expect(await f.port.readBandwidthGroup(name)).toBeNull();
      await f.port.setBandwidthGroup(name, { uploadBytesPerSec: 1_000_000, downloadBytesPerSec: null });
      expect(await f.port.readBandwidthGroup(name)).toEqual({ uploadBytesPerSec: 1_000_000, downloadBytesPerSec: null });
      await f.port.setBandwidthGroup(name, { uploadBytesPerSec: null, downloadBytesPerSec: 2_500 });
      expect(await f.port.readBandwidthGroup(name)).toEqual({ uploadBytesPerSec: null, downloadBytesPerSec: 2_000 });
      await f.port.setTorrentGroup([a.infoHash, toInfoHash('33'.repeat(20))], name);
      expect(await groupOf()).toBe(name);
    });

    it('sets and reads the session speed limits', async () => {
      const before = await f.port.readSessionLimits();
      try {
        await f.port.setSessionLimits({ uploadBytesPerSec: 750_000, downloadBytesPerSec: null });
        expect(await f.port.readSessionLimits()).toEqual({ uploadBytesPerSec: 750_000, downloadBytesPerSec: null });
        await f.port.setSessionLimits({ uploadBytesPerSec: null, downloadBytesPerSec: 3_000_000 });
        expect(await f.port.readSessionLimits()).toEqual({ uploadBytesPerSec: null, downloadBytesPerSec: 3_000_000 });
      } finally {
        await f.port.setSessionLimits(before);
      }
      expect(await f.port.readSessionLimits()).toEqual(before);
    });

    it('reads session transfer counters', async () => {
      const stats = await f.port.readSessionStats();
      for (const c of [stats.cumulative, stats.current]) {
        expect(c.uploadedBytes).toBeGreaterThanOrEqual(0);
        expect(c.downloadedBytes).toBeGreaterThanOrEqual(0);
      }
      expect(stats.cumulative.uploadedBytes).toBeGreaterThanOrEqual(stats.current.uploadedBytes);
      // The daemon has just started for this suite: it has run for some seconds, not days.
      expect(stats.secondsActive).toBeGreaterThanOrEqual(0);
      expect(stats.secondsActive).toBeLessThan(3600);
    });

    it('refuses a wrong password with DAEMON_AUTH, not retryable', async () => {
      const error = await expectCode(f.connect({ password: 'wrong-password' }).listTorrents(), 'DAEMON_AUTH');
      expect(error.retryable).toBe(false);
      expect(error.message).not.toContain('wrong-password');
    });

    it('reports a daemon that is down as DAEMON_UNREACHABLE (retryable) and recovers', async () => {
      const t = await f.makeTorrent();
      await f.port.addTorrent({ metainfo: t.metainfo, downloadDir: f.downloadDir, labels: LABELS });
      const isStored = f.isStored;
      if (isStored !== undefined) await pollUntil(() => isStored(t.infoHash), Boolean, 'the added torrent stored by the daemon');
      await f.stopDaemon();
      try {
        const error = await expectCode(f.port.listTorrents(), 'DAEMON_UNREACHABLE');
        expect(error.retryable).toBe(true);
      } finally {
        await f.startDaemon();
      }
      // Same client, new daemon session: keyed by info-hash, labels kept. 3.00 answers RPC
      // some tens of ms before it has loaded its torrents (an empty list at first), so poll.
      const back = await pollUntil(
        () => find(t.infoHash),
        (x) => x !== undefined,
        'torrents reloaded after restart',
      );
      expect(back?.labels).toEqual(asListed(LABELS));
    });
  });
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<SmartnodeError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error, `expected ${code}`).toBeInstanceOf(SmartnodeError);
  const smart = error as SmartnodeError;
  expect(smart.code).toBe(code);
  return smart;
}

/** Polls `read` until `done` holds, failing with what it last saw after the deadline. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await read();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    last = await read();
  }
  return last;
}
