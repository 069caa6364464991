/**
 * Pure judgement of a content check: what the feed states against what the bytes hash to,
 * and what follows: DIGEST_OK, or CORRUPT with one fresh download, then a ban.
 */
import type { DigestAlgorithm, DigestSet } from '../feeds/index.js';
import type { IntegrityRecord } from './record.js';

export interface DigestComparison {
  ok: boolean;
  /** `<algorithm>:<hex>`, and where: 'content' or a file path. */
  expected: string;
  actual: string;
  where: string;
}

/**
 * Compares what the feed states with what the bytes hash to: the strongest algorithm stated,
 * the whole content first, then each file. The first mismatch decides.
 */
export function compareDigests(
  expected: { content: DigestSet; files: readonly { path: string; digests: DigestSet }[] },
  actual: { content: DigestSet; files: ReadonlyMap<string, DigestSet> },
): DigestComparison[] {
  const out: DigestComparison[] = [];
  const one = (want: DigestSet, got: DigestSet | undefined, where: string): void => {
    const algorithm = strongest(want);
    if (algorithm === null) return;
    const wanted = want[algorithm]!;
    const have = got?.[algorithm] ?? '(missing)';
    out.push({ ok: wanted === have, expected: `${algorithm}:${wanted}`, actual: `${algorithm}:${have}`, where });
  };
  one(expected.content, actual.content, 'content');
  for (const file of expected.files) one(file.digests, actual.files.get(file.path), file.path);
  return out;
}

/** After a content check: DIGEST_OK, or CORRUPT with one fresh download, then a ban. */
export function judgeDigest(
  record: IntegrityRecord,
  comparisons: readonly DigestComparison[],
  nowMs: number,
): { record: IntegrityRecord; verdict: 'ok' | 'refetch' | 'ban' } {
  const r = structuredClone(record);
  const bad = comparisons.find((c) => !c.ok);
  if (bad === undefined) {
    r.lastVerifiedAtMs = nowMs;
    r.last = {
      atMs: nowMs,
      code: 'DIGEST_OK',
      text: `${comparisons.map((c) => `${c.expected.split(':')[0]} of ${c.where}`).join(', ')} match the feed`,
    };
    return { record: r, verdict: 'ok' };
  }
  const what = `${bad.where === 'content' ? 'the content' : bad.where} hashes to ${bad.actual}, the feed states ${bad.expected}`;
  const first = r.corruptRefetches === 0;
  r.completedAtMs = null;
  if (first) r.corruptRefetches = 1;
  r.last = {
    atMs: nowMs,
    code: 'CORRUPT',
    expected: bad.expected,
    actual: bad.actual,
    text: first ? `${what}; deleted and fetched again once` : `${what}, again after a fresh download: banned, data deleted`,
  };
  return { record: r, verdict: first ? 'refetch' : 'ban' };
}

function strongest(set: DigestSet): DigestAlgorithm | null {
  for (const algorithm of ['sha256', 'sha1', 'md5'] as const) if (set[algorithm] !== undefined) return algorithm;
  return null;
}
