/**
 * The init wizard's prompts (Ink, through ink-testing-library) with the password checked
 * against a real transmission-daemon: a wrong password is refused with the daemon's reason and
 * asked again, never shown; then the directory, budget and feeds are picked with the keys a
 * person would press.
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
    /** Keys as a terminal sends them, each written whole (an arrow is one escape sequence). */
    const press = async (...keys: string[]): Promise<void> => {
      for (const key of keys) app.stdin.write(key);
      await new Promise((r) => setImmediate(r));
    };
    /** Text typed a character at a time. */
    const type = (text: string): Promise<void> => press(...text);
    try {
      await waitScreen('RPC password for volunteer');
      await type('wrong-one');
      await waitScreen(`not shown): ${'*'.repeat('wrong-one'.length)}`);
      expect(screen()).not.toContain('wrong-one');
      await type(ENTER);
      await waitScreen('refused the RPC username or password (HTTP 401)');
      expect(screen()).toContain('RPC password for volunteer');

      // Typed the moment the refusal shows: the fresh field is empty and takes every key.
      expect(screen()).toMatch(/not shown\):\s*$/);
      await type(PASSWORD);
      await waitScreen(`not shown): ${'*'.repeat(PASSWORD.length)}`); // a fresh field, masked
      expect(screen()).not.toContain(PASSWORD);
      await type(ENTER);
      await waitScreen('connected: Transmission 3.00');
      expect(tried).toEqual(['wrong-one', PASSWORD]);
      await waitScreen('/srv/a (2 TB free, exists)');
      await press(DOWN, ENTER);
      await waitScreen('Disk budget for /srv/b');
      await type('lots');
      await type(ENTER);
      await waitScreen(/expected a size.*"lots"/);
      await type('\u007F'.repeat(4)); // backspace
      await waitScreen('Enter keeps 300 GB): 300 GB'); // the placeholder again
      await type(ENTER); // keeps the suggestion
      await waitScreen('Feeds to mirror from');
      await press(DOWN, DOWN, UP, ' '); // also SciOp 1-10
      await waitScreen(/❯ SciOp: torrents with 1-10.*seeds\/1-10\.rss ✔/);
      await type(ENTER);
      await waitScreen('Another feed URL');
      await type('https://example.org/collection/physics.csv');
      await type(ENTER);
      await waitScreen('Write /etc/smartnode/policy.yaml');
      expect(screen()).toContain('/srv/b, up to 300 GB, feeds sciop-unseeded, sciop-1-10, physics');
      expect(answers).toBe('pending');
      await type('y');
      expect(answers).toEqual({
        password: PASSWORD,
        downloadDir: '/srv/b',
        maxSize: '300 GB',
        feeds: [
          expect.objectContaining({ id: 'sciop-unseeded' }),
          expect.objectContaining({ id: 'sciop-1-10' }),
          {
            id: 'physics',
            url: 'https://example.org/collection/physics.csv',
            format: 'at-csv',
            title: 'https://example.org/collection/physics.csv',
          },
        ],
      });
    } finally {
      app.unmount();
    }
  });
});
