/**
 * Transmission 4.x's anti-brute-force protection, on a real 4.1.x daemon: after
 * anti-brute-force-threshold failed logins it answers every request with 403, the same status
 * as a whitelist refusal. smartnode must call it what it is (DAEMON_LOCKED_OUT, not
 * retryable, "restart the daemon"), never tell the owner to edit a whitelist that is fine;
 * an agent restarted into the lockout too, since the daemon answered it before.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDaemonAnswered } from '../../src/cli/daemon-answered.js';
import { createDaemonClient, createTransmissionDaemon } from '../../src/daemon/index.js';
import { parseDaemonSettings } from '../../src/setup/daemon-settings.js';
import { checkDaemonConnection } from '../../src/setup/init.js';
import { SmartnodeError } from '../../src/shared/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

describe('anti-brute-force lockout (transmission-daemon 4.1.x)', () => {
  let daemon: TestDaemon;
  let stateDir = '';
  /** A client as the agent's runtime builds it, remembering in stateDir that the daemon answered. */
  const agentClient = () => {
    const answered = readDaemonAnswered(stateDir, daemon.rpcUrl, daemon.username);
    return createDaemonClient({
      ...answered,
      client: 'transmission',
      url: daemon.rpcUrl,
      username: daemon.username,
      password: daemon.password,
      timeoutMs: 5000,
    });
  };
  beforeAll(async () => {
    daemon = await startTestDaemon({ 'anti-brute-force-enabled': true, 'anti-brute-force-threshold': 3 }, 'sid');
    stateDir = await mkdtemp(join(tmpdir(), 'smartnode-lockout-state-'));
    // The agent ran against this daemon before the lockout: it answered the right password here.
    await agentClient().readVersion();
  });
  afterAll(async () => {
    await daemon?.teardown();
    if (stateDir !== '') await rm(stateDir, { recursive: true, force: true });
  });

  const failure = async (promise: Promise<unknown>): Promise<SmartnodeError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SmartnodeError);
    return error as SmartnodeError;
  };

  it('wrong passwords are DAEMON_AUTH until the threshold, then the 403 is named a lockout and not retried', async () => {
    const wrong = createTransmissionDaemon({
      url: daemon.rpcUrl,
      username: daemon.username,
      password: 'not-the-password',
      timeoutMs: 5000,
    });
    // The readiness probe (no credentials) was a failed login too: count what it takes.
    const codes: string[] = [];
    let locked: SmartnodeError | undefined;
    while (codes.length < 5 && locked === undefined) {
      const error = await failure(wrong.readVersion());
      codes.push(error.code);
      if (error.code !== 'DAEMON_AUTH') locked = error;
    }
    // Three failed logins in all (a success resets the daemon's count): the readiness probe may be one of them.
    expect([
      ['DAEMON_AUTH', 'DAEMON_AUTH', 'DAEMON_LOCKED_OUT'],
      ['DAEMON_AUTH', 'DAEMON_AUTH', 'DAEMON_AUTH', 'DAEMON_LOCKED_OUT'],
    ]).toContainEqual(codes);
    if (locked === undefined) return;
    expect(locked.retryable).toBe(false);
    expect(locked.message).toContain('403');
    expect(locked.hint).toContain('restart the daemon');
    expect(locked.hint).not.toContain('not-the-password');
  });

  it('init, with the right password from a fresh client, tells the lockout from the whitelist by settings.json', async () => {
    const settings = parseDaemonSettings(await readFile(join(daemon.root, 'config', 'settings.json'), 'utf8'), 'settings.json');
    expect(settings.antiBruteForceEnabled).toBe(true);
    const check = await checkDaemonConnection(daemon.rpcUrl, daemon.username, daemon.password, settings);
    expect(check.ok).toBe(false);
    if (check.ok) return;
    expect(check.error.code).toBe('DAEMON_LOCKED_OUT');
    expect(`${check.error.message} ${check.error.hint ?? ''}`).not.toContain(daemon.password);
    // Without settings.json to go by, a bare 403 still names both possible causes.
    const bare = await failure(
      createTransmissionDaemon({ url: daemon.rpcUrl, username: daemon.username, password: daemon.password, timeoutMs: 5000 }).readVersion(),
    );
    expect(bare.code).toBe('DAEMON_FORBIDDEN');
    expect(bare.hint).toContain('anti-brute-force');
  });

  it('an agent restarted into the lockout names it, since this daemon answered it before', async () => {
    // A new process: no 401 seen, only the memory that this daemon let this machine in.
    const error = await failure(agentClient().readVersion());
    expect(error.code).toBe('DAEMON_LOCKED_OUT');
    expect(error.message).toContain('answered this machine before');
    expect(error.retryable).toBe(false);
    expect(error.hint).toContain('restart the daemon');
    expect(`${error.message} ${error.hint ?? ''}`).not.toContain(daemon.password);
  });
});
