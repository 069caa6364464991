/** The policies shipped in policies/ and examples/ must load, and the reference must show every key. */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadPolicyFile } from './load.js';
import { policyJsonSchema, type JsonSchema } from './json-schema.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const EXAMPLES = ['academic-torrents.yaml', 'need-based-rss.yaml', 'annas-archive-json.yaml', 'home-server.yaml'];

function schemaKeys(schema: JsonSchema, prefix = ''): string[] {
  return Object.entries(schema.properties ?? {}).flatMap(([name, value]) => {
    if (typeof value !== 'object') return [];
    const key = prefix === '' ? name : `${prefix}.${name}`;
    const items = typeof value.items === 'object' && !Array.isArray(value.items) ? value.items : undefined;
    return [key, ...schemaKeys(value, key), ...(items === undefined ? [] : schemaKeys(items, `${key}[]`))];
  });
}

/** Dotted keys of parsed YAML data; list items appear as `key[]`. */
function yamlKeys(value: unknown, prefix = ''): string[] {
  if (Array.isArray(value)) return value.flatMap((item) => yamlKeys(item, `${prefix}[]`));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([name, child]) => {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    return [key, ...yamlKeys(child, key)];
  });
}

describe('shipped policies', () => {
  it('policies/default.yaml is valid and carries its schema modeline', async () => {
    const loaded = await loadPolicyFile(`${ROOT}policies/default.yaml`);
    expect(loaded.policy.storage.maxBytes).toBe(2e12);
    const text = await readFile(`${ROOT}policies/default.yaml`, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./policy.schema.json');
  });

  it('policies/default.yaml has every key (passwordFile commented, exclusive with passwordEnv; optional caps as "#: " lines)', async () => {
    const text = await readFile(`${ROOT}policies/default.yaml`, 'utf8');
    const uncommented = text.replace('  # passwordFile:', '  passwordFile:').replace(/^(\s*)#: /gm, '$1');
    const present = new Set(yamlKeys(parseDocument(uncommented).toJS()));
    const missing = schemaKeys(policyJsonSchema()).filter((key) => !present.has(key));
    expect(missing).toEqual([]);
  });

  it.each(EXAMPLES)('examples/%s is valid', async (name) => {
    const loaded = await loadPolicyFile(`${ROOT}examples/${name}`);
    expect(loaded.policy.feeds.length).toBeGreaterThan(0);
    const text = await readFile(`${ROOT}examples/${name}`, 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../policies/policy.schema.json');
  });

  it('every policy example in examples/ is in the list above', async () => {
    const yamlFiles = (await readdir(`${ROOT}examples`)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
    const policies: string[] = [];
    for (const file of yamlFiles) {
      const text = await readFile(`${ROOT}examples/${file}`, 'utf8');
      if (text.includes('policies/policy.schema.json')) policies.push(file);
    }
    expect(policies.sort()).toEqual([...EXAMPLES].sort());
  });
});
