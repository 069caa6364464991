/**
 * Feed parsing benchmark: a generated 50,000-item Academic-Torrents-style rss.xml (the size of
 * `database.xml`) through parseFeed. Target: the median parse <= 2 s.
 *
 * Run alone: `npm run build && node dist/bench/feeds-bench.js`.
 * Peak RSS is the process's high-water mark (`process.resourceUsage().maxRSS`): the parse is
 * synchronous inside xml2js, so a timer sampling memoryUsage() would never fire during it.
 */
import { parseFeed } from '../feeds/index.js';
import { generateAtRss } from '../feeds/testing.js';
import { isMainModule, runBenchMain } from './entry.js';

const ITEMS = 50_000;
const RUNS = 3;
const TARGET_MS = 2000;

export async function benchFeeds(): Promise<Record<string, number | string>> {
  const text = generateAtRss(ITEMS);
  const rssBeforeMb = process.memoryUsage().rss / 1e6;
  const timesMs: number[] = [];
  let parsedItems = 0;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const feed = await parseFeed(text, { format: 'rss', feedId: 'bench', feedUrl: 'https://academictorrents.com/database.xml', nowMs: 0 });
    timesMs.push(performance.now() - started);
    parsedItems = feed.items.length;
    if (feed.items.length !== ITEMS || feed.warnings.length !== 0) {
      throw new Error(`bench feed parsed to ${feed.items.length} items and ${feed.warnings.length} warnings, expected ${ITEMS} and 0`);
    }
  }
  timesMs.sort((a, b) => a - b);
  const medianMs = timesMs[Math.floor(timesMs.length / 2)] ?? Number.NaN;
  const peakRssMb = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
  return {
    feedItems: parsedItems,
    feedBytes: text.length,
    feedParseMedianMs: Math.round(medianMs),
    feedParseItemsPerSec: Math.round(parsedItems / (medianMs / 1000)),
    feedParseRuns: RUNS,
    feedRssBeforeMb: Math.round(rssBeforeMb),
    feedPeakRssMb: Math.round(peakRssMb),
    feedTargetMs: TARGET_MS,
    feedVerdict: medianMs <= TARGET_MS ? 'within target' : 'OVER TARGET',
  };
}

if (isMainModule(import.meta.url)) runBenchMain(benchFeeds, (f) => f['feedVerdict'] === 'within target');
