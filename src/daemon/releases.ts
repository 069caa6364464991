/**
 * Which Transmission line a daemon is, whether smartnode's tests run it, and the known defects
 * of that release that matter to smartnode (read in transmission/transmission's
 * docs/rpc-spec.md and libtransmission/rpcimpl.cc at each tag). Pure; `doctor` prints it.
 */
import type { DaemonVersion } from './port.js';

export interface DaemonRelease {
  /** e.g. "4.1.0-beta.2 (Debian 13's line)". */
  line: string;
  /** Whether `npm test` runs this line (README "Tested daemons"). */
  tested: boolean;
  /** Known defects of this release, each with what smartnode does about it. */
  defects: string[];
}

/** "4.1.4 (a6d907d9ea)" -> [4, 1, 4, "" ]; "4.1.0-beta.2 (...)" -> [4, 1, 0, "beta.2"]. */
function parseRelease(version: string): { major: number; minor: number; patch: number; pre: string } | null {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.]+))?/.exec(version.trim());
  if (m === null) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), pre: m[4] ?? '' };
}

export function describeRelease(v: DaemonVersion): DaemonRelease {
  if (v.protocol === 'webui-v2') return describeQbittorrent(v);
  const r = parseRelease(v.version);
  const protocol = v.protocol === 'json-rpc' ? 'JSON-RPC 2.0' : 'the old RPC protocol';
  if (r === null) return { line: `${v.version} (unrecognised version string)`, tested: false, defects: [] };
  const name = v.version.trim().split(/\s/)[0] ?? v.version;
  if (r.major < 3) {
    return {
      line: `${v.version} (older than 3.00; not tested)`,
      tested: false,
      defects: ['labels may be missing (rpc-version < 16): smartnode cannot mark what it owns; upgrade to 3.00 or newer'],
    };
  }
  if (r.major === 3) {
    return {
      line: `${name} (Debian 12's line; tested, ${protocol})`,
      tested: r.minor === 0 && r.patch === 0,
      defects: [
        'torrent-add ignores labels: smartnode labels each torrent right after adding it (and removes it again if that fails)',
        'no bandwidth groups: a cap is split into per-torrent limits by need at each tick',
      ],
    };
  }
  if (r.major === 4 && r.minor === 0) {
    const defects =
      r.patch <= 1 ? ['4.0.0 and 4.0.1 answer torrent-get `wanted` as booleans (4.0.2 restored 0/1); smartnode does not read it'] : [];
    return { line: `${name} (Ubuntu 24.04's line; not tested here, ${protocol})`, tested: false, defects };
  }
  if (r.major === 4 && r.minor === 1 && r.pre !== '') {
    return {
      line: `${name} (Debian 13's line; ${r.pre === 'beta.2' ? 'tested' : 'not tested'}, ${protocol})`,
      tested: r.pre === 'beta.2',
      defects: [
        `a 4.1 pre-release: rpc-version ${v.rpcVersion} but rpc-version-semver ${v.rpcVersionSemver ?? '?'}, ` +
          `no JSON-RPC 2.0: smartnode speaks the old protocol to it`,
        'speed limits come back as floats (1000.0): smartnode reads them as whole kB/s',
      ],
    };
  }
  if (r.major === 4 && r.minor === 1 && r.patch === 0) {
    return {
      line: `${name} (not tested; ${protocol})`,
      tested: false,
      defects: ['4.1.0 answers session and group speed limits as floats (4.1.1 went back to integers): smartnode reads them as whole kB/s'],
    };
  }
  if (r.major === 4 && r.minor === 1) {
    return { line: `${name} (Debian unstable's line; tested, ${protocol})`, tested: true, defects: [] };
  }
  return { line: `${name} (newer than any tested line; ${protocol})`, tested: false, defects: [] };
}

/** qBittorrent lines: Debian 12's 4.5, 13's 5.1 and unstable's 5.3 are tested (README "Tested daemons"). */
function describeQbittorrent(v: DaemonVersion): DaemonRelease {
  const r = parseRelease(v.version);
  const api = `WebUI API ${v.rpcVersionSemver ?? '?'}`;
  const common = [
    'no bandwidth groups: a cap is split into per-torrent limits, or set as the global limit',
    'a torrent always honours the global limits; labels are tags (a set, no commas)',
  ];
  if (r === null) return { line: `qBittorrent ${v.version} (unrecognised version string)`, tested: false, defects: common };
  const tested = (r.major === 4 && r.minor === 5) || (r.major === 5 && (r.minor === 1 || r.minor === 3));
  const where = r.major === 4 && r.minor === 5 ? "Debian 12's line" : r.major === 5 && r.minor === 1 ? "Debian 13's line" : '';
  const label = tested
    ? `${where === '' ? 'tested' : `${where}; tested`}`
    : r.major < 4 || (r.major === 4 && r.minor < 5)
      ? 'older than 4.5; not tested'
      : 'not tested';
  return { line: `qBittorrent ${v.version} (${label}, ${api})`, tested, defects: common };
}
