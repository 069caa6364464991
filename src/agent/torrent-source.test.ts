import { describe, expect, it } from 'vitest';
import { feedCookieFor } from './torrent-source.js';

describe('a feed cookie', () => {
  const feeds = [
    { id: 'at', url: 'https://academictorrents.com/collection/medical.csv' },
    { id: 'local', url: 'http://localhost:8080/feed.csv' },
  ];
  const cookieFor = feedCookieFor(
    () => feeds,
    new Map([
      ['at', 'uid=1;pass=abc'],
      ['local', 'uid=2;pass=def'],
    ]),
  );

  it('goes with a .torrent on the feed own site, its hosts included', () => {
    expect(cookieFor('at', 'https://academictorrents.com/download/abc.torrent')).toBe('uid=1;pass=abc');
    expect(cookieFor('at', 'https://www.academictorrents.com/download/abc.torrent')).toBe('uid=1;pass=abc');
    expect(cookieFor('local', 'http://localhost:9999/x.torrent')).toBe('uid=2;pass=def');
  });

  it('never goes to a .torrent another host serves, whatever the feed lists', () => {
    expect(cookieFor('at', 'https://files.example.org/abc.torrent')).toBeUndefined();
    expect(cookieFor('at', 'https://academictorrents.com.evil.example/abc.torrent')).toBeUndefined();
    expect(cookieFor('local', 'http://127.0.0.1:9999/x.torrent')).toBeUndefined();
    expect(cookieFor('gone', 'https://academictorrents.com/download/abc.torrent')).toBeUndefined();
  });
});
