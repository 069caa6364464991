/**
 * Pure: the systemd unit smartnode ships (examples/smartnode.service), filled in for this host,
 * and read back for doctor. A unit names its program by absolute path, and where a global npm
 * install puts the binary depends on npm's prefix (/usr/bin with Debian's npm, /usr/local/bin
 * with NodeSource's or a hand-set prefix), so the unit `smartnode service` writes names the
 * Node.js that ran it and the package's own bin/smartnode.js: both real paths, the Node.js
 * proven new enough by running this very command.
 */

/** The service's state directory: systemd's StateDirectory=smartnode. */
export const SERVICE_STATE_DIR = '/var/lib/smartnode';
export const SERVICE_UNIT_PATH = '/etc/systemd/system/smartnode.service';
/** Where systemd looks for an ExecStart program named without a path (systemd.service(5), "Command lines"). */
export const SYSTEMD_EXEC_SEARCH_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'] as const;

export interface UnitSettings {
  /** Absolute path of the Node.js binary. */
  readonly nodePath: string;
  /** Absolute path of the package's bin/smartnode.js. */
  readonly binPath: string;
  readonly policyPath: string;
  /** The policy's storage.downloadDir: the only place outside its state dir the service may write. */
  readonly downloadDir: string;
  /** The package's README, for Documentation= (a file: URL). */
  readonly readmePath: string;
}

/** systemd's quoting for one word of a command line or a path list: double quotes when it has a space. */
function word(value: string): string {
  return /[\s"'\\]/.test(value) ? JSON.stringify(value) : value;
}

/** The shipped unit with ExecStart, ReadWritePaths and Documentation= set for this host. */
export function renderServiceUnit(template: string, settings: UnitSettings): string {
  const replace = (text: string, key: string, value: string): string => {
    const pattern = new RegExp(`^${key}=.*$`, 'm');
    if (!pattern.test(text)) throw new Error(`the unit template has no ${key}= line`);
    return text.replace(pattern, () => `${key}=${value}`);
  };
  let text = replace(
    template,
    'ExecStart',
    `${word(settings.nodePath)} ${word(settings.binPath)} run --policy ${word(settings.policyPath)}`,
  );
  text = replace(text, 'ReadWritePaths', `-${word(settings.downloadDir)}`);
  text = replace(text, 'Documentation', `file:${encodeURI(settings.readmePath)}`);
  return text;
}

/** Every `Key=value` of a unit file, in order (comments and section headers skipped). */
export function readUnitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) keys.set(match[1], [...(keys.get(match[1]) ?? []), (match[2] ?? '').trim()]);
  }
  return keys;
}

/** The words of a command line: double-quoted words kept whole, systemd's exec prefixes (-@:+!) dropped from the first. */
export function commandWords(line: string): string[] {
  const words = [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => (m[1] === undefined ? (m[2] ?? '') : JSON.parse(`"${m[1]}"`)));
  if (words[0] !== undefined) words[0] = words[0].replace(/^[-@:+!]+/, '');
  return words;
}

/** The paths of a ReadWritePaths= value (a leading "-" only says a missing path is no error). */
export function unitPaths(value: string): string[] {
  return commandWords(value).map((p) => p.replace(/^-/, '').replace(/^\+/, ''));
}

/** True when `path` is `dir` or inside it (both absolute and normal). */
export function isWithin(path: string, dir: string): boolean {
  const d = dir.endsWith('/') ? dir : `${dir}/`;
  return path === dir || path.startsWith(d);
}
