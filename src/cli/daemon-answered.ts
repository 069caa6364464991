/**
 * What the state directory remembers of the daemon: that it answered these credentials from
 * this machine (URL without secrets, username). A 4.x daemon locked out by anti-brute-force
 * answers 403 exactly as its whitelist would; a daemon that let this machine in before has not
 * edited its whitelist by itself, so a restarted agent can still name the lockout.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactUrl } from '../shared/index.js';

const FILE_NAME = 'daemon-answered.json';

export interface DaemonAnswered {
  answeredBefore: boolean;
  onAnswered: () => void;
}

export function readDaemonAnswered(stateDir: string, url: string, username: string | undefined): DaemonAnswered {
  const path = join(stateDir, FILE_NAME);
  const key = { url: redactUrl(url), username: username ?? null };
  let answeredBefore = false;
  try {
    const seen = JSON.parse(readFileSync(path, 'utf8')) as { url?: unknown; username?: unknown };
    answeredBefore = seen.url === key.url && seen.username === key.username;
  } catch {
    // Never answered here (or unreadable): a 403 names both possible causes.
  }
  return {
    answeredBefore,
    onAnswered: () => {
      if (answeredBefore) return;
      try {
        writeFileSync(path, `${JSON.stringify(key)}\n`, { mode: 0o600 });
      } catch {
        // Best effort: only the naming of a later 403 depends on it.
      }
    },
  };
}
