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

/** One row as byte ranges into the splitter's buffer: read it inside the callback, never keep it. */
export interface CsvRowView {
  readonly line: number;
  readonly fieldCount: number;
  /** Field `i` decoded, or undefined past the last field. */
  field(i: number): string | undefined;
}

type Utf8Decoder = { decode(bytes: Uint8Array): string };

const QUOTE = 0x22;
const COMMA = 0x2c;
const CR = 0x0d;
const LF = 0x0a;

/**
 * RFC 4180 over bytes, chunk by chunk: fields separated by commas, rows by CRLF or LF, fields
 * optionally quoted with `"`, a doubled `""` inside quotes is one quote, and quoted fields may
 * hold commas and line breaks. A quote inside an unquoted field is kept literally. Blank lines
 * are skipped. A leading UTF-8 BOM is ignored.
 *
 * Memory: only the row being read is buffered (a row cut by a chunk boundary is carried over),
 * and a field becomes a string only when asked for, decoded from its own bytes: no copy of the
 * whole text ever exists, and no kept string pins a larger one. The structural bytes are ASCII,
 * so this holds for UTF-8 and every ASCII-compatible charset.
 */
export class CsvSplitter {
  private buf = new Uint8Array(64 * 1024);
  private len = 0;
  private pos = 0;
  private rowStart = 0;
  private fieldStart = 0;
  /** start, end, quoted (0/1) of each finished field of the current row. */
  private bounds: number[] = [];
  private inQuotes = false;
  private quoted = false;
  private fieldStarted = false;
  private rowStarted = false;
  private line = 1;
  private rowLine = 1;
  private bomChecked = false;
  private readonly view: CsvRowView;

  constructor(
    private readonly onRow: (row: CsvRowView) => void,
    private readonly decoder: Utf8Decoder = new TextDecoder(),
  ) {
    const self = this;
    this.view = {
      get line() {
        return self.rowLine;
      },
      get fieldCount() {
        return self.bounds.length / 3;
      },
      field: (i) => self.fieldText(i),
    };
  }

  push(chunk: Uint8Array): void {
    this.append(chunk);
    this.scan(false);
  }

  /** Flushes the last row; returns it when it ends inside a quoted field (the text was cut). */
  end(): CsvRow | null {
    this.scan(true);
    if (this.inQuotes) {
      this.bounds.push(this.fieldStart, this.len, 1);
      const fields = Array.from({ length: this.bounds.length / 3 }, (_, i) => this.fieldText(i) ?? '');
      // The open quote has no closing one: the field is everything after it.
      const last = this.bounds.length / 3 - 1;
      fields[last] = this.decoder.decode(this.buf.subarray(this.fieldStart + 1, this.len)).replace(/""/g, '"');
      return { line: this.rowLine, fields };
    }
    if (this.rowStarted || this.fieldStarted) this.endRow(this.len);
    return null;
  }

  private append(chunk: Uint8Array): void {
    if (this.rowStart > 0 && (this.rowStart >= this.buf.length / 2 || this.len + chunk.length > this.buf.length)) {
      // Drop the rows already read; what is left is the row in progress.
      const shift = this.rowStart;
      this.buf.copyWithin(0, shift, this.len);
      this.len -= shift;
      this.pos -= shift;
      this.fieldStart -= shift;
      for (let i = 0; i < this.bounds.length; i += 3) {
        this.bounds[i]! -= shift;
        this.bounds[i + 1]! -= shift;
      }
      this.rowStart = 0;
    }
    if (this.len + chunk.length > this.buf.length) {
      const grown = new Uint8Array(Math.max(this.buf.length * 2, this.len + chunk.length));
      grown.set(this.buf.subarray(0, this.len));
      this.buf = grown;
    }
    this.buf.set(chunk, this.len);
    this.len += chunk.length;
  }

