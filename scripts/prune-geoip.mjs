// postinstall: removes geoip-lite's city tables (about 146 MB) from this install. smartnode
// only ever loads the country tables (src/swarm/geoip.ts points geoip-lite at a folder holding
// geoip-country*.dat alone), so the city tables are dead weight on a volunteer's disk. Never
// fails the install: a table it cannot find or remove is reported and left.
import { rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const CITY_FILES = ['geoip-city.dat', 'geoip-city6.dat', 'geoip-city-names.dat', 'city.checksum'];

try {
  const require = createRequire(import.meta.url);
  const data = join(dirname(require.resolve('geoip-lite/package.json')), 'data');
  let freed = 0;
  for (const name of CITY_FILES) {
    const path = join(data, name);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) continue;
    await rm(path, { force: true });
    freed += info.size;
  }
  if (freed > 0) console.log(`smartnode: removed geoip-lite's unused city tables (${Math.round(freed / 1e6)} MB)`);
} catch (error) {
  console.warn(`smartnode: geoip-lite's city tables left in place (${error instanceof Error ? error.message : String(error)})`);
}
