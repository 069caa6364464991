/**
 * UDP tracker scrape, BEP 15 (https://www.bittorrent.org/beps/bep_0015.html).
 *
 *   connect  request: i64 protocol_id 0x41727101980 | i32 action 0 | i32 transaction_id
 *            response: i32 action 0 | i32 transaction_id | i64 connection_id       (16 bytes)
 *   scrape   request: i64 connection_id | i32 action 2 | i32 transaction_id | 20n hashes
 *            response: i32 action 2 | i32 transaction_id | n x (seeders, completed, leechers)
 *   error   response: i32 action 3 | i32 transaction_id | message
 *
 * A connection id may be reused for one minute after it was received. The spec's
 * retransmission (15 * 2^n s, n up to 8) is far too slow for an agent tick: the caller gives
 * a timeout per attempt and a retry count instead.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { SmartnodeError, infoHashToBytes } from '../shared/index.js';
import type { InfoHash } from '../shared/index.js';
import { cleanTrackerText, scrapeFailure } from './scrape-failure.js';
import type { TrackerScrapeCounts, TrackerScrapeReply } from './types.js';

/** 16 + 74 * 20 = 1496 bytes: the largest scrape that fits an Ethernet MTU. */
export const UDP_SCRAPE_MAX_HASHES = 74;
export const UDP_CONNECTION_ID_TTL_MS = 60_000;
const PROTOCOL_ID = 0x41727101980n;
const ACTION_CONNECT = 0;
const ACTION_SCRAPE = 2;
const ACTION_ERROR = 3;

/** Connection ids by "host:port", shared across calls so one connect serves a minute. */
export type UdpConnectionCache = Map<string, { connectionId: Buffer; receivedAtMs: number }>;

export function createUdpConnectionCache(): UdpConnectionCache {
  return new Map();
}

export interface UdpScrapeOptions {
  /** Per attempt. */
  timeoutMs: number;
  /** Resends after a timeout (0 = one attempt only). */
  retries: number;
  now: () => number;
  connections?: UdpConnectionCache;
  /** Abandons the exchange at once (the timer is cleared and the socket closed). */
  signal?: AbortSignal;
}

/** Scrapes at most UDP_SCRAPE_MAX_HASHES hashes (one packet). Throws SCRAPE_FAILED. */
export async function fetchUdpScrapeBatch(
  trackerUrl: string,
  hashes: readonly InfoHash[],
  options: UdpScrapeOptions,
): Promise<TrackerScrapeReply> {
  if (hashes.length > UDP_SCRAPE_MAX_HASHES) {
    throw new SmartnodeError('INTERNAL', `UDP scrape batch of ${hashes.length} hashes exceeds ${UDP_SCRAPE_MAX_HASHES}`);
  }
  let url: URL;
  try {
    url = new URL(trackerUrl);
  } catch {
    return { kind: 'unsupported', reason: 'the tracker URL is not a valid URL' };
  }
  const port = Number(url.port);
  if (url.protocol !== 'udp:' || !Number.isInteger(port) || port <= 0) {
    return { kind: 'unsupported', reason: 'UDP scrape needs a udp://host:port tracker URL' };
  }
  const fail = scrapeFailure(trackerUrl, hashes.length);

  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  let address: { address: string; family: number };
  try {
    address = await lookup(hostname);
  } catch (error) {
    throw fail(`cannot resolve the host name`, error);
  }
  const socket = dgram.createSocket(address.family === 6 ? 'udp6' : 'udp4');
  const link = new UdpLink(socket, address.address, port);
  try {
    const cache = options.connections ?? createUdpConnectionCache();
    const cacheKey = `${address.address}:${port}`;
    for (let attempt = 0; ; attempt++) {
      const cached = cache.get(cacheKey);
      const fresh = cached !== undefined && options.now() - cached.receivedAtMs < UDP_CONNECTION_ID_TTL_MS;
      const connectionId = fresh ? cached.connectionId : await connect(link, options);
      if (!fresh) cache.set(cacheKey, { connectionId, receivedAtMs: options.now() });
      try {
        return { kind: 'counts', counts: await scrape(link, connectionId, hashes, options, fail) };
      } catch (error) {
        // A tracker that restarted rejects our cached id with an error: connect again once.
        if (!fresh || attempt > 0 || !(error instanceof TrackerErrorReply)) throw error;
        cache.delete(cacheKey);
      }
    }
  } catch (error) {
    throw udpFailure(error, fail);
  } finally {
    link.close();
  }
}

/** The tracker answered with action 3; the message is already cleaned. */
export class TrackerErrorReply extends Error {}

/** BEP 15 connect: a connection id for the next requests (also used by the announce probe). */
export async function connect(link: UdpLink, options: UdpScrapeOptions): Promise<Buffer> {
  const txId = randomBytes(4).readUInt32BE(0);
  const packet = Buffer.alloc(16);
  packet.writeBigUInt64BE(PROTOCOL_ID, 0);
  packet.writeUInt32BE(ACTION_CONNECT, 8);
  packet.writeUInt32BE(txId, 12);
  return parseConnectReply(await link.exchange(packet, txId, options, 'connect'));
}

