import { mkdtemp, open, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMemoryDaemon, type DaemonTorrent } from '../daemon/index.js';
import { loadPolicyFile } from '../policy/index.js';
import { toInfoHash, type InfoHash } from '../shared/index.js';
import { applyBandwidth, createDonatedLimits } from './bandwidth.js';
import { effectiveRates, type DonatedConfig, type EffectiveRates } from './bandwidth-plan.js';
import { planBandwidth } from './bandwidth-plan.js';
import { createEventBus, type AgentEvent } from './events.js';
import { watchPolicyFile } from './policy-watch.js';
import { openTransferStore } from './transfer.js';

const hash = (n: number): InfoHash => toInfoHash(n.toString(16).padStart(40, '0'));
const NOW = Date.UTC(2026, 1, 10, 12);
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smartnode-donated-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function torrent(n: number, up: number, down: number, addedMs = NOW - 3_600_000): DaemonTorrent {
  return {
    infoHash: hash(n),
    name: `t${n}`,
    status: 'seeding',
    percentDone: 1,
    sizeWhenDoneBytes: 1e9,
    leftUntilDoneBytes: 0,
    rateDownloadBytesPerSec: 0,
    rateUploadBytesPerSec: 0,
    uploadedEverBytes: up,
    downloadedEverBytes: down,
    peersConnected: 1,
    labels: ['smartnode'],
    downloadDir: '/d',
    addedDate: Math.floor(addedMs / 1000),
    doneDate: 0,
    secondsSeeding: 0,
    error: 0,
    errorString: '',
    trackerStats: [],
  };
}

describe('transfer accounting', () => {
  it('counts owned deltas only, survives a restart of the agent, and restarts a counter that went down', () => {
    const owned = new Set([hash(1), hash(2)]);
    const open = () => openTransferStore({ stateDir: dir, billingDay: () => 31 });
    let store = open();
    store.observe([torrent(1, 100, 50), torrent(2, 0, 0), torrent(3, 1e12, 1e12)], owned, NOW);
    store.observe([torrent(1, 300, 80), torrent(2, 10, 5), torrent(3, 2e12, 2e12)], owned, NOW + 1000);
    store = open(); // a new agent process: nothing counted twice, nothing lost
    const usage = store.observe([torrent(1, 350, 80), torrent(2, 4, 5)], owned, NOW + 2000);
    // t1: 100 + 200 + 50; t2: 10 then reset (re-added) to 4: +4.
    expect(usage.uploadedBytes).toBe(100 + 200 + 50 + 10 + 4);
    expect(usage.downloadedBytes).toBe(50 + 30 + 5);
    // Billing day 31 in February: the period runs from 31 January to 28 February.
    expect(usage.periodStartMs).toBe(Date.UTC(2026, 0, 31));
    expect(usage.periodEndMs).toBe(Date.UTC(2026, 1, 28));
    // A torrent already held before this period counts from now, not its lifetime.
    const old = store.observe(
      [torrent(1, 350, 80), torrent(2, 4, 5), torrent(4, 5e9, 5e9, Date.UTC(2025, 5, 1))],
      new Set([...owned, hash(4)]),
      NOW + 3000,
    );
    expect(old.uploadedBytes).toBe(364);
  });

  it('starts a new period on the billing day, and a new daily budget each UTC day', () => {
    const store = openTransferStore({ stateDir: dir, billingDay: () => 28 });
    store.observe([torrent(1, 100, 100, NOW)], new Set([hash(1)]), NOW);
    store.recordAdd(7e9, NOW);
    expect(store.usage(NOW).addedTodayBytes).toBe(7e9);
    expect(store.usage(NOW + 86_400_000).addedTodayBytes).toBe(0);
    const next = store.observe([torrent(1, 150, 100, NOW)], new Set([hash(1)]), Date.UTC(2026, 1, 28, 1));
    expect(next.uploadedBytes).toBe(50);
    expect(next.periodStartMs).toBe(Date.UTC(2026, 1, 28));
  });

  it('an unreadable file is kept aside and counting restarts, with a warning', async () => {
    await writeFile(join(dir, 'transfer.json'), '{"version": 1, "period": ');
    const warnings: string[] = [];
    const store = openTransferStore({ stateDir: dir, billingDay: () => 1, onReset: (m) => warnings.push(m) });
    expect(store.observe([], new Set(), NOW).uploadedBytes).toBe(0);
    expect(warnings[0]).toMatch(/not valid transfer accounting/);
    expect(JSON.parse(await readFile(join(dir, 'transfer.json'), 'utf8'))).toMatchObject({ version: 1 });
  });
});

