/**
 * Which names and which subnet a test network may use, so that any number of runs on one
 * machine (two checkouts, two CI jobs, a demo beside a test) never collide.
 *
 * Each network gets a random name prefix `snt<6 base36>` and a random /24 from a wide private
 * range that no address or route on the machine overlaps. A claim file per subnet under
 * CLAIM_DIR, created atomically (link(2) of a complete temp file fails if the name exists),
 * says which process holds the subnet and under which prefix. Invariants:
 *  - a claim exists before any namespace or link of its prefix, and is removed only after
 *    all of them are gone; so an artefact of the `snt` pattern with no claim is from a dead run;
 *  - a claim whose process is gone (pid dead, or reused: its start time differs) is a dead
 *    run's, and everything under its prefix may be removed, processes inside included;
 *  - a live run's claim and artefacts are never touched by another run.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { link, mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const CLAIM_DIR = '/run/smartnode-testnet';
/** Names every artefact of a claimed network begins with; followed by a 6-character token. */
export const RUN_PREFIX_PATTERN = /^snt[a-z0-9]{6}$/;

/**
 * Private /16 blocks subnets are drawn from: 10.128.0.0/9 and 172.16.0.0/12, less 10.231.0.0/16,
 * which fixed-slot test networks of older checkouts on the same machine use without a claim.
 */
const BLOCKS: readonly (readonly [number, number])[] = [
  ...Array.from({ length: 127 }, (_, i) => [10, 128 + i] as const).filter(([, b]) => b !== 231),
  ...Array.from({ length: 16 }, (_, i) => [172, 16 + i] as const),
];
const ATTEMPTS = 64;

export interface NetworkClaim {
  prefix: string;
  /** First three octets, "10.183.42". */
  subnet: string;
  pid: number;
  /** The claiming process's start time (clock ticks since boot, /proc/<pid>/stat field 22). */
  startTicks: number;
  /** Who made it, for leftover reports: a test's label. */
  label: string;
}

export interface HeldClaim extends NetworkClaim {
  release(): Promise<void>;
  releaseSync(): void;
}