  private scan(final: boolean): void {
    const buf = this.buf;
    const len = this.len;
    if (!this.bomChecked) {
      if (len < 3 && !final) return;
      this.bomChecked = true;
      if (len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) this.pos = this.rowStart = this.fieldStart = 3;
    }
    let i = this.pos;
    while (i < len) {
      const b = buf[i]!;
      if (this.inQuotes) {
        if (b === QUOTE) {
          if (i + 1 === len && !final) break; // is it "" or the closing quote? wait for the next byte
          if (buf[i + 1] === QUOTE) {
            i += 2;
            continue;
          }
          this.inQuotes = false;
        } else if (b === LF) {
          this.line++;
        }
        i++;
        continue;
      }
      if (b === QUOTE && !this.fieldStarted) {
        this.inQuotes = true;
        this.quoted = true;
        this.fieldStarted = true;
      } else if (b === COMMA) {
        this.bounds.push(this.fieldStart, i, this.quoted ? 1 : 0);
        this.fieldStart = i + 1;
        this.fieldStarted = false;
        this.quoted = false;
        this.rowStarted = true;
      } else if (b === CR) {
        if (i + 1 === len && !final) break;
        if (buf[i + 1] === LF) {
          this.endRow(i);
          i += 2;
          this.nextRow(i);
          continue;
        }
        this.fieldStarted = true;
      } else if (b === LF) {
        this.endRow(i);
        i++;
        this.nextRow(i);
        continue;
      } else {
        this.fieldStarted = true;
      }
      i++;
    }
    this.pos = i;
  }

  private endRow(end: number): void {
    this.bounds.push(this.fieldStart, end, this.quoted ? 1 : 0);
    if (this.rowStarted || this.fieldStarted) this.onRow(this.view);
    this.bounds = [];
    this.fieldStarted = false;
    this.rowStarted = false;
    this.quoted = false;
  }

  private nextRow(at: number): void {
    this.line++;
    this.rowLine = this.line;
    this.rowStart = at;
    this.fieldStart = at;
  }

  private fieldText(i: number): string | undefined {
    if (i < 0 || 3 * i >= this.bounds.length) return undefined;
    const start = this.bounds[3 * i]!;
    const end = this.bounds[3 * i + 1]!;
    if (this.bounds[3 * i + 2] === 0) return this.decoder.decode(this.buf.subarray(start, end));
    return unquote(this.decoder.decode(this.buf.subarray(start + 1, end)));
  }
}

/** A quoted field's text after its opening quote: `""` is a quote, the closing quote goes, the rest stays. */
function unquote(raw: string): string {
  const first = raw.indexOf('"');
  if (first === raw.length - 1) return raw.slice(0, first);
  let out = raw.slice(0, Math.max(0, first));
  let inQuotes = true;
  for (let i = Math.max(0, first); i < raw.length; i++) {
    const ch = raw[i];
    if (inQuotes && ch === '"') {
      if (raw[i + 1] === '"') {
        out += '"';
        i++;
      } else {
        inQuotes = false;
      }
      continue;
    }
    out += ch;
  }
  return out;
}

/** Whole-text RFC 4180 (see CsvSplitter): every row, and a last row cut inside quotes apart. */
export function parseCsv(text: string): CsvParseResult {
  const rows: CsvRow[] = [];
  const splitter = new CsvSplitter((row) => {
    rows.push({ line: row.line, fields: Array.from({ length: row.fieldCount }, (_, i) => row.field(i) ?? '') });
  });
  splitter.push(new TextEncoder().encode(text));
  return { rows, unterminated: splitter.end() };
}

const AT_COLUMNS = [
  'TYPE',
  'NAME',
  'INFOHASH',
  'SIZEBYTES',
  'MIRRORS',
  'DOWNLOADERS',
  'TIMESCOMPLETED',
  'DATEADDED',
  'DATEMODIFIED',
] as const;
type AtColumn = (typeof AT_COLUMNS)[number];

