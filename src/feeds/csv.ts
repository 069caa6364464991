/**
 * RFC 4180 CSV and the Academic Torrents collection CSV on top of it. Pure.
 *
 * Own parser rather than a package: the format is small, and we need one behaviour no
 * general parser gives us - a row cut off mid-way (truncated download, unterminated quote)
 * is reported as broken so the caller drops it and keeps every complete row.
 */
import { SmartnodeError } from '../shared/index.js';
import { FeedItemCollector } from './item.js';
import type { ParsedFeed, ParseFeedOptions } from './types.js';

export interface CsvRow {
  /** 1-based line of the row's first character, for messages. */
  line: number;
  fields: string[];
}

export interface CsvParseResult {
  rows: CsvRow[];
  /** A last row that ended inside a quoted field (the text was cut off), if any. */
  unterminated: CsvRow | null;
}

/**
 * Splits RFC 4180 text into rows: fields separated by commas, rows by CRLF or LF, fields
 * optionally quoted with `"`, a doubled `""` inside quotes is one quote, and quoted fields
 * may hold commas and line breaks. A quote inside an unquoted field is kept literally.
 * Blank lines are skipped. A leading UTF-8 BOM is ignored.
 */
export function parseCsv(text: string): CsvParseResult {
  const rows: CsvRow[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let fieldStarted = false; // the current field has content or was quoted
  let rowStarted = false; // the current row has at least one character
  let line = 1;
  let rowLine = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const endRow = (): void => {
    fields.push(field);
    if (rowStarted || fieldStarted) rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    fieldStarted = false;
    rowStarted = false;
  };
  while (i < text.length) {
    const ch = text[i];
    if (inQuotes) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      i++;
      continue;
    }
    if (ch === '"' && field === '' && !fieldStarted) {
      inQuotes = true;
      fieldStarted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      fieldStarted = false;
      rowStarted = true;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      endRow();
      i++;
      line++;
      rowLine = line;
    } else if (ch === '\n') {
      endRow();
      line++;
      rowLine = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
    i++;
  }
  if (inQuotes) {
    fields.push(field);
    return { rows, unterminated: { line: rowLine, fields } };
  }
  if (rowStarted || fieldStarted) endRow();
  return { rows, unterminated: null };
}

const AT_COLUMNS = [
  'TYPE', 'NAME', 'INFOHASH', 'SIZEBYTES', 'MIRRORS', 'DOWNLOADERS', 'TIMESCOMPLETED', 'DATEADDED', 'DATEMODIFIED',
] as const;
type AtColumn = (typeof AT_COLUMNS)[number];

/**
 * Academic Torrents collection CSV (`/collection/<urlname>.csv`). MIRRORS ~ seeders,
 * DOWNLOADERS ~ leechers, TIMESCOMPLETED ~ completed; dates are unix seconds. The file has no
 * scrape time, so counts are stamped `nowMs`. The .torrent is `<origin>/download/<hash>.torrent`.
 */
export function parseAtCollectionCsv(text: string, options: ParseFeedOptions): ParsedFeed {
  const collector = new FeedItemCollector('at-csv', options.feedId, options.feedUrl);
  const { rows, unterminated } = parseCsv(text);
  const header = rows[0];
  if (header === undefined) {
    throw new SmartnodeError('FEED_PARSE', `feed ${options.feedId}: the collection CSV is empty`, {
      hint: 'check that the URL is an Academic Torrents collection CSV (/collection/<name>.csv)',
    });
  }
  const names = header.fields.map((f) => f.trim().toUpperCase());
  const column = new Map<AtColumn, number>();
  for (const name of AT_COLUMNS) {
    const at = names.indexOf(name);
    if (at >= 0) column.set(name, at);
  }
  const missing = (['NAME', 'INFOHASH'] as const).filter((c) => !column.has(c));
  if (missing.length > 0) {
    throw new SmartnodeError('FEED_PARSE', `feed ${options.feedId}: the CSV header ${JSON.stringify(header.fields.join(',').slice(0, 200))} lacks ${missing.join(' and ')}`, {
      hint: `expected the Academic Torrents header ${AT_COLUMNS.join(',')}`,
    });
  }
  rows.slice(1).forEach((row, i) => {
    const index = i;
    const get = (name: AtColumn): string | undefined => {
      const at = column.get(name);
      return at === undefined ? undefined : row.fields[at];
    };
    if (row.fields.length < header.fields.length) {
      collector.warn(index, `item ${index} (line ${row.line}): dropped, it has ${row.fields.length} of ${header.fields.length} columns (truncated row?)`);
      return;
    }
    const infoHash = get('INFOHASH');
    const added = get('DATEADDED');
    collector.add(index, {
      infoHash,
      infoHashSources: [],
      name: get('NAME'),
      size: get('SIZEBYTES'),
      // Root-relative: the collector resolves it against the feed URL's origin.
      torrentUrl: infoHash === undefined ? null : `/download/${encodeURIComponent(infoHash.trim().toLowerCase())}.torrent`,
      magnetUri: null,
      trackers: [],
      counts: { seeders: get('MIRRORS'), leechers: get('DOWNLOADERS'), completed: get('TIMESCOMPLETED'), observedAtMs: options.nowMs },
      publishedAtMs: added !== undefined && /^\d+$/.test(added.trim()) ? Number(added) * 1000 : null,
    });
  });
  if (unterminated !== null) {
    collector.warn(rows.length - 1, `line ${unterminated.line}: dropped the last row, it ends inside a quoted field (the file looks truncated)`);
  }
  return collector.result();
}
