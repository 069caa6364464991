/**
 * The init wizard's prompts (Ink, through ink-testing-library) with the password checked
 * against a real transmission-daemon: a wrong password is refused with the daemon's reason and
 * asked again, never shown; then the directory, budget, feeds and Academic Torrents API key are
 * given with the keys a person would press. A prompt is drawn only once it listens, so each key
 * is sent only after the screen shows the prompt it answers.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InitWizard, type WizardAnswers } from '../../src/cli/init/wizard.js';
import { checkDaemonConnection, type DirProposal } from '../../src/setup/init.js';
import { startDaemonProcess, type DaemonProcess } from '../../src/testkit/daemon-process.js';
import { findFreePort } from '../../src/testkit/ports.js';
import { eventually } from '../helpers/world.js';

const PASSWORD = 'wizard-secret-9034';
const AT_KEY = 'uid=4242;pass=00c0ffee00c0ffee00c0ffee00c0ffee';
const ENTER = '\r';
const DOWN = '\u001B[B';
const UP = '\u001B[A';

describe('init wizard', () => {
  let root: string;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'smartnode-wizard-'));
    daemon = await startDaemonProcess({
      configDir: join(root, 'daemon'),
      downloadDir: join(root, 'downloads'),
      bindAddress: '127.0.0.1',
      rpcPort: await findFreePort(),
      peerPort: await findFreePort(),
      username: 'volunteer',
      password: PASSWORD,
    });
  });
  afterAll(async () => {
    await daemon?.stop();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  });

  it('asks the password without echo, re-asks after a refusal, then gathers dir, budget and feeds', async () => {
    const proposals: DirProposal[] = [
      { path: '/srv/a', exists: true, freeBytes: 2e12, daemonCanWrite: true, note: '2 TB free, exists' },
      { path: '/srv/b', exists: false, freeBytes: 1e12, daemonCanWrite: false, note: '1 TB free' },
    ];
    let answers: WizardAnswers | undefined | 'pending' = 'pending';
    const tried: (string | undefined)[] = [];
    const app = render(
      createElement(InitWizard, {
        rpcUrl: daemon.rpcUrl,
        username: 'volunteer',
        askPassword: true,
        proposals,
        suggestMaxSize: (dir) => (dir?.path === '/srv/b' ? '300 GB' : '900 GB'),
        policyPath: '/etc/smartnode/policy.yaml',
        askAtKey: true,
        initialFeeds: [{ id: 'unseeded', url: 'https://sciop.net/rss/seeds/unseeded.rss', format: 'rss', title: 'x' }],
        check: (pw) => {
          tried.push(pw);
          return checkDaemonConnection(daemon.rpcUrl, 'volunteer', pw);
        },
        onDone: (a) => {
          answers = a;
        },
      }),
    );
    // Long lines wrap at the test terminal's width: compare with whitespace runs as one space.
    const screen = (): string => (app.lastFrame() ?? '').replace(/\s+/g, ' ');
    const waitScreen = (text: string | RegExp): Promise<string> =>
      eventually(
        `screen shows ${String(text)}`,
        async () => {
          if (typeof text === 'string' ? screen().includes(text) : text.test(screen())) return screen();
          throw new Error(`screen: ${screen()}`);
        },
        10_000,
        20,
      );
    const type = async (keys: string): Promise<void> => {
      for (const key of keys) app.stdin.write(key);
      await new Promise((r) => setImmediate(r));
    };
    // Which row of a list has the focus marker (rows may carry a checkbox).
    const focused = (rows: readonly string[]): string | undefined =>
      rows.find((row) => screen().includes(`❯ ${row}`) || screen().includes(`❯ [x] ${row}`) || screen().includes(`❯ [ ] ${row}`));
    // One arrow at a time, each sent once the screen shows where the last one put the focus.
    const focus = async (label: string, rows: readonly string[]): Promise<void> => {
      for (;;) {
        const current = await eventually('a focused row', async () => focused(rows), 5000, 20);
        if (current === label) return;
        const next = rows[rows.indexOf(current) + (rows.indexOf(current) < rows.indexOf(label) ? 1 : -1)];
        app.stdin.write(rows.indexOf(current) < rows.indexOf(label) ? DOWN : UP); // one escape sequence, whole
        await eventually(`focus on ${String(next)}`, async () => focused(rows) === next, 5000, 20);
      }
    };
    try {
      await waitScreen('RPC password for volunteer');
      await type('wrong-one');
      await waitScreen(`not shown): ${'*'.repeat('wrong-one'.length)}`);
      expect(screen()).not.toContain('wrong-one');
      await type(ENTER);
      await waitScreen('refused the RPC username or password (HTTP 401)');
      // A fresh, empty field: the prompt is drawn again only when it listens.
      await waitScreen(/HTTP 401.*RPC password for volunteer .*not shown\):\s*$/);
      await type(PASSWORD);
      await waitScreen(`not shown): ${'*'.repeat(PASSWORD.length)}`); // a fresh field, masked
      expect(screen()).not.toContain(PASSWORD);
      await type(ENTER);
      await waitScreen('connected: Transmission 3.00');
      expect(tried).toEqual(['wrong-one', PASSWORD]);
      await waitScreen('/srv/a (2 TB free, exists)');
      await focus('/srv/b', ['/srv/a', '/srv/b', 'another directory']);
      await type(ENTER);
      await waitScreen('Disk budget for /srv/b');
      await type('lots');
      await type(ENTER);
      await waitScreen(/expected a size.*"lots"/);
      await type('\u007F'.repeat(4)); // backspace
      await waitScreen('Enter keeps 300 GB): 300 GB'); // the placeholder again
      await type(ENTER); // keeps the suggestion
      await waitScreen('Feeds to mirror from');
      // Nothing is preselected but the --feed, which is a built-in row here.
      expect(screen()).toContain('[x] SciOp: torrents with no seeder');
      expect(screen().match(/\[x\]/g)).toHaveLength(1);
      expect(screen()).toContain('Academic Torrents (a built-in snapshot');
      // A collection typed before the list is confirmed, then one already listed.
      await type('physics');
      await waitScreen('Enter to add it: physics');
      await type(ENTER);
      await waitScreen('added at-physics: https://academictorrents.com/collection/physics.csv');
      expect(screen()).toContain('[x] Academic Torrents collection: physics');
      await type('https://sciop.net/rss/seeds/unseeded.rss');
      await waitScreen('Enter to add it: https://sciop.net/rss/seeds/unseeded.rss');
      await type(ENTER);
      await waitScreen('https://sciop.net/rss/seeds/unseeded.rss is already in the list as sciop-unseeded; it is selected');
      const rows = ['Academic Torrents: recent uploads', 'Academic Torrents: the whole catalogue', 'Academic Torrents collection: medical'];
      await focus('Academic Torrents collection: medical', rows);
      await type(' ');
      await waitScreen('[x] Academic Torrents collection: medical');
      await type(ENTER);

      await waitScreen(/Academic Torrents API key.*not shown; Enter to skip\):\s*$/);
      await type('uid=7;pass=xyz');
      await waitScreen(`Enter to skip): ${'*'.repeat('uid=7;pass=xyz'.length)}`);
      await type(ENTER);
      await waitScreen(/expected the key as Academic Torrents shows it.*Enter to skip\):\s*$/);
      expect(screen()).not.toContain('xyz');
      await type(AT_KEY);
      await waitScreen(`Enter to skip): ${'*'.repeat(AT_KEY.length)}`);
      expect(screen()).not.toContain(AT_KEY);
      await type(ENTER);

      await waitScreen('Write /etc/smartnode/policy.yaml');
      expect(screen()).toContain(
        '/srv/b, up to 300 GB, feeds at-medical, sciop-unseeded, at-physics, with your Academic Torrents API key (kept out of the policy)? (Y/n)',
      );
      expect(screen()).not.toContain(AT_KEY);
      await type('y');
      await eventually('the wizard finishes on "y"', async () => answers !== 'pending', 5000, 20);
      expect(answers).toEqual({
        password: PASSWORD,
        downloadDir: '/srv/b',
        maxSize: '300 GB',
        feeds: [
          expect.objectContaining({ id: 'at-medical' }),
          expect.objectContaining({ id: 'sciop-unseeded' }),
          {
            id: 'at-physics',
            url: 'https://academictorrents.com/collection/physics.csv',
            format: 'at-csv',
            title: 'Academic Torrents collection: physics',
          },
        ],
        atApiKey: AT_KEY,
      });
    } finally {
      app.unmount();
    }
  });
});
