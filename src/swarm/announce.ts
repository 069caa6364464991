/**
 * Tracker announce probe: where a candidate's peers sit, for torrents the daemon does
 * not hold. A real announce asking for peers (event=started, numwant), then event=stopped so
 * the tracker forgets us at once.
 *
 *   HTTP (BEP 3, BEP 23 compact, BEP 7 peers6, BEP 24 external ip):
 *     GET <announce>?info_hash=..&peer_id=..&port=..&uploaded=0&downloaded=0&left=..&compact=1
 *         &event=started&numwant=N&key=..
 *     -> d8:completei..e10:incompletei..e8:intervali..e5:peers<6n bytes | list of dicts>e
 *        or d14:failure reason..e
 *   UDP (BEP 15): connect, then
 *     announce request: i64 connection_id | i32 1 | i32 tx | 20 info_hash | 20 peer_id |
 *                       i64 downloaded | i64 left | i64 uploaded | i32 event (2 started,
 *                       3 stopped) | u32 ip 0 | u32 key | i32 num_want | u16 port     (98 bytes)
 *     response:         i32 1 | i32 tx | i32 interval | i32 leechers | i32 seeders | 6n peers
 *                       (18n on an IPv6 socket)
 *
 * A reply is untrusted: bounded reading, bounded peers, garbage entries dropped one by one.
 */
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { SmartnodeError, bencodeSafeInteger, infoHashToBytes, isBDict } from '../shared/index.js';
import type { BValue, HttpTransport, InfoHash } from '../shared/index.js';
import { decodeTrackerReply, sanitizeCause } from './scrape-failure.js';
import { percentEncodeBytes, readTrackerReply } from './scrape-http.js';
import {
  TrackerErrorReply,
  UdpLink,
  connect,
  createUdpConnectionCache,
  errorText,
  udpFailure,
  type UdpConnectionCache,
} from './scrape-udp.js';
import { redactTrackerUrl } from './tracker-url.js';

export const ANNOUNCE_MAX_RESPONSE_BYTES = 256 * 1024;
/** More peers than this in one reply are ignored (numwant caps what we ask for anyway). */
export const ANNOUNCE_MAX_PEERS = 1000;

export interface PeerAddress {
  address: string;
  port: number;
}

export interface AnnounceReply {
  /** Complete and incomplete peers, when the tracker said. */
  seeders: number | null;
  leechers: number | null;
  peers: PeerAddress[];
  /** BEP 24: the address the tracker saw us at, when it said. */
  externalIp: string | null;
  /** Entries dropped as garbage (bad address, port 0, wrong shape). */
  droppedPeers: number;
}

export interface AnnounceRequest {
  infoHash: InfoHash;
  /** 20 bytes. */
  peerId: Uint8Array;
  /** The port we say we listen on. */
  port: number;
  /** Bytes left: > 0 so the tracker treats us as a leecher and hands out seeders. */
  leftBytes: number;
  numwant: number;
  event: 'started' | 'stopped';
  key: number;
}

export interface AnnounceOptions {
  timeoutMs: number;
  transport?: HttpTransport;
  /** UDP: resends after a timeout. */
  retries?: number;
  now?: () => number;
  connections?: UdpConnectionCache;
  /** Abandons the announce at once. */
  signal?: AbortSignal;
}

export type AnnounceFail = (why: string, cause?: unknown) => SmartnodeError;

export function announceFailure(trackerUrl: string): AnnounceFail {
  const tracker = redactTrackerUrl(trackerUrl);
  return (why, cause) =>
    new SmartnodeError('ANNOUNCE_FAILED', `announce probe of tracker ${tracker} failed: ${why}`, {
      retryable: true,
      hint: 'the tracker may be down or refuse probes; geography for this torrent stays unknown meanwhile',
      details: { tracker },
      ...(cause === undefined ? {} : { cause: sanitizeCause(cause) }),
    });
}

