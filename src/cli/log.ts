/**
 * Logs: JSON lines (pino) for services, readable lines on a TTY. Every agent event becomes one
 * log line; adds and removes carry their reason (the planner's, never one invented here).
 */
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { AgentEvent, EventBus, PopulationSummary } from '../agent/index.js';
import { formatBytes, formatClock, formatRate, formatScore } from '../shared/index.js';

export type LogFormat = 'json' | 'pretty';

export function createLogger(options: { format: LogFormat; level?: string; destination?: NodeJS.WritableStream }): Logger {
  const destination = options.destination ?? process.stdout;
  const level = options.level ?? 'info';
  if (options.format === 'json') return pino({ level, base: undefined }, destination);
  return pino({ level, base: undefined }, prettyStream(destination));
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO ', 40: 'WARN ', 50: 'ERROR', 60: 'FATAL' };

/** One readable line per record: `12:00:01 INFO  added foo (reason)  key=value`. */
function prettyStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          const { time, level, msg, ...rest } = record;
          const when = formatClock(typeof time === 'number' ? time : Date.now());
          const extras = Object.entries(rest)
            .filter(([k]) => k !== 'event')
            .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
            .join(' ');
          out.write(`${when} ${LEVELS[Number(level)] ?? String(level)} ${String(msg)}${extras ? `  ${extras}` : ''}\n`);
        } catch {
          out.write(`${line}\n`);
        }
      }
      callback();
    },
  });
}

export function logAgentEvents(bus: EventBus, logger: Logger): () => void {
  return bus.subscribe((event) => logEvent(logger, event));
}

function logEvent(logger: Logger, event: AgentEvent): void {
  switch (event.type) {
    case 'tick-started':
      logger.debug({ event: event.type, tick: event.tick }, `tick ${event.tick} started`);
      return;
    case 'tick-finished':
      logger.info(
        {
          event: event.type,
          tick: event.tick,
          durationMs: event.durationMs,
          adds: event.adds,
          removes: event.removes,
          failed: event.failed,
        },
        `tick ${event.tick} done in ${event.durationMs} ms: ${event.adds} added, ` +
          `${event.removes} removed${event.failed ? `, ${event.failed} failed` : ''}${event.dryRun ? ' (dry run)' : ''}`,
      );
      return;
    case 'tick-failed':
      logger.error(
        { event: event.type, tick: event.tick, code: event.error.code, retryInMs: event.retryInMs },
        `tick ${event.tick} failed: ${withHint(event.error)}; retrying in ${Math.round(event.retryInMs / 1000)} s`,
      );
      return;
    case 'feed-fetched':
      logger.info(
        { event: event.type, feed: event.feedId, items: event.items, warnings: event.warnings },
        event.notModified ? `feed ${event.feedId} not modified` : `feed ${event.feedId}: ${event.items} items`,
      );
      return;
    case 'feed-failed':
      logger.warn(
        {
          event: event.type,
          feed: event.feedId,
          code: event.error.code,
          keptItems: event.keptItems,
          ...(event.retryAtMs === undefined ? {} : { retryAt: new Date(event.retryAtMs).toISOString() }),
        },
        `feed ${event.feedId} failed: ${withHint(event.error)}; keeping ${event.keptItems} items from the last good ` +
          `fetch${event.retryAtMs === undefined ? '' : `; next try at ${new Date(event.retryAtMs).toISOString()}`}`,
      );
      return;
    case 'feed-item-dropped':
      logger.warn({ event: event.type, feed: event.feedId }, `feed ${event.feedId}: dropped an item: ${event.message}`);
      return;
    case 'scrape-failed':
      logger.warn(
        { event: event.type, tracker: event.tracker, code: event.error.code },
        `scrape of ${event.tracker} failed: ${event.error.message}`,
      );
      return;
    case 'probe-failed':
      logger.warn({ event: event.type, tracker: event.tracker, code: event.error.code }, event.error.message);
      return;
    case 'signals-warning':
      logger.warn({ event: event.type }, event.message);
      return;
    case 'torrent-file-failed':
      logger.warn(
        { event: event.type, infoHash: event.infoHash, code: event.error.code },
        `.torrent for ${event.name} refused: ${withHint(event.error)}`,
      );
      return;
    case 'planned':
      logger.info(
        {
          event: event.type,
          candidates: event.candidates,
          desired: event.desired,
          capacityBytes: event.capacityBytes,
          committedBytes: event.committedBytes,
          noSource: event.noSource,
          stalled: event.stalled,
          ...(event.population === undefined ? {} : { population: populationFields(event.population) }),
        },
        `planned: ${event.candidates} candidates, ${event.desired} to hold, ${event.adds} to add, ${event.removes} to remove` +
          plannedDetail(event),
      );
      return;
    case 'action':
      logger.info(
        { event: event.type, kind: event.kind, infoHash: event.infoHash, sizeBytes: event.sizeBytes, reason: event.reason.code },
        `${event.dryRun ? `would ${event.kind}` : event.kind === 'add' ? 'added' : 'removed'} ${event.name}: ${event.reason.text}`,
      );
      return;
    case 'action-failed':
      logger.error(
        { event: event.type, kind: event.kind, infoHash: event.infoHash, code: event.error.code },
        `${event.kind} of ${event.name} failed: ${withHint(event.error)}`,
      );
      return;
    case 'ownership':
      // Adoption rebuilds ownership from labels alone (the state was lost): worth a warning.
      (event.op === 'adopt' ? logger.warn.bind(logger) : logger.info.bind(logger))(
        { event: event.type, op: event.op, infoHash: event.infoHash },
        `ownership ${event.op}: ${event.detail}`,
      );
      return;
    case 'disk-full-restart':
      logger.info({ event: event.type, infoHash: event.infoHash }, `restarted ${event.name} after a full disk: ${event.detail}`);
      return;
    case 'daemon-connected':
      logger.info(
        {
          event: event.type,
          version: event.version,
          rpcVersion: event.rpcVersion,
          rpcVersionSemver: event.rpcVersionSemver,
          protocol: event.protocol,
        },
        event.protocol === 'webui-v2'
          ? `connected to qBittorrent ${event.version} (WebUI API ${event.rpcVersionSemver ?? '?'})`
          : `connected to transmission-daemon ${event.version} (RPC ${event.rpcVersionSemver ?? event.rpcVersion}, ` +
              `${event.protocol === 'json-rpc' ? 'JSON-RPC 2.0' : 'old protocol'})`,
      );
      return;
    case 'paused':
      logger.info({ event: event.type }, event.paused ? 'agent paused' : 'agent resumed');
      return;
    case 'bandwidth':
      logger.info(
        {
          event: event.type,
          scope: event.scope,
          owned: event.owned,
          changed: event.changed,
          uploadBytesPerSec: event.uploadBytesPerSec,
          downloadBytesPerSec: event.downloadBytesPerSec,
          uploadState: event.uploadState,
          downloadState: event.downloadState,
          window: event.window,
        },
        `bandwidth (${event.scope}): upload ${rateLimitText(event.uploadBytesPerSec, event.uploadState)}, ` +
          `download ${rateLimitText(event.downloadBytesPerSec, event.downloadState)}` +
          `${event.window === null ? '' : `, schedule window ${event.window + 1}`}; ${event.changed} of ${event.owned} torrents updated`,
      );
      return;
    case 'disk-reserve':
      logger.warn(
        {
          event: event.type,
          diskFreeBytes: event.diskFreeBytes,
          minFreeBytes: event.minFreeBytes,
          pendingWriteBytes: event.pendingWriteBytes,
          evictions: event.evictions,
        },
        `${event.detail}: adding nothing, evicting ${event.evictions} owned torrent(s)`,
      );
      return;
    case 'eviction-held':
      logger.warn(
        { event: event.type, removes: event.removes, removeBytes: event.removeBytes, fraction: event.fraction },
        `the plan would remove ${event.removes} torrent(s), ${Math.round(event.fraction * 100)} % of the mirror (limit ` +
          `${Math.round(event.maxEvictFraction * 100)} %): nothing changed; confirm with \`smartnode run --yes\` or on the dashboard`,
      );
      return;
    case 'adds-deferred':
      logger.info(
        { event: event.type, code: event.code, count: event.count, bytes: event.bytes },
        `${event.count} add(s) of ${formatBytes(event.bytes)} deferred (${event.code})`,
      );
      return;
    case 'policy-reloaded':
      logger.info(
        { event: event.type, path: event.path, changed: event.changed },
        `policy ${event.path} reloaded: ${event.changed.join(', ')}`,
      );
      return;
    case 'policy-reload-failed':
      logger.error(
        { event: event.type, path: event.path, code: event.error.code },
        `policy edit refused, the last good policy stays in force: ${withHint(event.error)}`,
      );
      return;
    case 'limits-warning':
    case 'state-warning':
      logger.warn({ event: event.type }, event.message);
      return;
    case 'integrity': {
      const fields = {
        event: event.type,
        infoHash: event.infoHash,
        code: event.code,
        ...(event.expected === undefined ? {} : { expected: event.expected, actual: event.actual }),
      };
      const line = `${event.code} ${event.name}: ${event.text}`;
      if (event.code === 'CORRUPT' || event.code === 'DATA_VANISHED' || event.code === 'BAD_PIECES') logger.warn(fields, line);
      else logger.info(fields, line);
      return;
    }
  }
}

