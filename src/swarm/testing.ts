/** Test helpers for the swarm domain. Used by tests only; never by production code. */
import { createHash } from 'node:crypto';
import { expect } from 'vitest';
import { SmartnodeError, toInfoHash, type InfoHash } from '../shared/index.js';

/** A stable, made-up info-hash: SHA-1 of the label. */
export const hashOf = (label: string): InfoHash => toInfoHash(createHash('sha1').update(label).digest('hex'));

export const manyHashes = (n: number, prefix: string): InfoHash[] => Array.from({ length: n }, (_, i) => hashOf(`${prefix}${i}`));

/** Awaits a scrape that must fail with a retryable SCRAPE_FAILED whose message matches. */
export async function expectScrapeError(promise: Promise<unknown>, pattern: RegExp): Promise<SmartnodeError> {
  const error = await promise.then(
    () => expect.unreachable('the scrape should have failed'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SmartnodeError);
  const se = error as SmartnodeError;
  expect(se.code).toBe('SCRAPE_FAILED');
  expect(se.retryable).toBe(true);
  expect(se.message).toMatch(pattern);
  return se;
}