describe('bandwidth caps on the daemon', () => {
  const config = (over: Partial<DonatedConfig> = {}): DonatedConfig => ({
    scope: 'owned',
    rules: { uploadBytesPerSec: 1e6, downloadBytesPerSec: 2e6, schedule: [] },
    monthly: null,
    dailyDownloadBudgetBytes: null,
    maxEvictFraction: 1,
    pins: [],
    ...over,
  });

  /** The limits a tick plans for these owned torrents (announced as if nothing was before). */
  const planned = (
    c: DonatedConfig,
    rates: EffectiveRates,
    owned: ReadonlySet<InfoHash>,
    torrents: ReadonlyMap<InfoHash, DaemonTorrent>,
    needs: ReadonlyMap<InfoHash, number> = new Map(),
  ) => planBandwidth(c, { rates, owned: [...owned], needs, torrents, lastSummary: null }).bandwidth;

  async function setup(options: { rpcVersion?: number } = {}) {
    const daemon = createMemoryDaemon({ directories: ['/d'], ...options });
    for (const n of [1, 2, 3])
      daemon.control.seed({
        infoHash: hash(n),
        name: `t${n}`,
        sizeWhenDoneBytes: 1e9,
        downloadDir: '/d',
        labels: n === 3 ? [] : ['smartnode'],
      });
    const donated = createDonatedLimits({ stateDir: dir, billingDay: () => 1, alwaysConfirmEvictions: false });
    const bus = createEventBus();
    const events: AgentEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const torrents = new Map((await daemon.listTorrents()).map((t) => [t.infoHash, { ...t, peersConnected: 1 }]));
    return { daemon, donated, bus, events, torrents };
  }

  it("shares the cap among owned torrents by need and never limits the owner's torrent", async () => {
    const { daemon, donated, bus, events, torrents } = await setup();
    const owned = new Set([hash(1), hash(2)]);
    const rates = effectiveRates(config(), donated.transfer.usage(NOW), NOW, { weekday: 0, minuteOfDay: 600 });
    const needs = new Map([
      [hash(1), 3],
      [hash(2), 1],
    ]);
    await applyBandwidth({ daemon, bus }, donated, planned(config(), rates, owned, torrents, needs), { owned, nowMs: NOW });
    const limits = new Map((await daemon.listTorrentLimits()).map((l) => [l.infoHash, l]));
    expect(limits.get(hash(1))?.uploadBytesPerSec).toBe(750_000);
    expect(limits.get(hash(2))?.uploadBytesPerSec).toBe(250_000);
    expect(limits.get(hash(3))).toMatchObject({ uploadBytesPerSec: null, downloadBytesPerSec: null, honorsSessionLimits: true });
    expect(events.find((e) => e.type === 'bandwidth')).toMatchObject({ changed: 2, owned: 2, uploadBytesPerSec: 1e6 });
    // Nothing changed: the second tick sets nothing.
    const calls = daemon.control.calls.filter((c) => c === 'setTorrentLimits').length;
    await applyBandwidth({ daemon, bus }, donated, planned(config(), rates, owned, torrents, needs), { owned, nowMs: NOW });
    expect(daemon.control.calls.filter((c) => c === 'setTorrentLimits').length).toBe(calls);
  });

  it("with bandwidth groups (4.x), owned torrents join one group that carries the whole cap; the owner's stays out", async () => {
    const { daemon, donated, bus, events, torrents } = await setup({ rpcVersion: 17 });
    const owned = new Set([hash(1), hash(2)]);
    const rates = effectiveRates(config(), donated.transfer.usage(NOW), NOW, { weekday: 0, minuteOfDay: 600 });
    await applyBandwidth(
      { daemon, bus },
      donated,
      planned({ ...config(), groupName: 'sn' }, rates, owned, torrents, new Map([[hash(1), 3]])),
      { owned, nowMs: NOW },
    );
    expect(await daemon.readBandwidthGroup('sn')).toEqual({ uploadBytesPerSec: 1e6, downloadBytesPerSec: 2e6 });
    const limits = new Map((await daemon.listTorrentLimits()).map((l) => [l.infoHash, l]));
    for (const n of [1, 2]) expect(limits.get(hash(n))).toMatchObject({ group: 'sn', uploadBytesPerSec: null, downloadBytesPerSec: null });
    expect(limits.get(hash(3))).toMatchObject({ group: '', uploadBytesPerSec: null });
    expect(events.find((e) => e.type === 'bandwidth')).toMatchObject({ changed: 2, owned: 2 });
    // Unchanged on the next tick: nothing is sent again.
    const writes = () =>
      daemon.control.calls.filter((c) => c === 'setBandwidthGroup' || c === 'setTorrentGroup' || c === 'setTorrentLimits').length;
    const before = writes();
    await applyBandwidth({ daemon, bus }, donated, planned({ ...config(), groupName: 'sn' }, rates, owned, torrents), {
      owned,
      nowMs: NOW,
    });
    expect(writes()).toBe(before);
  });

  it("session scope sets the session limits, and switching back restores the owner's", async () => {
    const { daemon, donated, bus, torrents } = await setup();
    await daemon.setSessionLimits({ uploadBytesPerSec: 5e6, downloadBytesPerSec: null });
    const owned = new Set([hash(1)]);
    const session = config({ scope: 'session' });
    const rates = effectiveRates(session, donated.transfer.usage(NOW), NOW, { weekday: 0, minuteOfDay: 600 });
    await applyBandwidth({ daemon, bus }, donated, planned(session, rates, owned, torrents), { owned, nowMs: NOW });
    expect(await daemon.readSessionLimits()).toEqual({ uploadBytesPerSec: 1e6, downloadBytesPerSec: 2e6 });
    await applyBandwidth({ daemon, bus }, donated, planned(config(), rates, owned, torrents), { owned, nowMs: NOW });
    expect(await daemon.readSessionLimits()).toEqual({ uploadBytesPerSec: 5e6, downloadBytesPerSec: null });
  });

  it('a monthly upload cap reached stops upload of owned torrents only', async () => {
    const { daemon, donated, bus, torrents } = await setup();
    const capped = config({ monthly: { uploadCapBytes: 1000, downloadCapBytes: null, billingDay: 1, throttleAt: 0.9 } });
    daemon.control.addTransfer(hash(1), { uploadedBytes: 2000 });
    const owned = new Set([hash(1), hash(2)]);
    donated.transfer.observe(await daemon.listTorrents(), owned, NOW);
    daemon.control.addTransfer(hash(1), { uploadedBytes: 2000 });
    const usage = donated.transfer.observe(await daemon.listTorrents(), owned, NOW + 1000);
    const rates = effectiveRates(capped, usage, NOW, { weekday: 0, minuteOfDay: 600 });
    expect(rates.upload.state).toBe('stopped');
    await applyBandwidth({ daemon, bus }, donated, planned(capped, rates, owned, torrents), { owned, nowMs: NOW });
    const limits = new Map((await daemon.listTorrentLimits()).map((l) => [l.infoHash, l]));
    expect(limits.get(hash(1))?.uploadBytesPerSec).toBe(0);
    expect(limits.get(hash(3))?.uploadBytesPerSec).toBeNull();
  });
});

