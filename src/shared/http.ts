/**
 * Reading HTTP answers from servers we do not trust (feeds, trackers): a byte cap checked
 * against Content-Length before reading and again while streaming, so a hostile or broken
 * server costs at most `maxBytes` of memory. No node:* imports: works on any fetch Response.
 */
import { concatBytes } from './bytes.js';

/** Why a body was refused; the caller turns it into its own error (FEED_TOO_LARGE, ...). */
export type BodyTooLarge =
  | { kind: 'declared'; declaredBytes: number; maxBytes: number }
  | { kind: 'streamed'; maxBytes: number };

/**
 * The whole body, at most `maxBytes`. Over the cap (declared or as it arrives) the body is
 * cancelled and the error `onTooLarge` builds is thrown; network errors pass through as is.
 */
export async function readBodyCapped(
  response: Response,
  maxBytes: number,
  onTooLarge: (tooLarge: BodyTooLarge) => Error,
): Promise<Uint8Array> {
  const declaredBytes = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declaredBytes) && declaredBytes > maxBytes) {
    await discardBody(response);
    throw onTooLarge({ kind: 'declared', declaredBytes, maxBytes });
  }
  if (response.body === null) return new Uint8Array(0);
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw onTooLarge({ kind: 'streamed', maxBytes });
    }
    chunks.push(value);
  }
  return concatBytes(chunks);
}

/** Frees the connection of an answer we will not read (an error status, a redirect). */
export async function discardBody(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}
