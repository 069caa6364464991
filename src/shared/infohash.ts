declare const infoHashBrand: unique symbol;

/** A BitTorrent v1 info-hash: 40 lowercase hex characters (SHA-1 of the bencoded info dict). */
export type InfoHash = string & { readonly [infoHashBrand]: true };

const HEX40 = /^[0-9a-fA-F]{40}$/;
const BASE32 = /^[A-Za-z2-7]{32}$/;

/**
 * Parses an info-hash as feeds write it: 40 hex (any case), 32 base32 (magnet style), or a
 * `urn:btih:` prefix of either. Returns null for anything else.
 */
export function parseInfoHash(raw: string): InfoHash | null {
  let text = raw.trim();
  const urn = /^urn:btih:/i;
  if (urn.test(text)) text = text.replace(urn, '');
  if (HEX40.test(text)) return text.toLowerCase() as InfoHash;
  if (BASE32.test(text)) return base32ToHex(text.toUpperCase()) as InfoHash;
  return null;
}

/** For callers that already validated (tests, builders): throws on bad input. */
export function toInfoHash(raw: string): InfoHash {
  const parsed = parseInfoHash(raw);
  if (parsed === null) throw new TypeError(`not an info-hash: ${JSON.stringify(raw)}`);
  return parsed;
}

export function infoHashFromBytes(bytes: Uint8Array): InfoHash {
  if (bytes.length !== 20) throw new TypeError(`an info-hash has 20 bytes, got ${bytes.length}`);
  let hex = '';
  for (const b of bytes) hex += b.toString(16).padStart(2, '0');
  return hex as InfoHash;
}

export function infoHashToBytes(hash: InfoHash): Uint8Array {
  const out = new Uint8Array(20);
  for (let i = 0; i < 20; i++) out[i] = Number.parseInt(hash.slice(i * 2, i * 2 + 2), 16);
  return out;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32ToHex(text: string): string {
  let bits = 0;
  let value = 0;
  let hex = '';
  for (const ch of text) {
    value = (value << 5) | ALPHABET.indexOf(ch);
    bits += 5;
    while (bits >= 8) {
      bits -= 8;
      hex += ((value >>> bits) & 0xff).toString(16).padStart(2, '0');
    }
  }
  return hex;
}
