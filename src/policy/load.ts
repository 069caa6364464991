/**
 * The policy's IO edge: reading the file, and resolving the secrets the policy only names
 * (environment variables, password files). Secret values never appear in any error.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SmartnodeError } from '../shared/index.js';
import { parsePolicyText } from './parse.js';
import type { Policy } from './schema.js';

// The pure half lives in parse.ts; re-exported so `load` offers both halves of loading.
export { parsePolicyText } from './parse.js';

export interface LoadedPolicy {
  readonly policy: Policy;
  /** Absolute path of the file read. */
  readonly path: string;
  /** The path as given, used in messages. */
  readonly fileName: string;
}

function errnoCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** Reads and validates a policy file. POLICY_NOT_FOUND if it cannot be read, POLICY_INVALID if it is wrong. */
export async function loadPolicyFile(path: string): Promise<LoadedPolicy> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    const code = errnoCode(error);
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : `cannot read it (${code ?? 'unknown error'})`;
    throw new SmartnodeError('POLICY_NOT_FOUND', `policy file ${path}: ${why}`, {
      hint:
        code === 'ENOENT' || code === 'EISDIR'
          ? 'copy policies/default.yaml to a path of your own, edit it, and pass that path'
          : 'make the file readable by the user smartnode runs as',
      cause: error,
      details: { path: absolute, errno: code },
    });
  }
  return { policy: parsePolicyText(text, path), path: absolute, fileName: path };
}

export interface ResolvedSecrets {
  /** The RPC password, or undefined when the policy names none. */
  readonly rpcPassword: string | undefined;
  /** Cookie header value per enabled feed id that names a cookieEnv. */
  readonly feedCookies: Map<string, string>;
}

export type SecretEnv = Readonly<Record<string, string | undefined>>;
export type ReadSecretFile = (path: string) => Promise<string>;

/** A file's secret is its content without the final line break (as `echo pw > file` writes it). */
function trimFinalNewline(text: string): string {
  return text.replace(/\r?\n$/, '');
}

/**
 * Looks up every secret the policy names. Disabled feeds are skipped. Every missing, empty or
 * unusable secret is reported at once in one SECRET_MISSING error naming the variable or file.
 */
export async function resolveSecrets(policy: Policy, env: SecretEnv, readSecretFile: ReadSecretFile): Promise<ResolvedSecrets> {
  const problems: string[] = [];
  // The message names the policy key, never the variable's name: a person who wrote the
  // password itself where the name belongs would otherwise see it printed (logs, doctor).
  const fromEnv = (name: string, key: string): string | undefined => {
    const value = env[name];
    const what = `the environment variable named by ${key}`;
    if (value === undefined) problems.push(`${what} is not set (${key} holds the NAME of a variable, never the secret itself)`);
    else if (value === '') problems.push(`${what} is empty`);
    else if (/[\r\n]/.test(value)) problems.push(`${what} contains a line break`);
    else return value;
    return undefined;
  };

  let rpcPassword: string | undefined;
  const { passwordEnv, passwordFile } = policy.daemon;
  if (passwordEnv !== undefined) {
    rpcPassword = fromEnv(passwordEnv, 'daemon.passwordEnv');
  } else if (passwordFile !== undefined) {
    try {
      const value = trimFinalNewline(await readSecretFile(passwordFile));
      if (value === '') problems.push(`password file ${passwordFile} (daemon.passwordFile) is empty`);
      else if (/[\r\n]/.test(value)) problems.push(`password file ${passwordFile} (daemon.passwordFile) has more than one line`);
      else rpcPassword = value;
    } catch (error) {
      problems.push(`password file ${passwordFile} (daemon.passwordFile) cannot be read (${errnoCode(error) ?? 'unknown error'})`);
    }
  }

  const feedCookies = new Map<string, string>();
  for (const feed of policy.feeds) {
    if (!feed.enabled || feed.cookieEnv === undefined) continue;
    const value = fromEnv(feed.cookieEnv, `the cookieEnv of feed ${feed.id}`);
    if (value !== undefined) feedCookies.set(feed.id, value);
  }

  if (problems.length > 0) {
    // No `cause`: an IO error's text is not ours to vouch for.
    throw new SmartnodeError('SECRET_MISSING', problems.join('\n'), {
      hint:
        'set the variables in the environment smartnode runs in (for systemd: ' +
        'Environment= or EnvironmentFile=), and make password files readable by its user',
      details: { problems },
    });
  }
  return { rpcPassword, feedCookies };
}