async function scrape(
  link: UdpLink,
  connectionId: Buffer,
  hashes: readonly InfoHash[],
  options: UdpScrapeOptions,
  fail: (why: string, cause?: unknown) => SmartnodeError,
): Promise<Map<InfoHash, TrackerScrapeCounts>> {
  const txId = randomBytes(4).readUInt32BE(0);
  const packet = Buffer.alloc(16 + 20 * hashes.length);
  connectionId.copy(packet, 0);
  packet.writeUInt32BE(ACTION_SCRAPE, 8);
  packet.writeUInt32BE(txId, 12);
  hashes.forEach((h, i) => {
    packet.set(infoHashToBytes(h), 16 + 20 * i);
  });
  const reply = await link.exchange(packet, txId, options, 'scrape');
  const parsed = parseScrapeReplyPacket(reply, txId, hashes.length);
  if (typeof parsed === 'string') throw fail(parsed);
  const counts = new Map<InfoHash, TrackerScrapeCounts>();
  hashes.forEach((h, i) => {
    const entry = parsed[i];
    if (entry !== undefined) counts.set(h, entry);
  });
  return counts;
}

function parseConnectReply(reply: Buffer): Buffer {
  const action = reply.readUInt32BE(0);
  if (action === ACTION_ERROR) throw new TrackerErrorReply(errorText(reply));
  if (action !== ACTION_CONNECT || reply.length < 16) {
    throw new TrackerErrorReply(`malformed connect reply (action ${action}, ${reply.length} bytes)`);
  }
  return Buffer.from(reply.subarray(8, 16));
}

/** Entries in request order, or a reason the packet is unusable. Error replies throw. */
export function parseScrapeReplyPacket(reply: Buffer, txId: number, requested: number): TrackerScrapeCounts[] | string {
  const action = reply.readUInt32BE(0);
  if (reply.readUInt32BE(4) !== txId) return 'the reply has another transaction id';
  if (action === ACTION_ERROR) throw new TrackerErrorReply(errorText(reply));
  if (action !== ACTION_SCRAPE) return `the reply has action ${action}, expected ${ACTION_SCRAPE}`;
  const expected = 8 + 12 * requested;
  if (reply.length !== expected) {
    return `the scrape reply has ${reply.length} bytes, expected ${expected} for ${requested} hashes`;
  }
  const out: TrackerScrapeCounts[] = [];
  for (let i = 0; i < requested; i++) {
    const at = 8 + 12 * i;
    out.push({
      seeders: reply.readUInt32BE(at),
      completed: reply.readUInt32BE(at + 4),
      leechers: reply.readUInt32BE(at + 8),
    });
  }
  return out;
}

export function errorText(reply: Buffer): string {
  const text = cleanTrackerText(reply.subarray(8, 8 + 1024).toString('utf8'));
  return `the tracker answered with an error: "${text}"`;
}

/**
 * One socket talking to one tracker address. Replies from other addresses, shorter than 8
 * bytes, or with another transaction id are ignored (BEP 15: discard and keep waiting).
 */
export class UdpLink {
  private waiter: { txId: number; resolve: (reply: Buffer) => void } | null = null;
  private socketError: Error | null = null;

  constructor(
    private readonly socket: dgram.Socket,
    private readonly address: string,
    private readonly port: number,
  ) {
    socket.on('message', (msg, rinfo) => {
      if (rinfo.address !== this.address || rinfo.port !== this.port) return;
      if (msg.length < 8 || this.waiter === null) return;
      if (msg.readUInt32BE(4) !== this.waiter.txId) return;
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve(msg);
    });
    socket.on('error', (error) => {
      this.socketError = error;
    });
  }

  async exchange(packet: Buffer, txId: number, options: UdpScrapeOptions, what: string): Promise<Buffer> {
    const attempts = options.retries + 1;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const reply = await new Promise<Buffer | null>((resolve, reject) => {
        const { signal } = options;
        const done = (): void => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', abandon);
          this.waiter = null;
        };
        const abandon = (): void => {
          done();
          reject(new UdpAborted('the exchange was abandoned'));
        };
        const timer = setTimeout(() => {
          done();
          resolve(null);
        }, options.timeoutMs);
        if (signal?.aborted === true) return abandon();
        signal?.addEventListener('abort', abandon, { once: true });
        this.waiter = {
          txId,
          resolve: (msg) => {
            done();
            resolve(msg);
          },
        };
        this.socket.send(packet, this.port, this.address, (error) => {
          if (error) {
            done();
            reject(error);
          }
        });
      });
      if (reply !== null) return reply;
      if (this.socketError !== null) throw this.socketError;
    }
    throw new UdpTimeout(`no ${what} reply after ${attempts} attempts of ${options.timeoutMs} ms`);
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

export class UdpTimeout extends Error {}

/** The agent stopped while the exchange was under way. */
export class UdpAborted extends Error {}

/** What a failed UDP exchange becomes: the tracker's own error, a timeout, or a network error. */
export function udpFailure(error: unknown, fail: (why: string, cause?: unknown) => Error): Error {
  if (error instanceof SmartnodeError) return error;
  if (error instanceof TrackerErrorReply || error instanceof UdpTimeout) return fail(error.message);
  const code = error instanceof Error && 'code' in error ? String(error.code) : 'unknown';
  return fail(`network error ${code}`, error);
}
