/**
 * Pure: peer lists (the daemon's, an announce probe's) to the planner's signal observations.
 * Addresses are resolved by the GeoResolver handed in; garbage, private and unresolved
 * addresses count as unknown, never as a country.
 */
import type { DaemonPeer } from '../daemon/index.js';
import { countCountries, type GeoObservation, type PeerSample } from '../plan/index.js';
import type { PeerAddress } from '../swarm/index.js';

export type CountryOf = (address: string) => string | null;

/** Geography of a held torrent: its complete peers (progress 1) only. Null without any. */
export function geoFromDaemonPeers(peers: readonly DaemonPeer[], countryOf: CountryOf, nowMs: number): GeoObservation | null {
  const seeders = peers.filter((p) => p.progress >= 1);
  if (seeders.length === 0) return null;
  return { ...countCountries(seeders.map((p) => countryOf(p.address))), peersAre: 'seeders', source: 'daemon', observedAtMs: nowMs };
}

/** Geography from an announce reply: every peer (a reply does not tell seeders apart). */
export function geoFromProbe(peers: readonly PeerAddress[], countryOf: CountryOf, atMs: number): GeoObservation | null {
  if (peers.length === 0) return null;
  const unique = new Set(peers.map((p) => `${p.address}\u0000${p.port}`));
  const addresses = [...unique].map((k) => k.slice(0, k.indexOf('\u0000')));
  return { ...countCountries(addresses.map(countryOf)), peersAre: 'peers', source: 'announce', observedAtMs: atMs };
}

/** The daemon's peers as samples for the progress-delta rate estimate. */
export function peerSamples(peers: readonly DaemonPeer[]): PeerSample[] {
  return peers.map((p) => ({ key: `${p.address}:${p.port}`, progress: p.progress, rateToPeerBytesPerSec: p.rateToPeerBytesPerSec }));
}
