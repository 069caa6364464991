import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmartnodeError } from '../shared/index.js';
import { CsvSplitter, parseAtCollectionCsv, parseCsv } from './csv.js';

const NOW = Date.UTC(2024, 2, 10);
const opts = { format: 'at-csv' as const, feedId: 'at-cifar', feedUrl: 'https://academictorrents.com/collection/vision.csv', nowMs: NOW };
const fixture = readFileSync(new URL('../../test/fixtures/feeds/at-collection.csv', import.meta.url), 'utf8');
const HEADER = 'TYPE,NAME,INFOHASH,SIZEBYTES,MIRRORS,DOWNLOADERS,TIMESCOMPLETED,DATEADDED,DATEMODIFIED';

describe('parseCsv (RFC 4180)', () => {
  it('handles quoted commas, doubled quotes, line breaks inside quotes and CRLF', () => {
    const { rows, unterminated } = parseCsv('a,"b,c","say ""hi"""\r\n"multi\nline",,x\r\n\r\nlast,row');
    expect(unterminated).toBeNull();
    expect(rows.map((r) => r.fields)).toEqual([
      ['a', 'b,c', 'say "hi"'],
      ['multi\nline', '', 'x'],
      ['last', 'row'],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 5]);
  });

  it('reports a last row cut inside a quoted field', () => {
    const { rows, unterminated } = parseCsv('a,b\n1,"unfinished');
    expect(rows.map((r) => r.fields)).toEqual([['a', 'b']]);
    expect(unterminated).toEqual({ line: 2, fields: ['1', 'unfinished'] });
  });

  it('round-trips any table written the RFC 4180 way', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', 'b', ',', '"', '\n', '\r\n', ' ', 'é') });
    fc.assert(
      fc.property(fc.array(fc.array(cell, { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 6 }), (table) => {
        const quote = (v: string): string => `"${v.replace(/"/g, '""')}"`;
        const text = table.map((row) => row.map(quote).join(',')).join('\r\n');
        const { rows, unterminated } = parseCsv(text);
        expect(unterminated).toBeNull();
        expect(rows.map((r) => r.fields)).toEqual(table);
      }),
    );
  });
});

describe('CsvSplitter: chunk by chunk', () => {
  it('reads the same rows whatever the chunk boundaries, multi-byte characters included', () => {
    const cell = fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r\n', 'é', '漢') });
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }),
        (table, cuts) => {
          const text = `\uFEFF${table.map((row) => row.map((v) => `"${v.replace(/"/g, '""')}"`).join(',')).join('\n')}\n`;
          const bytes = new TextEncoder().encode(text);
          const rows: string[][] = [];
          const splitter = new CsvSplitter((row) => rows.push(Array.from({ length: row.fieldCount }, (_, i) => row.field(i) ?? '')));
          let at = 0;
          for (let c = 0; at < bytes.length; c++) {
            const size = cuts[c % cuts.length] ?? 1;
            splitter.push(bytes.subarray(at, at + size));
            at += size;
          }
          expect(splitter.end()).toBeNull();
          expect(rows).toEqual(parseCsv(text).rows.map((r) => r.fields));
          expect(rows).toEqual(table);
        },
      ),
    );
  });
});

describe('parseAtCollectionCsv', () => {
  it('turns MIRRORS/DOWNLOADERS/TIMESCOMPLETED into feed counts stamped now', () => {
    const feed = parseAtCollectionCsv(fixture, opts);
    expect(feed.warnings).toEqual([]);
    expect(feed.items.map((i) => i.name)).toEqual([
      'CIFAR-10 (python version)',
      'Common Crawl, subset "news" 2019',
      'NeurIPS 2019 proceedings',
      'Stanford CS231n, 2017 lectures video + slides',
    ]);
    const first = feed.items[0];
    expect(first?.sizeBytes).toBe(170498071);
    expect(first?.counts).toEqual({ seeders: 41, leechers: 2, completed: 5120, source: 'feed', observedAtMs: NOW, origin: 'at-cifar' });
    expect(first?.publishedAtMs).toBe(1461628800_000);
    expect(first?.torrentUrl).toBe(`https://academictorrents.com/download/${first?.infoHash}.torrent`);
  });

  it('drops a truncated last row with a warning and keeps the rest', () => {
    const cutMidRow = fixture.slice(0, fixture.indexOf('NeurIPS') + 30);
    const feed = parseAtCollectionCsv(cutMidRow, opts);
    expect(feed.items).toHaveLength(2);
    expect(feed.warnings).toEqual([{ index: 2, message: expect.stringMatching(/item 2 \(line 4\): dropped, it has 3 of 9 columns/) }]);

    const cutInQuote = fixture.slice(0, fixture.indexOf('Stanford') + 10);
    const feed2 = parseAtCollectionCsv(cutInQuote, opts);
    expect(feed2.items).toHaveLength(3);
    expect(feed2.warnings).toEqual([
      { index: 3, message: expect.stringMatching(/line 5: dropped the last row, it ends inside a quoted field/) },
    ]);
  });

  it('drops rows with a bad hash or negative counts-free size, and ignores broken counts', () => {
    const text = [
      HEADER,
      'Dataset,bad hash,xyz,10,1,1,1,1,1',
      `Dataset,neg,${'a'.repeat(40)},-10,1,1,1,1,1`,
      `Dataset,weird counts,${'b'.repeat(40)},10,lots,1,1,1,1`,
    ].join('\n');
    const feed = parseAtCollectionCsv(text, opts);
    expect(feed.items.map((i) => i.name)).toEqual(['weird counts']);
    expect(feed.items[0]?.counts).toBeNull();
    expect(feed.warnings.map((w) => w.index)).toEqual([0, 1, 2]);
    expect(feed.warnings[2]?.message).toContain('ignored its swarm counts (seeders "lots"');
  });

  it('refuses a file that is not a collection CSV', () => {
    expect(() => parseAtCollectionCsv('', opts)).toThrow(SmartnodeError);
    expect(() => parseAtCollectionCsv('NAME,URLNAME,TORRENTCOUNT,TOTALSIZE\nx,y,1,2', opts)).toThrow(/lacks INFOHASH/);
  });
});
