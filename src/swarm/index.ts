export type { CountSourceKind, SwarmCounts, ScrapeResult, TrackerScrapeCounts, TrackerScrapeReply } from './types.js';
export { pickCounts, countsFromTrackerStats } from './counts.js';
export type { CountCandidates, PickCountsOptions, PickedCounts } from './counts.js';
export { createScraper, mergeAnswers, MAX_RETRY_AFTER_MS, DEFAULT_RETRY_AFTER_MS } from './scraper.js';
export { createTrackerMemory, TRACKER_BACKOFF_BASE_MS, TRACKER_BACKOFF_MAX_MS } from './tracker-memory.js';
export type { TrackerMemory, TrackerMemorySnapshot, TrackerBackoffEntry } from './tracker-memory.js';
export { retryAfterOf } from './scrape-failure.js';
export type { Scraper, ScraperOptions, ScrapeRequest, ScrapeOutcome } from './scraper.js';
export {
  deriveScrapeUrl,
  fetchHttpScrapeBatch,
  HTTP_SCRAPE_MAX_HASHES,
  HTTP_SCRAPE_MAX_RESPONSE_BYTES,
} from './scrape-http.js';
export type { HttpScrapeOptions } from './scrape-http.js';
export {
  fetchUdpScrapeBatch,
  createUdpConnectionCache,
  UDP_SCRAPE_MAX_HASHES,
  UDP_CONNECTION_ID_TTL_MS,
} from './scrape-udp.js';
export type { UdpConnectionCache, UdpScrapeOptions } from './scrape-udp.js';
export { redactTrackerUrl, trackerProtocol, trackerHost } from './tracker-url.js';
export { fetchAnnounce, parseHttpAnnounceReply, parseUdpAnnounceReply, ANNOUNCE_MAX_PEERS } from './announce.js';
export type { AnnounceReply, AnnounceRequest, PeerAddress } from './announce.js';
export { createSwarmProber } from './probe.js';
export type { ProbeOutcome, ProbeRequest, ProbeResult, SwarmProber, SwarmProberOptions } from './probe.js';
export { createGeoResolver, isNonPublicAddress, loadCountryLookup, parseAddress, validateOverrides } from './geoip.js';
export type { CidrOverride, CountryLookup, GeoResolver } from './geoip.js';