describe('policy file watch', () => {
  const policyText = (maxBytes: string) => `version: 1
daemon: { url: "http://127.0.0.1:9091/transmission/rpc" }
storage: { downloadDir: /srv/x, maxBytes: ${maxBytes} }
feeds: [{ id: a, url: "http://feeds.test/a.csv" }]
`;

  it('applies a valid edit, keeps the last good policy on a typo or a deleted file, reloads on SIGHUP', async () => {
    const path = join(dir, 'policy.yaml');
    await writeFile(path, policyText('1 TB'));
    const bus = createEventBus();
    const events: AgentEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const applied: number[] = [];
    const initial = (await loadPolicyFile(path)).policy;
    const watcher = watchPolicyFile({
      path,
      bus,
      clock: Date.now,
      initial,
      debounceMs: 50,
      load: async (p) => (await loadPolicyFile(p)).policy,
      apply: (policy) => void applied.push(policy.storage.maxBytes),
    });
    const waitFor = async (what: string, check: () => boolean): Promise<void> => {
      const deadline = Date.now() + 5000;
      while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    try {
      await writeFile(path, policyText('500 GB'));
      await waitFor('the edit to apply', () => applied.includes(500e9));
      expect(events.find((e) => e.type === 'policy-reloaded')).toMatchObject({ changed: ['storage.maxBytes'] });

      await writeFile(path, policyText('lots'));
      await waitFor('the typo to be refused', () => events.some((e) => e.type === 'policy-reload-failed'));
      const failed = events.find((e) => e.type === 'policy-reload-failed');
      expect(failed?.type === 'policy-reload-failed' && failed.error.message).toMatch(
        /policy\.yaml:3 storage\.maxBytes: expected a size like "500 GB", got "lots"/,
      );
      expect(watcher.current().storage.maxBytes).toBe(500e9);

      await unlink(path);
      await waitFor('the deletion to be reported', () =>
        events
          .filter((e) => e.type === 'policy-reload-failed')
          .some((e) => e.type === 'policy-reload-failed' && e.error.code === 'POLICY_NOT_FOUND'),
      );
      expect(watcher.current().storage.maxBytes).toBe(500e9);
      expect(applied).toEqual([500e9]);

      // Written back while the watch was on the directory: picked up again.
      await writeFile(path, policyText('2 TB'));
      await waitFor('the restored file', () => applied.includes(2e12));
      const watcherless = watchPolicyFile({
        path,
        bus,
        clock: Date.now,
        initial,
        debounceMs: 10,
        load: async (p) => (await loadPolicyFile(p)).policy,
        apply: (p) => void applied.push(p.storage.maxBytes * 10),
      });
      process.emit('SIGHUP', 'SIGHUP');
      await waitFor('SIGHUP to reload', () => applied.includes(2e13));
      watcherless.close();
    } finally {
      watcher.close();
    }
  });

  it('does not take a file caught half-written: the whole edit applies once the file reads the same', async () => {
    const path = join(dir, 'policy.yaml');
    await writeFile(path, policyText('1 TB'));
    const bus = createEventBus();
    const events: AgentEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const applied: number[] = [];
    const watcher = watchPolicyFile({
      path,
      bus,
      clock: Date.now,
      initial: (await loadPolicyFile(path)).policy,
      debounceMs: 50,
      stableMs: 500,
      load: async (p) => (await loadPolicyFile(p)).policy,
      apply: (policy) => void applied.push(policy.storage.maxBytes),
    });
    try {
      // The budget last, in block style: "maxBytes: 1" validates (one byte); "0 GB" comes 250 ms later.
      const whole = `version: 1
daemon: { url: "http://127.0.0.1:9091/transmission/rpc" }
feeds: [{ id: a, url: "http://feeds.test/a.csv" }]
storage:
  downloadDir: /srv/x
  maxBytes: 10 GB
`;
      const cut = whole.indexOf('10 GB') + 1;
      const file = await open(path, 'w');
      await file.write(whole.slice(0, cut));
      await file.sync();
      await new Promise((r) => setTimeout(r, 250));
      await file.write(whole.slice(cut));
      await file.close();
      const deadline = Date.now() + 5000;
      while (!applied.includes(10e9) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(applied).toEqual([10e9]);
      expect(events.some((e) => e.type === 'policy-reload-deferred')).toBe(true);
    } finally {
      watcher.close();
    }
  });
});