/** One announce to an http(s) or udp tracker. Throws ANNOUNCE_FAILED. */
export async function fetchAnnounce(trackerUrl: string, request: AnnounceRequest, options: AnnounceOptions): Promise<AnnounceReply> {
  const fail = announceFailure(trackerUrl);
  let url: URL;
  try {
    url = new URL(trackerUrl);
  } catch {
    throw fail('the tracker URL is not a valid URL');
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return fetchHttpAnnounce(trackerUrl, request, options, fail);
  if (url.protocol === 'udp:') return fetchUdpAnnounce(url, request, options, fail);
  throw fail(`cannot announce over ${url.protocol}`);
}

export function buildAnnounceUrl(trackerUrl: string, r: AnnounceRequest): string {
  const params = [
    `info_hash=${percentEncodeBytes(infoHashToBytes(r.infoHash))}`,
    `peer_id=${percentEncodeBytes(r.peerId)}`,
    `port=${r.port}`,
    'uploaded=0',
    'downloaded=0',
    `left=${Math.max(0, Math.floor(r.leftBytes))}`,
    'compact=1',
    'no_peer_id=1',
    `event=${r.event}`,
    `numwant=${r.event === 'stopped' ? 0 : r.numwant}`,
    `key=${(r.key >>> 0).toString(16)}`,
  ].join('&');
  return `${trackerUrl}${trackerUrl.includes('?') ? '&' : '?'}${params}`;
}

async function fetchHttpAnnounce(
  trackerUrl: string,
  request: AnnounceRequest,
  options: AnnounceOptions,
  fail: AnnounceFail,
): Promise<AnnounceReply> {
  const body = await readTrackerReply(
    buildAnnounceUrl(trackerUrl, request),
    options.timeoutMs,
    ANNOUNCE_MAX_RESPONSE_BYTES,
    options.transport,
    fail,
    options.signal,
  );
  return parseHttpAnnounceReply(body, fail);
}

/** Reads a bencoded announce reply. A failure reason or a malformed document throws via `fail`. */
export function parseHttpAnnounceReply(body: Uint8Array, fail: AnnounceFail): AnnounceReply {
  const root = decodeTrackerReply(body, { maxInputBytes: ANNOUNCE_MAX_RESPONSE_BYTES, maxDepth: 8, maxValues: 20_000 }, fail);
  const peers: PeerAddress[] = [];
  let dropped = 0;
  const add = (p: PeerAddress | null): void => {
    if (p === null) dropped++;
    else if (peers.length < ANNOUNCE_MAX_PEERS) peers.push(p);
  };
  const v4 = root.entries.get('peers');
  const v6 = root.entries.get('peers6');
  if (v4 === undefined && v6 === undefined) throw fail('the reply has no "peers"');
  if (v4 instanceof Uint8Array) {
    if (v4.length % 6 !== 0) throw fail(`compact "peers" is ${v4.length} bytes, not a multiple of 6`);
    for (let at = 0; at < v4.length; at += 6) add(compactPeer(v4, at, 4));
  } else if (Array.isArray(v4)) {
    for (const entry of v4.slice(0, ANNOUNCE_MAX_PEERS * 2)) add(dictPeer(entry));
  } else if (v4 !== undefined) {
    throw fail('"peers" is neither a string nor a list');
  }
  if (v6 instanceof Uint8Array && v6.length % 18 === 0) {
    for (let at = 0; at < v6.length; at += 18) add(compactPeer(v6, at, 16));
  }
  const external = root.entries.get('external ip');
  return {
    seeders: countOf(root.entries.get('complete')),
    leechers: countOf(root.entries.get('incomplete')),
    peers,
    externalIp:
      external instanceof Uint8Array && (external.length === 4 || external.length === 16) ? formatIp(external, 0, external.length) : null,
    droppedPeers: dropped,
  };
}

function compactPeer(bytes: Uint8Array, at: number, ipBytes: 4 | 16): PeerAddress | null {
  const port = ((bytes[at + ipBytes] ?? 0) << 8) | (bytes[at + ipBytes + 1] ?? 0);
  if (port === 0) return null;
  return { address: formatIp(bytes, at, ipBytes), port };
}

function dictPeer(entry: BValue): PeerAddress | null {
  if (!isBDict(entry)) return null;
  const ip = entry.entries.get('ip');
  const port = bencodeSafeInteger(entry.entries.get('port'));
  if (!(ip instanceof Uint8Array) || ip.length > 64 || port === null || port <= 0 || port > 65535) return null;
  const text = new TextDecoder().decode(ip);
  // Only literal addresses: a host name would need a lookup (and could point anywhere).
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return null;
  return { address: text, port };
}

function formatIp(bytes: Uint8Array, at: number, length: number): string {
  if (length === 4) return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[at + i] ?? 0) << 8) | (bytes[at + i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

function countOf(value: BValue | undefined): number | null {
  const n = bencodeSafeInteger(value);
  return n !== null && n >= 0 ? n : null;
}

const ACTION_ANNOUNCE = 1;
const ACTION_ERROR = 3;
const EVENT_CODE = { started: 2, stopped: 3 } as const;

async function fetchUdpAnnounce(url: URL, request: AnnounceRequest, options: AnnounceOptions, fail: AnnounceFail): Promise<AnnounceReply> {
  const port = Number(url.port);
  if (!Number.isInteger(port) || port <= 0) throw fail('a UDP tracker URL needs a port');
  let address: { address: string; family: number };
  try {
    address = await lookup(url.hostname.replace(/^\[|\]$/g, ''));
  } catch (error) {
    throw fail('cannot resolve the host name', error);
  }
  const socket = dgram.createSocket(address.family === 6 ? 'udp6' : 'udp4');
  const link = new UdpLink(socket, address.address, port);
  const udpOptions = {
    timeoutMs: options.timeoutMs,
    retries: options.retries ?? 1,
    now: options.now ?? Date.now,
    connections: options.connections ?? createUdpConnectionCache(),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  };
  try {
    const connectionId = await connect(link, udpOptions);
    const txId = randomBytes(4).readUInt32BE(0);
    const packet = Buffer.alloc(98);
    connectionId.copy(packet, 0);
    packet.writeUInt32BE(ACTION_ANNOUNCE, 8);
    packet.writeUInt32BE(txId, 12);
    packet.set(infoHashToBytes(request.infoHash), 16);
    packet.set(request.peerId.subarray(0, 20), 36);
    packet.writeBigUInt64BE(0n, 56);
    packet.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(request.leftBytes))), 64);
    packet.writeBigUInt64BE(0n, 72);
    packet.writeUInt32BE(EVENT_CODE[request.event], 80);
    packet.writeUInt32BE(0, 84);
    packet.writeUInt32BE(request.key >>> 0, 88);
    packet.writeInt32BE(request.event === 'stopped' ? 0 : request.numwant, 92);
    packet.writeUInt16BE(request.port, 96);
    const reply = await link.exchange(packet, txId, udpOptions, 'announce');
    const parsed = parseUdpAnnounceReply(reply, txId, address.family === 6 ? 16 : 4);
    if (typeof parsed === 'string') throw fail(parsed);
    return parsed;
  } catch (error) {
    throw udpFailure(error, fail);
  } finally {
    link.close();
  }
}

