/**
 * `smartnode doctor` names the Transmission line it talks to, the RPC dialect, and the known
 * defects of that release, against real daemons of the two newer lines on 127.0.0.1.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CheckResult } from '../../src/setup/doctor.js';
import type { DaemonLine } from '../../src/testkit/daemon-lines.js';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon.js';

const CASES: { line: DaemonLine; says: RegExp }[] = [
  {
    line: 'trixie',
    says: new RegExp(
      /^Transmission 4\.1\.0-beta\.2 \(Debian 13's line; tested, the old RPC protocol\), /.source +
        /RPC version 18 \(5\.4\.0\).*no JSON-RPC 2\.0.*floats/.source,
    ),
  },
  { line: 'sid', says: /^Transmission 4\.1\.\d+ \(Debian unstable's line; tested, JSON-RPC 2\.0\), RPC version 19 \(6\.0\.\d+\)/ },
];

for (const c of CASES) {
  describe(`smartnode doctor on ${c.line}'s transmission-daemon`, () => {
    let daemon: TestDaemon;
    let dir: string;
    beforeAll(async () => {
      daemon = await startTestDaemon({}, c.line);
      dir = await mkdtemp(join(tmpdir(), 'smartnode-doctor-line-'));
    });
    afterAll(async () => {
      await daemon?.teardown();
      await rm(dir, { recursive: true, force: true });
    });

    it("names the line, the dialect and the release's known defects", async () => {
      const policy = join(dir, 'policy.yaml');
      await writeFile(
        policy,
        [
          'daemon:',
          `  url: ${daemon.rpcUrl}`,
          `  username: ${daemon.username}`,
          '  passwordEnv: SN_LINE_PW',
          'storage:',
          `  downloadDir: ${daemon.downloadDir}`,
          '  maxBytes: 1 MB',
          '  minFreeBytes: 1 MB',
          'feeds:',
          '  - id: c',
          '    url: http://127.0.0.1:1/c.csv',
        ].join('\n'),
      );
      const chunks: string[] = [];
      const stdout = new Writable({
        write(chunk: Buffer, _enc, done) {
          chunks.push(chunk.toString());
          done();
        },
      });
      const stderr = new Writable({
        write(_c, _e, done) {
          done();
        },
      });
      await main(['node', 'smartnode', 'doctor', '--json', '--policy', policy, '--state-dir', join(dir, 'state'), '--skip', 'agent'], {
        stdout,
        stderr,
        env: { PATH: process.env.PATH, SN_LINE_PW: daemon.password },
      });
      const { checks } = JSON.parse(chunks.join('')) as { checks: CheckResult[] };
      const rpc = checks.find((x) => x.id === 'rpc-version');
      expect(rpc?.status, JSON.stringify(rpc)).toBe('passed');
      expect(rpc?.detail).toMatch(c.says);
    });
  });
}