function withHint(error: { message: string; hint?: string }): string {
  return error.hint === undefined ? error.message : `${error.message} (${error.hint})`;
}

/** A rate limit in force: "unlimited", "2 MB/s", or "500 kB/s (throttled)" when not open. */
function rateLimitText(bytesPerSec: number | null, state: string): string {
  return `${bytesPerSec === null ? 'unlimited' : formatRate(bytesPerSec)}${state === 'open' ? '' : ` (${state})`}`;
}

/** The herd estimates a plan used, as log fields. */
function populationFields(p: PopulationSummary): Record<string, number | null> {
  return {
    competitors: Math.round(p.competitors * 10) / 10,
    othersOnTheirWay: p.othersOnTheirWay,
    mineOnTheirWay: p.mineOnTheirWay,
    slowStartAdds: p.slowStartAdds,
    surplusReleased: p.releasing ?? 0,
  };
}

/** The rest of the `planned` line: herd estimates, then what was held back and why (the planner's NO_SOURCE text). */
function plannedDetail(event: Extract<AgentEvent, { type: 'planned' }>): string {
  const p = event.population;
  const parts: string[] = [];
  if (p !== undefined) {
    const coming = `${Math.round(p.othersOnTheirWay)} copies on their way (${Math.round(p.mineOnTheirWay)} ours)`;
    parts.push(`about ${formatScore(p.competitors)} nodes competing, ${coming}`);
    if (p.slowStartAdds !== null) parts.push(`slow start: up to ${p.slowStartAdds} needy torrents`);
    if ((p.releasing ?? 0) > 0) parts.push(`${p.releasing} surplus copies released`);
  }
  if (event.stalled > 0) parts.push(`${event.stalled} stalled (STALLED)`);
  if (event.noSource > 0) parts.push(`${event.noSource} held back (NO_SOURCE: ${event.noSourceReason ?? 'no source'})`);
  return parts.length === 0 ? '' : `; ${parts.join('; ')}`;
}
