import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SmartnodeError, toInfoHash } from '../shared/index.js';
import { parseTorrentFile, verifyTorrentForItem } from './torrent.js';
import { aTorrentFile, encodeBencode, expectedInfoHash, type BInput, type TorrentSpec } from './testing.js';

function invalidReason(input: Uint8Array, options = {}): string {
  try {
    parseTorrentFile(input, options);
  } catch (error) {
    expect(error).toBeInstanceOf(SmartnodeError);
    expect((error as SmartnodeError).code).toBe('TORRENT_INVALID');
    return (error as SmartnodeError).message;
  }
  throw new Error('expected TORRENT_INVALID');
}

describe('parseTorrentFile on built torrents', () => {
  it('reads a single-file torrent', () => {
    const spec: TorrentSpec = { name: 'cifar.tar', length: 40000, pieceLength: 16384, announce: 'http://t.example/announce' };
    const meta = parseTorrentFile(aTorrentFile(spec));
    expect(meta).toEqual({
      infoHash: expectedInfoHash(spec),
      name: 'cifar.tar',
      totalSizeBytes: 40000,
      files: [{ path: ['cifar.tar'], lengthBytes: 40000 }],
      pieceLengthBytes: 16384,
      pieceCount: 3,
      trackers: ['http://t.example/announce'],
      webSeeds: [],
      isPrivate: false,
      createdAtMs: null,
    });
  });

  it('reads web seeds: BEP 19 url-list (one URL or a list) and BEP 17 httpseeds, http(s) only', () => {
    const info = { name: 'a', length: 5, 'piece length': 16384, pieces: new Uint8Array(20) };
    const one = parseTorrentFile(encodeBencode({ info, 'url-list': 'https://mirror.example/a' }));
    expect(one.webSeeds).toEqual(['https://mirror.example/a']);
    const many = parseTorrentFile(
      encodeBencode({
        info,
        'url-list': ['http://m1.example/', 'ftp://m2.example/', 'http://m1.example/'],
        httpseeds: ['http://seed.example/s'],
      }),
    );
    expect(many.webSeeds).toEqual(['http://m1.example/', 'http://seed.example/s']);
  });

  it('reads a multi-file private torrent with an announce-list, trackers deduplicated in order', () => {
    const spec: TorrentSpec = {
      name: 'ds',
      files: [
        { path: ['a', 'x.bin'], length: 10 },
        { path: ['b.txt'], length: 20 },
      ],
      isPrivate: true,
      announce: 'http://one/announce',
      announceList: [
        ['http://one/announce', 'udp://two:1337'],
        ['https://three/announce', 'garbage'],
      ],
    };
    const meta = parseTorrentFile(aTorrentFile(spec));
    expect(meta.infoHash).toBe(expectedInfoHash(spec));
    expect(meta.files).toEqual([
      { path: ['a', 'x.bin'], lengthBytes: 10 },
      { path: ['b.txt'], lengthBytes: 20 },
    ]);
    expect(meta.totalSizeBytes).toBe(30);
    expect(meta.isPrivate).toBe(true);
    expect(meta.trackers).toEqual(['http://one/announce', 'udp://two:1337', 'https://three/announce']);
  });

  it('hashes the raw info bytes, even when its keys are not sorted', () => {
    const info: Record<string, BInput> = { pieces: new Uint8Array(20), name: 'u', 'piece length': 16384, length: 5 };
    const rawInfo = encodeBencode(info, { unsorted: true });
    const file = encodeBencode({ announce: 'http://x/a', info: 'PLACEHOLDER' });
    const text = new TextDecoder('latin1').decode(file).replace('11:PLACEHOLDER', new TextDecoder('latin1').decode(rawInfo));
    const bytes = Uint8Array.from(text, (c) => c.charCodeAt(0));
    expect(parseTorrentFile(bytes).infoHash).toBe(createHash('sha1').update(rawInfo).digest('hex'));
    expect(parseTorrentFile(bytes).infoHash).not.toBe(expectedInfoHash({ name: 'u', length: 5 }));
  });
});

