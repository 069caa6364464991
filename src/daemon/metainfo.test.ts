import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeBencode, encodeBencode, isBDict } from '../shared/index.js';
import { buildMetainfo, MAX_METAINFO_BYTES, readMetainfoSummary } from './metainfo.js';

describe('metainfo', () => {
  it('hashes the info value byte for byte, and reads name, size and trackers', () => {
    const data = randomBytes(40_000);
    const built = buildMetainfo({ name: 'set.bin', data, pieceLengthBytes: 16_384, announce: 'http://127.0.0.1:1/a' });
    const summary = readMetainfoSummary(built.metainfo);
    expect(summary).toEqual({ infoHash: built.infoHash, name: 'set.bin', sizeBytes: 40_000, announceUrls: ['http://127.0.0.1:1/a'] });
    const info = encodeBencode({ length: 40_000, name: 'set.bin', 'piece length': 16_384, pieces: decodePieces(built.metainfo) });
    expect(summary.infoHash).toBe(createHash('sha1').update(info).digest('hex'));
  });

  it('sums multi-file torrents and prefers announce-list', () => {
    const bytes = encodeBencode({
      announce: 'http://a/1',
      'announce-list': [['http://b/1', 'http://b/2'], ['http://c/1']],
      info: {
        name: 'dir',
        'piece length': 16384,
        pieces: new Uint8Array(20),
        files: [
          { length: 3, path: ['x'] },
          { length: 4, path: ['y'] },
        ],
      },
    });
    expect(readMetainfoSummary(bytes)).toMatchObject({
      name: 'dir',
      sizeBytes: 7,
      announceUrls: ['http://b/1', 'http://b/2', 'http://c/1'],
    });
  });

  it('says what is missing', () => {
    expect(() => readMetainfoSummary(encodeBencode({ announce: 'x' }))).toThrow(/no info dictionary/);
    expect(() => readMetainfoSummary(encodeBencode({ info: { name: 'n' } }))).toThrow(/neither length nor files/);
    expect(() => readMetainfoSummary(encodeBencode({ info: 3 }))).toThrow(/"info" is not a dictionary/);
    expect(() => readMetainfoSummary(new TextEncoder().encode('d4:infod4:name'))).toThrow(/invalid bencode at byte \d+/);
    expect(() => readMetainfoSummary(new Uint8Array(MAX_METAINFO_BYTES + 1))).toThrow(/exceeds the 67108864-byte limit/);
  });
});

function decodePieces(metainfo: Uint8Array): Uint8Array {
  const top = decodeBencode(metainfo);
  const info = isBDict(top) ? top.entries.get('info') : undefined;
  const pieces = isBDict(info) ? info.entries.get('pieces') : undefined;
  if (!(pieces instanceof Uint8Array)) throw new Error('built metainfo has no info.pieces');
  return pieces;
}
