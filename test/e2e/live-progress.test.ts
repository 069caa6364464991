/**
 * Screens between ticks: a real transmission-daemon finishes a torrent (its data is already in
 * place, so it verifies to 100 % at once) long before the agent's next tick, and `status` over
 * the real control socket shows 100 % within seconds, from a light poll of the daemon, not the
 * 0 % the last tick saw. No tick runs in this test: the endpoint alone answers.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventBus, openAgentState } from '../../src/agent/index.js';
import { readOwnedProgress } from '../../src/cli/progress-read.js';
import { controlSocketPath, readAgentStatus, startControlEndpoint, type ControlEndpoint } from '../../src/control/index.js';
import { createTransmissionDaemon } from '../../src/daemon/index.js';
import { aMirrorView, anOwnedView } from '../../src/status/testing.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { createTorrentFile, makeDataset } from '../../src/testkit/torrents.js';
import { eventually, makeWorkDir } from '../helpers/world.js';

const PASSWORD = 'live-progress-5521';

describe('live progress between ticks', () => {
  let work: { dir: string; cleanup: () => Promise<void> };
  let daemon: DaemonProcess;
  let endpoint: ControlEndpoint | undefined;

  beforeAll(async () => {
    work = await makeWorkDir('live-progress');
    daemon = await startDaemonProcess({
      configDir: join(work.dir, 'daemon'),
      downloadDir: join(work.dir, 'downloads'),
      bindAddress: '127.0.0.1',
      rpcPort: await findFreePort(),
      peerPort: await findFreePort(),
      username: 'volunteer',
      password: PASSWORD,
    });
  }, 60_000);
  afterAll(async () => {
    await endpoint?.close();
    await daemon?.stop();
    await work?.cleanup();
  });

  it('status shows a download finished after the last tick as 100 %, within seconds', async () => {
    const data = join(work.dir, 'data');
    await mkdir(data, { recursive: true });
    const dataset = await makeDataset({ dir: data, name: 'glacier-survey', files: [{ path: 'a.bin', sizeBytes: 300_000 }] });
    const torrent = await createTorrentFile({ contentPath: dataset.contentPath, outFile: join(work.dir, 'glacier.torrent') });
    const port = createTransmissionDaemon({ url: daemon.rpcUrl, username: 'volunteer', password: PASSWORD, timeoutMs: 5000 });

    const bus = createEventBus();
    const stateDir = join(work.dir, 'state');
    endpoint = await startControlEndpoint({
      stateDir,
      bus,
      state: openAgentState(stateDir),
      clock: () => Date.now(),
      tickNow: () => false,
      readProgress: () => readOwnedProgress(port, (hash) => hash === torrent.infoHash),
    });
    // The last tick saw the torrent just added: 0 %.
    const view = {
      ...aMirrorView({ owned: 0 }),
      owned: [anOwnedView(0, { infoHash: torrent.infoHash, name: 'glacier-survey', percentDone: 0 })],
    };
    bus.emit({ type: 'mirror', atMs: Date.now(), view });
    expect((await readAgentStatus(controlSocketPath(stateDir))).mirror?.owned[0]?.percentDone).toBe(0);

    // The daemon finds the data in place and completes it; no tick runs.
    await port.addTorrent({ metainfo: torrent.metainfo, downloadDir: data, labels: ['smartnode'] });
    const row = await eventually(
      'status to show the torrent complete',
      async () => {
        const owned = (await readAgentStatus(controlSocketPath(stateDir))).mirror?.owned[0];
        return owned !== undefined && owned.percentDone === 1 ? owned : undefined;
      },
      15_000,
      200,
    );
    expect(row.status).toMatch(/seed|stopped/);
    expect(row.reason.code).toBe(view.owned[0]?.reason.code); // the plan's reason stays the tick's
  }, 60_000);
});