/** The UDP announce reply, or why it is unusable. An error reply throws TrackerErrorReply. */
export function parseUdpAnnounceReply(reply: Buffer, txId: number, ipBytes: 4 | 16): AnnounceReply | string {
  if (reply.length < 8) return `the reply has ${reply.length} bytes`;
  if (reply.readUInt32BE(4) !== txId) return 'the reply has another transaction id';
  const action = reply.readUInt32BE(0);
  if (action === ACTION_ERROR) throw new TrackerErrorReply(errorText(reply));
  if (action !== ACTION_ANNOUNCE) return `the reply has action ${action}, expected ${ACTION_ANNOUNCE}`;
  if (reply.length < 20) return `the announce reply has ${reply.length} bytes, expected at least 20`;
  const size = ipBytes + 2;
  if ((reply.length - 20) % size !== 0) return `the announce reply's peer list is ${reply.length - 20} bytes, not a multiple of ${size}`;
  const peers: PeerAddress[] = [];
  let dropped = 0;
  for (let at = 20; at < reply.length && peers.length < ANNOUNCE_MAX_PEERS; at += size) {
    const p = compactPeer(reply, at, ipBytes);
    if (p === null) dropped++;
    else peers.push(p);
  }
  return { leechers: reply.readUInt32BE(12), seeders: reply.readUInt32BE(16), peers, externalIp: null, droppedPeers: dropped };
}