describe('parseTorrentFile refuses hostile files', () => {
  const cases: Array<[string, Uint8Array, RegExp]> = [
    ['a bencode bomb', new TextEncoder().encode(`d4:info${'l'.repeat(5000)}${'e'.repeat(5000)}e`), /nested deeper than 32/],
    ['damaged bencode', new TextEncoder().encode('d4:infoi03ee'), /not valid bencode at byte 8: integer 03 has a leading zero/],
    ['a huge declared string', new TextEncoder().encode('d4:info99999999999:xe'), /declares 99999999999 bytes but only 2 remain/],
    ['a non-dict top level', encodeBencode([1, 2]), /top level is not a dictionary/],
    ['no info', encodeBencode({ announce: 'x' }), /no info dictionary/],
    [
      'a negative file length',
      aTorrentFile({ files: [{ path: ['a'], length: -5 }], pieces: new Uint8Array(20) }),
      /info.files\[0\].length is negative/,
    ],
    ['an absurd file length', aTorrentFile({ length: 1, infoExtra: { length: 2n ** 60n } }), /absurdly large/],
    [
      'lengths that overflow when summed',
      aTorrentFile({
        files: [
          { path: ['a'], length: 2 ** 52 },
          { path: ['b'], length: 2 ** 52 },
          { path: ['c'], length: 2 ** 52 },
        ],
        pieceLength: 2 ** 30,
      }),
      /add up to more than 2\^53/,
    ],
    ['a .. segment', aTorrentFile({ files: [{ path: ['..', 'etc', 'passwd'], length: 5 }] }), /path\[0\] is "\.\.", a path traversal/],
    ['an absolute path', aTorrentFile({ files: [{ path: ['/etc/passwd'], length: 5 }] }), /contains a path separator/],
    ['an empty segment', aTorrentFile({ files: [{ path: ['a', ''], length: 5 }] }), /path\[1\] is an empty path segment/],
    ['a NUL in a segment', aTorrentFile({ files: [{ path: ['a\0b'], length: 5 }] }), /contains a NUL byte/],
    ['a slash inside a segment', aTorrentFile({ files: [{ path: ['a/b'], length: 5 }] }), /path separator/],
    ['a traversal in the name', aTorrentFile({ name: '..', length: 5 }), /info.name is "\.\.", a path traversal/],
    ['an empty path list', aTorrentFile({ files: [{ path: [], length: 5 }] }), /path is missing or empty/],
    [
      'duplicate paths',
      aTorrentFile({
        files: [
          { path: ['a'], length: 5 },
          { path: ['a'], length: 5 },
        ],
      }),
      /path "a" appears twice/,
    ],
    ['missing pieces', aTorrentFile({ infoExtra: { pieces: 5 } }), /info.pieces is missing or not a byte string/],
    ['missing piece length', encodeBencode({ info: { name: 'a', length: 5, pieces: new Uint8Array(20) } }), /piece length"\] is missing/],
    ['a zero piece length', aTorrentFile({ infoExtra: { 'piece length': 0 } }), /piece length 0 is outside/],
    ['pieces not a multiple of 20', aTorrentFile({ pieces: new Uint8Array(25) }), /25 bytes, not a positive multiple of 20/],
    [
      'a piece count that does not match the size',
      aTorrentFile({ length: 100_000, pieces: new Uint8Array(40) }),
      /2 piece hashes for 100000 bytes/,
    ],
    ['both length and files', aTorrentFile({ infoExtra: { files: [{ length: 1, path: ['a'] }] } }), /both length .* and files/],
    [
      'neither length nor files',
      encodeBencode({ info: { name: 'a', 'piece length': 16384, pieces: new Uint8Array(20) } }),
      /neither length nor files/,
    ],
    ['no data at all', aTorrentFile({ length: 0 }), /holds no data/],
  ];
  it.each(cases)('refuses %s', (_label, input, expected) => {
    expect(invalidReason(input)).toMatch(expected);
  });

  it('never throws anything but TORRENT_INVALID on random or damaged files', () => {
    const alphabet = fc.constantFrom(...new TextEncoder().encode('dlie0123456789:-x'));
    const torrent = aTorrentFile({
      files: [
        { path: ['a', 'b'], length: 5 },
        { path: ['c'], length: 70000 },
      ],
    });
    const inputs = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.array(alphabet, { maxLength: 300 }).map((a) => Uint8Array.from(a)),
      // a valid torrent with a few bytes changed or cut
      fc
        .tuple(fc.array(fc.tuple(fc.nat(torrent.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), fc.nat(torrent.length))
        .map(([edits, cut]) => {
          const copy = torrent.slice(0, Math.max(1, cut));
          for (const [at, value] of edits) if (at < copy.length) copy[at] = value;
          return copy;
        }),
    );
    fc.assert(
      fc.property(inputs, (input) => {
        try {
          parseTorrentFile(input);
        } catch (error) {
          if (!(error instanceof SmartnodeError) || error.code !== 'TORRENT_INVALID') throw error;
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses more files than maxFiles', () => {
    const files = Array.from({ length: 11 }, (_, i) => ({ path: [`f${i}`], length: 1 }));
    expect(invalidReason(aTorrentFile({ files }), { maxFiles: 10 })).toMatch(/lists 11 files, more than the limit of 10/);
    expect(parseTorrentFile(aTorrentFile({ files }), { maxFiles: 11 }).files).toHaveLength(11);
  });
});

describe('verifyTorrentForItem', () => {
  it('names both hashes on a mismatch', () => {
    const meta = parseTorrentFile(aTorrentFile({ name: 'ds' }));
    expect(() => verifyTorrentForItem(meta, meta.infoHash)).not.toThrow();
    const other = toInfoHash('f'.repeat(40));
    try {
      verifyTorrentForItem(meta, other);
      throw new Error('expected a mismatch');
    } catch (error) {
      expect(error).toMatchObject({ code: 'TORRENT_HASH_MISMATCH', details: { expected: other, actual: meta.infoHash } });
      expect((error as Error).message).toContain(other);
      expect((error as Error).message).toContain(meta.infoHash);
    }
  });
});

describe('parseTorrentFile on a torrent made by transmission-create', () => {
  const dir = mkdtempSync(join(tmpdir(), 'smartnode-torrent-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('agrees with transmission-show on hash, files, size, pieces, trackers and privacy', () => {
    const data = join(dir, 'dataset');
    mkdirSync(join(data, 'sub'), { recursive: true });
    writeFileSync(join(data, 'a.bin'), Buffer.alloc(100_000, 7));
    writeFileSync(join(data, 'sub', 'b.txt'), 'hello\n');
    const out = join(dir, 'dataset.torrent');
    // Fails (not skips) with the spawn error if the tools are missing: run `npm run setup`.
    execFileSync(
      'transmission-create',
      ['-o', out, '-p', '-s', '32', '-t', 'http://127.0.0.1:6969/announce', '-t', 'udp://127.0.0.1:6970', data],
      { stdio: 'pipe' },
    );
    const shown = execFileSync('transmission-show', [out], { encoding: 'utf8' });
    const meta = parseTorrentFile(readFileSync(out));
    expect(meta.infoHash).toBe(/Hash: ([0-9a-f]{40})/.exec(shown)?.[1]);
    expect(meta.name).toBe('dataset');
    expect(meta.pieceCount).toBe(Number(/Piece Count: (\d+)/.exec(shown)?.[1]));
    expect(meta.pieceLengthBytes).toBe(32 * 1024);
    expect(meta.totalSizeBytes).toBe(100_006);
    expect(meta.files).toEqual([
      { path: ['a.bin'], lengthBytes: 100_000 },
      { path: ['sub', 'b.txt'], lengthBytes: 6 },
    ]);
    expect(meta.trackers).toEqual(['http://127.0.0.1:6969/announce', 'udp://127.0.0.1:6970']);
    expect(meta.isPrivate).toBe(shown.includes('Private torrent'));
    expect(meta.isPrivate).toBe(true);
  });
});