/** Claims a fresh prefix and a /24 no address, route or other claim on this machine overlaps. */
export async function claimNetwork(label: string, usedRanges: readonly IpRange[], claimDir = CLAIM_DIR): Promise<HeldClaim> {
  await mkdir(claimDir, { recursive: true, mode: 0o755 });
  const startTicks = processStartTicks(process.pid);
  if (startTicks === undefined) throw new Error(`cannot read /proc/${process.pid}/stat: the test network needs Linux /proc`);
  const taken = new Set((await readClaims(claimDir)).map((c) => c.claim.prefix));
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const prefix = `snt${randomBytes(4).readUInt32BE(0).toString(36).padStart(6, '0').slice(-6)}`;
    const [a, b] = BLOCKS[randomBytes(2).readUInt16BE(0) % BLOCKS.length] ?? [10, 128];
    const subnet = `${a}.${b}.${randomBytes(1)[0] ?? 0}`;
    if (taken.has(prefix) || overlapsAny(rangeOf(`${subnet}.0`, 24), usedRanges)) continue;
    const claim: NetworkClaim = { prefix, subnet, pid: process.pid, startTicks, label };
    const path = join(claimDir, `${subnet}.claim`);
    const temp = join(claimDir, `.${prefix}.tmp`);
    await writeFile(temp, `${JSON.stringify(claim)}\n`, { mode: 0o644 });
    try {
      await link(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw error;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    return {
      ...claim,
      release: () => unlink(path).catch(ignoreMissing),
      releaseSync: () => {
        try {
          unlinkSync(path);
        } catch {
          // already released
        }
      },
    };
  }
  throw new Error(
    `no free test subnet after ${ATTEMPTS} tries in 10.128.0.0/9 and 172.16.0.0/12: addresses, routes or claims in ${claimDir} cover them; ` +
      'remove stale claims of dead runs there, or free some of those ranges',
  );
}

/**
 * Takes the claim of a dead run for cleaning: renames it out of the way (only one cleaner
 * wins), and hands it back only if it is still that dead run's. Returns the claims taken.
 */
export async function takeDeadClaims(claimDir = CLAIM_DIR): Promise<{ claim: NetworkClaim; done: () => Promise<void> }[]> {
  const taken: { claim: NetworkClaim; done: () => Promise<void> }[] = [];
  for (const { path, claim } of await readClaims(claimDir)) {
    if (isClaimAlive(claim)) continue;
    const moved = `${path}.${process.pid}.${randomBytes(3).toString('hex')}.dead`;
    try {
      await rename(path, moved);
    } catch (error) {
      ignoreMissing(error);
      continue;
    }
    const now = parseClaim(await readFile(moved, 'utf8').catch(() => ''));
    if (now !== undefined && now.prefix !== claim.prefix) {
      // A live run claimed the subnet between our read and the rename: give it back.
      await link(moved, path).catch(() => undefined);
      await unlink(moved).catch(ignoreMissing);
      continue;
    }
    taken.push({ claim, done: () => unlink(moved).catch(ignoreMissing) });
  }
  return taken;
}

/** Every claim, live or dead. */
export async function listClaims(claimDir = CLAIM_DIR): Promise<NetworkClaim[]> {
  return (await readClaims(claimDir)).map(({ claim }) => claim);
}

/** Prefixes of every claim whose process still runs. */
export async function liveClaimPrefixes(claimDir = CLAIM_DIR): Promise<Set<string>> {
  return new Set((await readClaims(claimDir)).filter(({ claim }) => isClaimAlive(claim)).map(({ claim }) => claim.prefix));
}

export function isClaimAlive(claim: NetworkClaim): boolean {
  return processStartTicks(claim.pid) === claim.startTicks;
}

/** Start time of a running, non-zombie process; undefined if it is gone. */
export function processStartTicks(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // Fields after the parenthesised command name start with field 3 (state); starttime is 22.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  const ticks = Number(fields[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

async function readClaims(claimDir: string): Promise<{ path: string; claim: NetworkClaim }[]> {
  let entries: string[];
  try {
    entries = await readdir(claimDir);
  } catch (error) {
    ignoreMissing(error);
    return [];
  }
  const claims: { path: string; claim: NetworkClaim }[] = [];
  for (const entry of entries.filter((e) => e.endsWith('.claim'))) {
    const path = join(claimDir, entry);
    const claim = parseClaim(await readFile(path, 'utf8').catch(() => ''));
    if (claim !== undefined) claims.push({ path, claim });
  }
  return claims;
}

function parseClaim(text: string): NetworkClaim | undefined {
  try {
    const value = JSON.parse(text) as Partial<NetworkClaim>;
    if (typeof value.prefix !== 'string' || !RUN_PREFIX_PATTERN.test(value.prefix)) return undefined;
    if (typeof value.subnet !== 'string' || typeof value.pid !== 'number' || typeof value.startTicks !== 'number') return undefined;
    return { prefix: value.prefix, subnet: value.subnet, pid: value.pid, startTicks: value.startTicks, label: String(value.label ?? '') };
  } catch {
    return undefined;
  }
}

export interface IpRange {
  first: number;
  last: number;
}

export function rangeOf(address: string, prefixLength: number): IpRange {
  const value = address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const size = 2 ** (32 - prefixLength);
  const first = Math.floor(value / size) * size;
  return { first, last: first + size - 1 };
}

export function overlapsAny(range: IpRange, ranges: readonly IpRange[]): boolean {
  return ranges.some((r) => r.first <= range.last && range.first <= r.last);
}

/**
 * IPv4 ranges in use, from `ip -o -4 addr show` and `ip -4 route show table all` output.
 * Default routes are left out: they overlap everything and a local /24 is more specific.
 */
export function usedRangesFrom(addrOutput: string, routeOutput: string): IpRange[] {
  const ranges: IpRange[] = [];
  for (const match of addrOutput.matchAll(/\binet (\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?/g)) {
    ranges.push(rangeOf(match[1] ?? '0.0.0.0', Number(match[2] ?? 32)));
  }
  for (const line of routeOutput.split('\n')) {
    const match = /^(?:\S+\s+)?(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))?(?:\s|$)/.exec(line.trim());
    if (match === null || match[2] === '0') continue;
    ranges.push(rangeOf(match[1] ?? '0.0.0.0', Number(match[2] ?? 32)));
  }
  return ranges;
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'ENOENT') throw error;
}
