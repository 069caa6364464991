/**
 * Turns zod issues into policy problems a person can act on: a path into the file and a
 * message that names the bad value (never a secret) and what was expected. Unknown keys get
 * one problem each, pointing at the key, with the closest known key suggested. Pure.
 */
import { z } from 'zod';

export type PolicyPath = readonly (string | number)[];

export interface PolicyProblem {
  readonly path: PolicyPath;
  readonly message: string;
}

/** Keys people try that must not exist, and what to write instead. */
const FORBIDDEN_KEYS: Readonly<Record<string, string>> = {
  'daemon.password':
    'inline passwords are not allowed: put the password in an environment ' +
    'variable and name it in passwordEnv, or in a file named by passwordFile',
  'feeds[].cookie': 'inline cookies are not allowed: put the cookie in an environment variable and name it in cookieEnv',
};

/** "storage.maxBytes", "feeds[1].url"; the empty path is "policy". */
export function formatPolicyPath(path: PolicyPath): string {
  let out = '';
  for (const segment of path) {
    out += typeof segment === 'number' ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out === '' ? 'policy' : out;
}

function genericPath(path: PolicyPath): string {
  return formatPolicyPath(path.map((s) => (typeof s === 'number' ? -1 : s))).replace(/\[-1\]/g, '[]');
}

/** Levenshtein distance, case-insensitive: "maxByte" -> "maxBytes" is 1. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost));
    }
    previous = current;
  }
  return previous[y.length] ?? 0;
}

/** The closest known key when it is close enough to be a typo, else undefined. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const key of known) {
    const distance = editDistance(unknown, key);
    if (distance < bestDistance) {
      best = key;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.min(3, Math.floor(unknown.length / 3)));
  return bestDistance <= allowed ? best : undefined;
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodDefault || current instanceof z.ZodPrefault) {
      current = current.unwrap() as z.ZodType;
    } else if (current instanceof z.ZodPipe) {
      current = current.in as z.ZodType;
    } else {
      return current;
    }
  }
}

/** The keys an object in the schema accepts, found by walking `path` through the schema. */
export function knownKeysAt(schema: z.ZodType, path: PolicyPath): string[] {
  let current = unwrap(schema);
  for (const segment of path) {
    if (current instanceof z.ZodObject && typeof segment === 'string') {
      const next = (current.shape as Record<string, z.ZodType | undefined>)[segment];
      if (next === undefined) return [];
      current = unwrap(next);
    } else if (current instanceof z.ZodArray && typeof segment === 'number') {
      current = unwrap(current.element as z.ZodType);
    } else {
      return [];
    }
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function describeValue(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null (an empty value)';
  if (typeof input === 'string') return JSON.stringify(input.length > 60 ? `${input.slice(0, 57)}...` : input);
  if (Array.isArray(input)) return 'a list';
  if (typeof input === 'object') return 'a mapping';
  return String(input);
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  string: 'text',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping of keys',
  array: 'a list',
};

/**
 * Per-parse messages for what the schema does not word itself. Type errors name the type of
 * the value, and echo it only when it is not text: text could be a secret in the wrong place.
 */
export const policyErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type': {
      if (issue.input === undefined) return 'missing (required)';
      const got = typeof issue.input === 'string' ? 'text' : describeValue(issue.input);
      return `expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${got}`;
    }
    case 'too_small':
      return issue.origin === 'array'
        ? `expected at least ${String(issue.minimum)} item(s)`
        : issue.origin === 'string'
          ? 'must not be empty'
          : `must be ${issue.inclusive === false ? 'more than' : 'at least'} ${String(issue.minimum)}, got ${describeValue(issue.input)}`;
    case 'too_big':
      return `must be ${issue.inclusive === false ? 'less than' : 'at most'} ${String(issue.maximum)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
};

/** One problem per issue, and one per unknown key. Sorted in path order by the caller. */
export function describePolicyIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((s): s is string | number => typeof s !== 'symbol');
    if (issue.code !== 'unrecognized_keys') {
      problems.push({ path, message: issue.message });
      continue;
    }
    const known = knownKeysAt(schema, path);
    for (const key of issue.keys) {
      const keyPath = [...path, key];
      const forbidden = FORBIDDEN_KEYS[genericPath(keyPath)];
      const suggestion = suggestKey(key, known);
      const message =
        forbidden ??
        (suggestion === undefined
          ? `unknown key${known.length > 0 ? ` (known keys here: ${known.join(', ')})` : ''}`
          : `unknown key (did you mean "${suggestion}"?)`);
      problems.push({ path: keyPath, message });
    }
  }
  return problems;
}
