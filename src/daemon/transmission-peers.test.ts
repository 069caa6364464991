import { describe, expect, it } from 'vitest';
import { toTorrentPeers } from './transmission-peers.js';

/**
 * A torrent-get {fields: [hashString, peers]} row as transmission-daemon 3.00 answers it
 * (shape recorded from a real 3.00 daemon; the public addresses are well-known resolvers,
 * standing in for peers: the tests resolve them, never contact them), plus garbage entries.
 */
const RECORDED = {
  hashString: 'A'.repeat(40),
  peers: [
    {
      address: '8.8.8.8',
      clientIsChoked: false,
      clientName: 'Transmission 3.00',
      flagStr: 'TDEI',
      isEncrypted: true,
      port: 51413,
      progress: 1,
      rateToClient: 120000,
      rateToPeer: 0,
    },
    {
      address: '2001:4860:4860::8888',
      clientName: 'qBittorrent 4.6',
      flagStr: 'dUI',
      port: 6881,
      progress: 0.42,
      rateToClient: 0,
      rateToPeer: 50000,
    },
    { address: '193.0.14.129', clientName: 'Deluge', port: 6882, progress: 0.1, rateToClient: 0, rateToPeer: -1 },
    { address: 'not-an-ip', port: 1, progress: 0.5, rateToClient: 0, rateToPeer: 0 },
    { address: '1.2.3.4', port: 99999, progress: 0.5 },
    { port: 2 },
    'junk',
  ],
};

describe('toTorrentPeers', () => {
  it('reads a recorded 3.00 answer, dropping malformed peers one by one', () => {
    const read = toTorrentPeers(RECORDED);
    const r = 'peers' in read ? read.peers : undefined;
    expect(r?.infoHash).toBe('a'.repeat(40));
    expect(r?.peers.map((p) => p.address)).toEqual(['8.8.8.8', '2001:4860:4860::8888', '193.0.14.129', 'not-an-ip']);
    expect(r?.peers[1]).toEqual({
      address: '2001:4860:4860::8888',
      port: 6881,
      progress: 0.42,
      rateToClientBytesPerSec: 0,
      rateToPeerBytesPerSec: 50000,
    });
    expect(r?.peers[2]?.rateToPeerBytesPerSec).toBe(0);
  });

  it('names what is missing: a usable hash, or the peers list (never an empty list instead)', () => {
    expect(toTorrentPeers({ hashString: 'xyz', peers: [] })).toHaveProperty('problem');
    expect(toTorrentPeers(null)).toHaveProperty('problem');
    expect(toTorrentPeers({ hashString: 'b'.repeat(40), peers: 0 })).toEqual({
      problem: `torrent ${'b'.repeat(40)} without the field "peers"`,
    });
    expect(toTorrentPeers({ hashString: 'b'.repeat(40), peers: [] })).toEqual({ peers: { infoHash: 'b'.repeat(40), peers: [] } });
  });
});