/**
 * Academic Torrents collection CSV (`/collection/<urlname>.csv`). MIRRORS ~ seeders,
 * DOWNLOADERS ~ leechers, TIMESCOMPLETED ~ completed; dates are unix seconds. The file has no
 * scrape time, so counts are stamped `nowMs`. The .torrent is `<origin>/download/<hash>.torrent`.
 */
export function parseAtCollectionCsv(text: string, options: ParseFeedOptions): ParsedFeed {
  const parser = createAtCsvParser(options);
  parser.push(new TextEncoder().encode(text));
  return parser.end();
}

/**
 * The same, chunk by chunk: rows become items as they arrive, so memory holds the items and one
 * row, never the file. `decoder` reads the feed's charset (UTF-8 by default).
 */
export function createAtCsvParser(options: ParseFeedOptions, decoder?: Utf8Decoder): { push(bytes: Uint8Array): void; end(): ParsedFeed } {
  const collector = new FeedItemCollector('at-csv', options.feedId, options.feedUrl, options.maxItems);
  let headerCount = -1;
  const column = new Map<AtColumn, number>();
  let index = 0;
  const onRow = (row: CsvRowView): void => {
    if (headerCount < 0) {
      const fields = Array.from({ length: row.fieldCount }, (_, i) => row.field(i) ?? '');
      readHeader(fields, column, options);
      headerCount = fields.length;
      return;
    }
    const at = index++;
    const get = (name: AtColumn): string | undefined => {
      const i = column.get(name);
      return i === undefined ? undefined : row.field(i);
    };
    if (row.fieldCount < headerCount) {
      collector.warn(at, `item ${at} (line ${row.line}): dropped, it has ${row.fieldCount} of ${headerCount} columns (truncated row?)`);
      return;
    }
    const infoHash = get('INFOHASH');
    const added = get('DATEADDED');
    collector.add(at, {
      infoHash,
      infoHashSources: [],
      name: get('NAME'),
      size: get('SIZEBYTES'),
      category: get('TYPE'),
      // Root-relative: the collector resolves it against the feed URL's origin.
      torrentUrl: infoHash === undefined ? null : `/download/${encodeURIComponent(infoHash.trim().toLowerCase())}.torrent`,
      magnetUri: null,
      trackers: [],
      counts: { seeders: get('MIRRORS'), leechers: get('DOWNLOADERS'), completed: get('TIMESCOMPLETED'), observedAtMs: options.nowMs },
      publishedAtMs: added !== undefined && /^\d+$/.test(added.trim()) ? Number(added) * 1000 : null,
    });
  };
  const splitter = new CsvSplitter(onRow, decoder);
  return {
    push: (bytes) => splitter.push(bytes),
    end: () => {
      const unterminated = splitter.end();
      if (headerCount < 0) {
        throw new SmartnodeError('FEED_PARSE', `feed ${options.feedId}: the collection CSV is empty`, {
          hint: 'check that the URL is an Academic Torrents collection CSV (/collection/<name>.csv)',
        });
      }
      if (unterminated !== null) {
        collector.warn(index, `line ${unterminated.line}: dropped the last row, it ends inside a quoted field (the file looks truncated)`);
      }
      return collector.result();
    },
  };
}

function readHeader(fields: string[], column: Map<AtColumn, number>, options: ParseFeedOptions): void {
  const names = fields.map((f) => f.trim().toUpperCase());
  for (const name of AT_COLUMNS) {
    const at = names.indexOf(name);
    if (at >= 0) column.set(name, at);
  }
  const missing = (['NAME', 'INFOHASH'] as const).filter((c) => !column.has(c));
  if (missing.length > 0) {
    throw new SmartnodeError(
      'FEED_PARSE',
      `feed ${options.feedId}: the CSV header ${JSON.stringify(fields.join(',').slice(0, 200))} lacks ${missing.join(' and ')}`,
      {
        hint: `expected the Academic Torrents header ${AT_COLUMNS.join(',')}`,
      },
    );
  }
}
