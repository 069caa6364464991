import { describe, expect, it } from 'vitest';
import { overlappingWindows, parseClock, weekRanges } from './bandwidth-schema.js';
import { parsePolicyText } from './parse.js';

const BASE = `version: 1
daemon: { url: "http://127.0.0.1:9091/transmission/rpc" }
storage: { downloadDir: /srv/x, maxBytes: 1 TB }
feeds: [{ id: a, url: "http://feeds.test/a.csv" }]
`;

function load(extra: string): ReturnType<typeof parsePolicyText> {
  return parsePolicyText(BASE + extra, 'p.yaml');
}

function problem(extra: string): string {
  try {
    load(extra);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the policy to be refused');
}

describe('bandwidth policy', () => {
  it('defaults to no caps, scope owned, an empty schedule', () => {
    expect(load('').bandwidth).toEqual({ scope: 'owned', schedule: [] });
  });

  it('reads rates, a schedule across midnight, monthly caps and a daily budget', () => {
    const p = load(`bandwidth:
  uploadRate: 1 MB/s
  downloadRate: 8 Mbit/s
  schedule:
    - { days: [mon, tue, wed, thu, fri], from: "09:00", to: "18:00", uploadRate: 100 kB/s }
    - { from: "22:00", to: "06:00", uploadRate: unlimited, downloadRate: unlimited }
  monthly: { uploadCap: 10 TB, downloadCap: 2 TB, billingDay: 31 }
  dailyDownloadBudget: 100 GB
`);
    expect(p.bandwidth).toEqual({
      scope: 'owned',
      uploadRate: 1e6,
      downloadRate: 1e6,
      schedule: [
        { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: 540, to: 1080, uploadRate: 100e3 },
        { days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], from: 1320, to: 360, uploadRate: null, downloadRate: null },
      ],
      monthly: { uploadCap: 10e12, downloadCap: 2e12, billingDay: 31, throttleAt: 0.9 },
      dailyDownloadBudget: 100e9,
    });
  });

  it('refuses caps of zero, absurd rates and negative sizes, naming the line and key', () => {
    expect(problem('bandwidth: { uploadRate: 0 }')).toMatch(/p\.yaml:5 bandwidth\.uploadRate: must be more than 0/);
    expect(problem('bandwidth:\n  downloadRate: 0 MB/s\n')).toMatch(/bandwidth\.downloadRate: must be more than 0/);
    expect(problem('bandwidth: { uploadRate: 1 EB/s }')).toMatch(/uploadRate: .*(100 GB\/s|1 EB)/);
    expect(problem('bandwidth: { monthly: { uploadCap: 0 } }')).toMatch(/bandwidth\.monthly\.uploadCap: must be more than 0/);
    expect(problem('bandwidth: { monthly: { downloadCap: "-3 TB" } }')).toMatch(/downloadCap: .*negative/);
    expect(problem('bandwidth: { dailyDownloadBudget: 0 }')).toMatch(/dailyDownloadBudget: must be more than 0/);
    expect(problem('bandwidth: { monthly: { billingDay: 32 } }')).toMatch(/billingDay: expected a day of the month, 1-31/);
    expect(problem('bandwidth: { monthly: { billingDay: 0 } }')).toMatch(/billingDay: expected a day of the month, 1-31/);
  });

  it('refuses overlapping schedule windows, also across midnight', () => {
    expect(
      problem(`bandwidth:
  schedule:
    - { from: "09:00", to: "18:00" }
    - { from: "17:00", to: "19:00", days: [fri] }
`),
    ).toMatch(/bandwidth\.schedule\[1\]: overlaps schedule window 1/);
    expect(
      problem(`bandwidth:
  schedule:
    - { from: "23:00", to: "02:00", days: [sun] }
    - { from: "01:00", to: "03:00", days: [mon] }
`),
    ).toMatch(/schedule\[1\]: overlaps schedule window 1/);
    // Touching windows do not overlap.
    expect(
      load(`bandwidth:
  schedule:
    - { from: "09:00", to: "18:00" }
    - { from: "18:00", to: "09:00" }
`).bandwidth.schedule,
    ).toHaveLength(2);
  });

  it('refuses bad times and empty windows', () => {
    expect(problem('bandwidth: { schedule: [{ from: "25:00", to: "06:00" }] }')).toMatch(/from: expected a 24-hour time/);
    expect(problem('bandwidth: { schedule: [{ from: "9am", to: "06:00" }] }')).toMatch(/from: expected a 24-hour time/);
    expect(problem('bandwidth: { schedule: [{ from: "06:00", to: "06:00" }] }')).toMatch(/to: from and to are the same time/);
    expect(problem('bandwidth: { schedule: [{ from: "06:00", to: "07:00", days: [monday] }] }')).toMatch(/expected a day name/);
  });

  it('reads feed share and weight and refuses nonsense', () => {
    const p = parsePolicyText(BASE.replace('"http://feeds.test/a.csv" }', '"http://feeds.test/a.csv", share: 0.25, weight: 3 }'), 'p.yaml');
    expect(p.feeds[0]).toMatchObject({ share: 0.25, weight: 3 });
    expect(load('').feeds[0]?.weight).toBe(1);
    const bad = (s: string): string => {
      try {
        parsePolicyText(BASE.replace('"http://feeds.test/a.csv" }', `"http://feeds.test/a.csv", ${s} }`), 'p.yaml');
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    };
    expect(bad('share: 0')).toMatch(/feeds\[0\]\.share: must be more than 0/);
    expect(bad('share: 1.5')).toMatch(/feeds\[0\]\.share: must be at most 1/);
    expect(bad('weight: 0')).toMatch(/feeds\[0\]\.weight: must be more than 0/);
  });

  it('reads storage pins and limits.maxEvictFraction', () => {
    const hash = 'AB'.repeat(20);
    const p = load(`limits: { maxEvictFraction: 0.1 }\n`);
    expect(p.limits.maxEvictFraction).toBe(0.1);
    expect(load('').limits.maxEvictFraction).toBe(0.5);
    const pinned = parsePolicyText(BASE.replace('maxBytes: 1 TB }', `maxBytes: 1 TB, pins: ["${hash}"] }`), 'p.yaml');
    expect(pinned.storage.pins).toEqual(['ab'.repeat(20)]);
  });
});

describe('schedule geometry', () => {
  it('parses clock times', () => {
    expect(parseClock('00:00')).toBe(0);
    expect(parseClock('9:30')).toBe(570);
    expect(parseClock('24:00')).toBe(1440);
    expect(parseClock('24:01')).toBeNull();
    expect(parseClock('12:60')).toBeNull();
  });

  it('wraps a Sunday night window into Monday morning', () => {
    expect(weekRanges({ days: ['sun'], from: 1380, to: 120 })).toEqual([
      [6 * 1440 + 1380, 7 * 1440],
      [0, 120],
    ]);
    expect(
      overlappingWindows([
        { days: ['sun'], from: 1380, to: 120 },
        { days: ['mon'], from: 60, to: 90 },
      ]),
    ).toEqual([[0, 1]]);
  });
});
