/**
 * Feed parsing benchmark: a generated 50,000-item Academic-Torrents-style rss.xml (the size of
 * `database.xml`) through parseFeed. Target: the median parse <= 2 s.
 *
 * Run alone: `npm run build && node dist/bench/feeds-bench.js`.
 * Peak RSS is the process's high-water mark (`process.resourceUsage().maxRSS`): the parse is
 * synchronous inside xml2js, so a timer sampling memoryUsage() would never fire during it.
 */
import { createHash } from 'node:crypto';
import { parseFeed } from '../feeds/index.js';
import { isMainModule, runBenchMain } from './entry.js';

const ITEMS = 50_000;
const RUNS = 3;
const TARGET_MS = 2000;

/** An rss.xml shaped like Academic Torrents' (unprefixed infohash/size, no enclosure). */
export function generateAtRss(count: number): string {
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n<rss xmlns:academictorrents="http://academictorrents.com/" version="2.0">\n<channel>\n',
    '<title>Academic Torrents</title><link>https://academictorrents.com/</link><description>database</description>\n',
  ];
  for (let i = 0; i < count; i++) {
    const hash = createHash('sha1').update(`item-${i}`).digest('hex');
    const day = String(1 + (i % 28)).padStart(2, '0');
    parts.push(
      `<item><title>Dataset ${i}: sensor recordings &amp; labels (part ${i % 17})</title><category>Dataset</category>`,
      `<infohash>${hash}</infohash><guid>${hash}</guid><link>https://academictorrents.com/details/${hash}</link>`,
      `<description><![CDATA[<p>Recordings from site ${i % 311}, with labels. See the paper for details.</p>]]></description>`,
      `<size>${(i * 7919 + 1) * 1024}</size><pubDate>Mon, ${day} Jan 2024 10:00:00 +0000</pubDate></item>\n`,
    );
  }
  parts.push('</channel>\n</rss>\n');
  return parts.join('');
}

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
