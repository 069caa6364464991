/**
 * The CLI's main() in-process, its stdout and stderr captured, with only PATH and `env` set.
 */
import { Writable } from 'node:stream';
import { main } from '../../src/cli/main.js';

export async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]): Writable =>
    new Writable({
      write(chunk: Buffer, _e, done) {
        into.push(chunk.toString());
        done();
      },
    });
  const code = await main(['node', 'smartnode', ...args], {
    stdout: sink(out),
    stderr: sink(err),
    env: { PATH: process.env.PATH, ...env },
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
