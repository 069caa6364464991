/**
 * `smartnode publish PATH`: put a dataset into the swarm. Makes the torrent, seeds it in place
 * through the policy's daemon, records it as published (never evicted, never counted against
 * the budget, its data never deleted), and lists it in the feed files under the publish
 * directory. `--list` shows what this node published; `--withdraw INFOHASH` stops seeding one
 * (the data stays) and drops it from the feeds.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { openAgentState } from '../agent/index.js';
import { createDaemonClient } from '../daemon/index.js';
import { loadPolicyFile, resolveSecrets } from '../policy/index.js';
import { FEED_XML, publishDataset, withdrawDataset, type PublishSettings } from '../publish/index.js';
import { SmartnodeError } from '../shared/index.js';
import type { CliIO } from './io.js';
import { assertMayWriteStateDir } from './state-owner.js';
import { resolveStateDir } from './runtime.js';

interface PublishFlags {
  policy: string;
  stateDir?: string;
  outDir?: string;
  baseUrl?: string;
  announce: string[];
  webSeed: string[];
  list?: boolean;
  withdraw?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerPublishCommand(program: Command, io: CliIO, secrets: string[]): void {
  program
    .command('publish')
    .description('Publish a dataset: make a .torrent, seed it in place, and list it in a feed other smartnodes can mirror.')
    .argument('[path]', 'file or directory to publish (seeded where it is: nothing is copied or moved)')
    .requiredOption('-p, --policy <file>', 'policy file (YAML): the daemon, and publish.* defaults')
    .option('--state-dir <dir>', 'agent state directory (overrides node.stateDir)')
    .option('--out-dir <dir>', 'where feed.xml, feed.json and torrents/ are written (overrides publish.dir)')
    .option('--base-url <url>', 'the URL the out dir is served at (overrides publish.baseUrl)')
    .option('--announce <url>', 'tracker announce URL (repeatable; added to publish.announce)', collect, [])
    .option('--web-seed <url>', 'web seed URL, BEP 19 (repeatable; added to publish.webSeeds)', collect, [])
    .option('--list', 'list the datasets this node published')
    .option('--withdraw <infohash>', 'stop seeding a published dataset (its data stays) and drop it from the feeds')
    .option('--json', 'machine-readable output')
    .action(async (path: string | undefined, opts: PublishFlags) => {
      const { policy } = await loadPolicyFile(resolve(opts.policy));
      const stateDir = resolveStateDir(opts.stateDir, policy.node.stateDir, io.env);
      await assertMayWriteStateDir(stateDir);
      const state = openAgentState(stateDir);
      if (opts.list === true) {
        const records = state.published();
        if (opts.json === true) io.stdout.write(`${JSON.stringify({ schema: 'smartnode.published/1', published: records }, null, 2)}\n`);
        else if (records.length === 0) io.stdout.write('nothing published yet (smartnode publish PATH)\n');
        else
          for (const r of records)
            io.stdout.write(`${r.infoHash}  ${r.name}  ${r.sizeBytes} bytes, ${r.fileCount} file(s)  ${r.path}  sha256 ${r.sha256}\n`);
        return;
      }
      const outDir = opts.outDir === undefined ? policy.publish.dir : resolve(opts.outDir);
      if (outDir === undefined) {
        throw new SmartnodeError('PUBLISH_INVALID', 'no publish directory: the feed files and .torrent need a home', {
          hint: 'set publish.dir in the policy, or pass --out-dir DIR (a directory you serve over HTTP)',
        });
      }
      const baseUrl = opts.baseUrl ?? policy.publish.baseUrl ?? null;
      if (baseUrl !== null && !/^https?:\/\//.test(baseUrl)) {
        throw new SmartnodeError('PUBLISH_INVALID', `--base-url ${JSON.stringify(baseUrl)} is not an http(s) URL`, {
          hint: 'give the URL your web server serves the out dir at',
        });
      }
      for (const url of [...opts.announce, ...opts.webSeed]) {
        if (!URL.canParse(url))
          throw new SmartnodeError('PUBLISH_INVALID', `${JSON.stringify(url)} is not a URL`, {
            hint: 'announce URLs look like udp://tracker.example:1337/announce; web seeds like https://data.example/',
          });
      }
      const rpc = await resolveSecrets(policy, io.env, (file) => readFile(file, 'utf8'));
      if (rpc.rpcPassword !== undefined) secrets.push(rpc.rpcPassword);
      const daemon = createDaemonClient({
        client: policy.daemon.client,
        url: policy.daemon.url,
        username: policy.daemon.username,
        password: rpc.rpcPassword,
        timeoutMs: policy.daemon.timeout,
      });
      const deps = { daemon, store: state, clock: () => Date.now() };
      const feed = { title: policy.publish.title, baseUrl };
      if (opts.withdraw !== undefined) {
        const gone = await withdrawDataset(deps, { outDir, feed }, opts.withdraw);
        io.stdout.write(
          opts.json === true
            ? `${JSON.stringify({ withdrawn: gone }, null, 2)}\n`
            : `withdrawn ${gone.name} (${gone.infoHash}): no longer seeded or listed; its data stays in ${gone.path}\n`,
        );
        return;
      }
      if (path === undefined) {
        throw new SmartnodeError('PUBLISH_INVALID', 'publish needs a PATH (or --list, or --withdraw INFOHASH)', {
          hint: 'smartnode publish /data/my-dataset --policy /etc/smartnode/policy.yaml',
        });
      }
      const settings: PublishSettings = {
        outDir,
        feed,
        label: `${policy.node.label}-published`,
        ownDownloadDir: policy.storage.downloadDir,
        trackers: [...new Set([...policy.publish.announce, ...opts.announce])],
        webSeeds: [...new Set([...policy.publish.webSeeds, ...opts.webSeed])],
      };
      const record = await publishDataset(deps, settings, path);
      if (opts.json === true) {
        io.stdout.write(`${JSON.stringify({ published: record, feed: `${outDir}/${FEED_XML}` }, null, 2)}\n`);
        return;
      }
      io.stdout.write(
        `published ${record.name} (${record.infoHash}): ` +
          `${record.sizeBytes} bytes in ${record.fileCount} file(s), seeding in place from ${record.path}\n` +
          `  sha256 ${record.sha256}\n  torrent ${record.torrentFile}\n  feed ${outDir}/${FEED_XML} (and feed.json)\n` +
          (settings.trackers.length === 0
            ? '  note: no announce URL (publish.announce or --announce): peers find it only through web seeds or by hand\n'
            : ''),
      );
    });
}
